"""A failed call to an AWS messaging service (EventBridge, SNS, Step Functions) as the domain's
error: the service is unavailable, in a sentence for the user, with what failed in the detail
for the log. botocore has already retried what its standard mode retries, so what arrives here
is a failure the caller can only report, or try again later."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from botocore.exceptions import BotoCoreError, ClientError

from eduportal.domain.errors import StorageUnavailableError


@contextmanager
def unavailable_on_failure(sentence: str, operation: str) -> Iterator[None]:
    """Any botocore failure in the block becomes `StorageUnavailableError(sentence)`;
    `operation` ("eventbridge put events ...") leads its detail. Errors a caller expects
    (a refused duplicate) are caught inside the block, before they get here."""
    try:
        yield
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        raise StorageUnavailableError(sentence, detail=f"{operation}: {code}: {message}") from exc
    except BotoCoreError as exc:
        raise StorageUnavailableError(sentence, detail=f"{operation}: {exc}") from exc
