"""botocore's exceptions mapped onto the domain's error taxonomy (the design's error tables).

The user gets a sentence; the specific cause (the missing permission, the bucket name, the
HTTP status) goes into `detail`, which is logged with the correlation id and never shown.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from eduportal.domain.errors import (
    ConfigurationError,
    DownloadError,
    EduportalError,
    NotFoundError,
    PermissionDeniedError,
    StorageUnavailableError,
    UploadError,
)

_NOT_FOUND = frozenset({"NoSuchKey", "404", "NotFound", "NoSuchVersion"})
_DENIED = frozenset(
    {
        "AccessDenied",
        "403",
        "Forbidden",
        "AllAccessDisabled",
        "InvalidAccessKeyId",
        "SignatureDoesNotMatch",
        "ExpiredToken",
        "InvalidToken",
        "AccountProblem",
    }
)
_NETWORK = (EndpointConnectionError, ConnectionClosedError, ConnectTimeoutError, ReadTimeoutError)
_WRITES = frozenset({"put", "delete", "set_lifecycle"})
_BUCKET_LEVEL = frozenset({"check", "list"})
"""Operations on the bucket itself, where a 404 means the bucket is missing."""


def to_domain_error(
    exc: BaseException, *, operation: str, key: str, attempts: int
) -> EduportalError:
    detail = (
        f"s3 {operation} {key!r} failed after {attempts} attempt(s): {type(exc).__name__}: {exc}"
    )
    failure = UploadError if operation in _WRITES else DownloadError

    if isinstance(exc, ClientError):
        code = str(exc.response.get("Error", {}).get("Code", ""))
        if code in _NOT_FOUND and operation not in _BUCKET_LEVEL:
            return NotFoundError(detail=detail, attempts=attempts)
        if code == "NoSuchBucket" or code in _NOT_FOUND:
            return StorageUnavailableError(detail=detail, attempts=attempts)
        if code in _DENIED:
            return PermissionDeniedError(detail=detail, attempts=attempts)
        if code == "InvalidObjectState":
            return DownloadError(
                "This image is archived and cannot be shown right now. "
                "Please ask an administrator to restore it.",
                detail=detail,
                attempts=attempts,
            )
        return failure(detail=detail, attempts=attempts)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return ConfigurationError(
            "Image storage is not configured correctly. "
            "The problem has been logged for an administrator.",
            detail=detail,
            attempts=attempts,
        )
    if isinstance(exc, _NETWORK):
        verb = "save" if operation in _WRITES else "load"
        return failure(
            f"We couldn't {verb} the image: the storage service could not be reached. "
            "Please try again in a moment.",
            detail=detail,
            attempts=attempts,
        )
    if isinstance(exc, BotoCoreError):
        return failure(detail=detail, attempts=attempts)
    return failure(detail=detail, attempts=attempts)
