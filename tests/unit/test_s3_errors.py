"""The design's S3 error tables: which error the user gets for each botocore failure."""

from __future__ import annotations

import pytest
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from eduportal.adapters.aws.s3_errors import to_domain_error
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import (
    ConfigurationError,
    DownloadError,
    EduportalError,
    NotFoundError,
    PermissionDeniedError,
    StorageUnavailableError,
    UploadError,
)


def client_error(code: str, status: int) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": f"technical {code} text"},
            "ResponseMetadata": {
                "HTTPStatusCode": status,
                "HTTPHeaders": {},
                "HostId": "",
                "RequestId": "r1",
                "RetryAttempts": 0,
            },
        },
        "PutObject",
    )


CASES: list[tuple[BaseException, str, type[EduportalError]]] = [
    (NoCredentialsError(), "put", ConfigurationError),
    (client_error("AccessDenied", 403), "put", PermissionDeniedError),
    (client_error("AccessDenied", 403), "get", PermissionDeniedError),
    (client_error("NoSuchBucket", 404), "put", StorageUnavailableError),
    (client_error("404", 404), "check", StorageUnavailableError),
    (client_error("NoSuchKey", 404), "get", NotFoundError),
    (client_error("InternalError", 500), "put", UploadError),
    (client_error("InternalError", 500), "get", DownloadError),
    (client_error("InvalidObjectState", 403), "get", DownloadError),
    (EndpointConnectionError(endpoint_url="http://s3.internal"), "put", UploadError),
    (ConnectionClosedError(endpoint_url="http://s3.internal"), "get", DownloadError),
    (ReadTimeoutError(endpoint_url="http://s3.internal"), "put", UploadError),
]


# Property 25: Error message clarity (a plain sentence for the user, the detail for the log)
@pytest.mark.parametrize(("exc", "operation", "expected"), CASES)
def test_each_failure_maps_to_a_typed_error_with_a_plain_sentence(
    exc: BaseException, operation: str, expected: type[EduportalError]
) -> None:
    with correlation_scope("cid-s3-error"):
        error = to_domain_error(exc, operation=operation, key="generated_images/a.webp", attempts=4)
    assert type(error) is expected
    assert error.attempts == 4 and error.correlation_id == "cid-s3-error"
    for jargon in ("technical", "botocore", "Error", "s3.internal", "http", "403", "500"):
        assert jargon not in error.user_message
    assert error.user_message.endswith(".")
    assert type(exc).__name__ in error.detail
    assert "generated_images/a.webp" in error.detail
