"""The one error taxonomy of eduportal (ARCHITECTURE.md, "Errors, logs, metrics").

Every error carries a sentence fit to show a user and the correlation id under which the
technical detail was logged. The detail itself never reaches the user: pages and API responses
show `user_message` and `correlation_id`, the log shows `detail`.

Every error also says whether trying again may help (`transient`): timeouts, throttling and an
unavailable backend may pass; bad input, a missing permission or a wrong configuration will not.
Whoever decides about retrying (the API's `Retry-After`, the pipeline's retry policy, a page's
"try again") reads that one flag instead of keeping its own list of kinds.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from eduportal.domain.correlation import current_or_new_correlation_id


class ErrorKind(StrEnum):
    UPLOAD = "upload"
    DOWNLOAD = "download"
    PERMISSION = "permission"
    NOT_FOUND = "not_found"
    TIMEOUT = "timeout"
    VALIDATION = "validation"
    CONFIGURATION = "configuration"
    UNAVAILABLE = "unavailable"
    CONFLICT = "conflict"
    UNAUTHENTICATED = "unauthenticated"
    FORBIDDEN = "forbidden"
    GENERATION = "generation"
    RATE_LIMITED = "rate_limited"
    BUSY = "busy"
    TOO_LARGE = "too_large"


class EduportalError(Exception):
    kind: ClassVar[ErrorKind]
    default_message: ClassVar[str]
    transient_by_default: ClassVar[bool] = False

    def __init__(
        self,
        user_message: str | None = None,
        *,
        detail: str = "",
        attempts: int = 0,
        correlation_id: str | None = None,
        transient: bool | None = None,
    ) -> None:
        self.user_message = user_message or self.default_message
        self.detail = detail or self.user_message
        self.attempts = attempts
        self.correlation_id = correlation_id or current_or_new_correlation_id()
        self.transient = self.transient_by_default if transient is None else transient
        """True when the same operation may succeed if tried again later."""
        super().__init__(self.detail)

    def for_user(self) -> str:
        """The sentence and the reference an operator can grep the logs for."""
        return f"{self.user_message} (reference: {self.correlation_id})"


class ValidationError(EduportalError):
    kind = ErrorKind.VALIDATION
    default_message = "The request is not valid."


class NotFoundError(EduportalError):
    kind = ErrorKind.NOT_FOUND
    default_message = "The image was not found."


class UploadError(EduportalError):
    kind = ErrorKind.UPLOAD
    transient_by_default = True
    default_message = "We couldn't save the image. Please try again in a moment."


class DownloadError(EduportalError):
    kind = ErrorKind.DOWNLOAD
    transient_by_default = True
    default_message = "We couldn't load the image. Please try again in a moment."


class PermissionDeniedError(EduportalError):
    """The service's own credentials lack a permission: the user sees a generic sentence."""

    kind = ErrorKind.PERMISSION
    default_message = (
        "The image service refused the operation. The problem has been logged for an administrator."
    )


class OperationTimeoutError(EduportalError):
    kind = ErrorKind.TIMEOUT
    transient_by_default = True
    default_message = "The image service took too long to answer, so we stopped. Please try again."


class StorageUnavailableError(EduportalError):
    kind = ErrorKind.UNAVAILABLE
    transient_by_default = True
    default_message = "Image storage is unavailable right now. Please try again later."


class ConfigurationError(EduportalError):
    kind = ErrorKind.CONFIGURATION
    default_message = "eduportal is not configured correctly. Please contact an administrator."


class ConflictError(EduportalError):
    kind = ErrorKind.CONFLICT
    default_message = "That already exists."


class UnauthenticatedError(EduportalError):
    kind = ErrorKind.UNAUTHENTICATED
    default_message = "Please sign in again: your session is missing or has expired."


class ForbiddenError(EduportalError):
    kind = ErrorKind.FORBIDDEN
    default_message = "Your account is not allowed to do that."


class GenerationError(EduportalError):
    """A generator (questions, image, embeddings) failed or answered something unusable."""

    kind = ErrorKind.GENERATION
    transient_by_default = True
    default_message = "We couldn't generate that right now. Please try again."


class ModelUnavailableError(GenerationError):
    """A model that runs inside this process cannot be loaded: its package is missing, its
    files fail their checksum, or loading them failed. Not transient: the next try would read
    the same files, so whoever holds a fallback switches to it for good."""

    transient_by_default = False
    default_message = "We couldn't score the answer: the scoring model is not available."


class RateLimitedError(EduportalError):
    """Too many attempts (failed sign-ins): refused until `retry_after_seconds` have passed."""

    kind = ErrorKind.RATE_LIMITED
    default_message = "Too many attempts. Please wait a moment and try again."
    transient_by_default = True

    def __init__(
        self, user_message: str | None = None, *, retry_after_seconds: int, detail: str = ""
    ) -> None:
        super().__init__(user_message, detail=detail)
        self.retry_after_seconds = max(1, retry_after_seconds)


class BusyError(EduportalError):
    """The server is at a capacity limit it keeps on purpose (memory for decoding, hashing)."""

    kind = ErrorKind.BUSY
    default_message = "The server is busy right now. Please try again in a moment."
    transient_by_default = True


class PayloadTooLargeError(EduportalError):
    kind = ErrorKind.TOO_LARGE
    default_message = "The request is too large."
