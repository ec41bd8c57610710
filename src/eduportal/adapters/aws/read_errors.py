"""A refused or failed AWS read as the domain's error, in a sentence an operator can act on.

The operators' tools that read a deployment from outside (the scaling watch, the deployment
check) share it. botocore has already retried what its standard mode retries, so what arrives
here is a failure to report.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Final

from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError

from eduportal.domain.errors import (
    ConfigurationError,
    NotFoundError,
    PermissionDeniedError,
    StorageUnavailableError,
)

DENIED: Final = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "AuthFailure"}
)
"""The error codes AWS services answer a refused call with."""


@contextmanager
def read_errors(
    what: str, operation: str, *, needs: str, missing: Mapping[str, str] | None = None
) -> Iterator[None]:
    """botocore's failures in the block as the domain's errors.

    `what` is the read as a verb phrase ("read the Auto Scaling group"), `operation` leads the
    log's detail, `needs` is the sentence naming the permissions a refused read lacks, and
    `missing` maps the error codes that mean the resource does not exist to the sentence of
    the `NotFoundError` they become.
    """
    try:
        yield
    except NoCredentialsError as exc:
        raise ConfigurationError(
            "No AWS credentials were found: set AWS_PROFILE, or AWS_ACCESS_KEY_ID and "
            "AWS_SECRET_ACCESS_KEY, or run where an instance role provides them.",
            detail=f"{operation}: {exc}",
        ) from exc
    except ClientError as exc:
        error = exc.response.get("Error", {})
        code, message = error.get("Code", ""), error.get("Message", "")
        detail = f"{operation}: {code}: {message}"
        if missing and code in missing:
            raise NotFoundError(missing[code], detail=detail) from exc
        if code in DENIED:
            raise PermissionDeniedError(
                f"AWS refused to let these credentials {what}. {needs}", detail=detail
            ) from exc
        raise StorageUnavailableError(
            f"AWS could not {what} just now ({code or 'error'}); try again in a moment.",
            detail=detail,
        ) from exc
    except BotoCoreError as exc:
        raise StorageUnavailableError(
            f"AWS could not be reached to {what}: check the network, the region and "
            "AWS_ENDPOINT_URL.",
            detail=f"{operation}: {exc}",
        ) from exc
