"""The one error taxonomy of eduportal (ARCHITECTURE.md, "Errors, logs, metrics").

Every error carries a sentence fit to show a user and the correlation id under which the
technical detail was logged. The detail itself never reaches the user: pages and API responses
show `user_message` and `correlation_id`, the log shows `detail`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import ClassVar

from eduportal.domain.correlation import current_correlation_id


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


class EduportalError(Exception):
    kind: ClassVar[ErrorKind]
    default_message: ClassVar[str]

    def __init__(
        self,
        user_message: str | None = None,
        *,
        detail: str = "",
        attempts: int = 0,
        correlation_id: str | None = None,
    ) -> None:
        self.user_message = user_message or self.default_message
        self.detail = detail or self.user_message
        self.attempts = attempts
        self.correlation_id = correlation_id or current_correlation_id()
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
    default_message = "We couldn't save the image. Please try again in a moment."


class DownloadError(EduportalError):
    kind = ErrorKind.DOWNLOAD
    default_message = "We couldn't load the image. Please try again in a moment."


class PermissionDeniedError(EduportalError):
    """The service's own credentials lack a permission: the user sees a generic sentence."""

    kind = ErrorKind.PERMISSION
    default_message = "The image service refused the operation. An administrator has been alerted."


class OperationTimeoutError(EduportalError):
    kind = ErrorKind.TIMEOUT
    default_message = "The image service took too long to answer, so we stopped. Please try again."


class StorageUnavailableError(EduportalError):
    kind = ErrorKind.UNAVAILABLE
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
    default_message = "We couldn't generate that right now. Please try again."
