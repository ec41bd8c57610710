"""Errors become JSON with the user's sentence and the correlation id, never a stack trace."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from eduportal.domain.correlation import current_correlation_id
from eduportal.domain.errors import EduportalError, ErrorKind
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
}


def error_body(message: str, kind: str, correlation_id: str) -> dict[str, str]:
    return {"error": message, "kind": kind, "correlation_id": correlation_id}


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(EduportalError)
    async def domain_error(_: Request, exc: EduportalError) -> JSONResponse:
        log_error(exc)
        headers = {"WWW-Authenticate": "Bearer"} if exc.kind is ErrorKind.UNAUTHENTICATED else None
        return JSONResponse(
            error_body(exc.user_message, exc.kind.value, exc.correlation_id),
            status_code=STATUS[exc.kind],
            headers=headers,
        )

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        """Starlette's own 404 and 405 (unknown path, wrong method), in our error format."""
        message = {404: "There is nothing at this address.", 405: "That method is not allowed."}
        return JSONResponse(
            error_body(
                message.get(exc.status_code, str(exc.detail)), "http", current_correlation_id()
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
            error_body(message, ErrorKind.VALIDATION.value, current_correlation_id()),
            status_code=422,
        )
