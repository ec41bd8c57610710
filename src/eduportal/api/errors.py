"""Errors become JSON with the user's sentence and the correlation id, never a stack trace."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from eduportal.domain.correlation import current_or_new_correlation_id
from eduportal.domain.errors import EduportalError, ErrorKind, RateLimitedError
from eduportal.observability.logging import log_error

STATUS = {
    ErrorKind.VALIDATION: 422,
    ErrorKind.NOT_FOUND: 404,
    ErrorKind.PERMISSION: 502,
    ErrorKind.TIMEOUT: 504,
    ErrorKind.UNAVAILABLE: 503,
    ErrorKind.CONFIGURATION: 500,
    ErrorKind.UPLOAD: 502,
    ErrorKind.DOWNLOAD: 502,
    ErrorKind.CONFLICT: 409,
    ErrorKind.UNAUTHENTICATED: 401,
    ErrorKind.FORBIDDEN: 403,
    ErrorKind.GENERATION: 502,
    ErrorKind.RATE_LIMITED: 429,
    ErrorKind.BUSY: 503,
    ErrorKind.TOO_LARGE: 413,
}
TRANSIENT_RETRY_AFTER_SECONDS = 5
"""What a 503 or 504 asks a client to wait before trying again."""


def error_body(message: str, kind: str, correlation_id: str) -> dict[str, str]:
    return {"error": message, "kind": kind, "correlation_id": correlation_id}


def error_headers(exc: EduportalError) -> dict[str, str]:
    """`WWW-Authenticate` for 401; `Retry-After` whenever trying again later may help."""
    if exc.kind is ErrorKind.UNAUTHENTICATED:
        return {"WWW-Authenticate": "Bearer"}
    if isinstance(exc, RateLimitedError):
        return {"Retry-After": str(exc.retry_after_seconds)}
    if exc.transient and STATUS[exc.kind] in (503, 504):
        return {"Retry-After": str(TRANSIENT_RETRY_AFTER_SECONDS)}
    return {}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EduportalError)
    async def domain_error(_: Request, exc: EduportalError) -> JSONResponse:
        log_error(exc)
        return JSONResponse(
            error_body(exc.user_message, exc.kind.value, exc.correlation_id),
            status_code=STATUS[exc.kind],
            headers=error_headers(exc),
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Starlette's own 404 and 405 (unknown path, wrong method), in our error format."""
        message = {404: "There is nothing at this address.", 405: "That method is not allowed."}
        return JSONResponse(
            error_body(
                message.get(exc.status_code, str(exc.detail)),
                "http",
                current_or_new_correlation_id(),
            ),
            status_code=exc.status_code,
            headers=exc.headers,
        )

    @app.exception_handler(RequestValidationError)
    async def request_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        message = f"The request is not valid: {where}: {first.get('msg', 'invalid')}"
        return JSONResponse(
            error_body(message, ErrorKind.VALIDATION.value, current_or_new_correlation_id()),
            status_code=422,
        )
