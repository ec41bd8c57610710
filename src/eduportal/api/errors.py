"""Errors become JSON with the user's sentence and the correlation id, never a stack trace."""

from __future__ import annotations

import json
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Send

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


class ErrorBody(BaseModel):
    """Every error the API answers, whatever its status."""

    error: str = Field(description="A sentence to show the user")
    kind: str = Field(description="The error's kind: validation, not_found, rate_limited, ...")
    correlation_id: str = Field(
        description="The reference to quote: the server's log line carries the same id"
    )


_MEANING = {
    400: "The request could not be read",
    401: "Not signed in, or the session has expired (`WWW-Authenticate: Bearer`)",
    403: "Signed in, but this account may not do that",
    404: "No such assignment, question or address",
    408: "The request body stalled",
    409: "The assignment was changed meanwhile (reload it), or its image is being changed",
    413: "The body is larger than this endpoint accepts",
    422: "The input is not valid (the sentence says what)",
    429: "A limit was reached: failed sign-ins, or the teacher's allowance of generated "
    "questions or illustrations (the sentence says which; `Retry-After`, how long to wait)",
    502: "A backend (storage, generator) failed after its retries",
    503: "Storage, the database or the server's capacity is exhausted for now (`Retry-After`)",
    504: "A backend took too long",
}


def error_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error statuses an endpoint can answer; 422 always, as any
    parameter or body can be invalid, and in our shape rather than FastAPI's default one."""
    return {
        status: {"model": ErrorBody, "description": _MEANING[status]}
        for status in sorted({*statuses, 422})
    }


async def send_error(send: Send, status: int, body: dict[str, str], *, close: bool = False) -> None:
    """An error answered from pure ASGI middleware, outside FastAPI's handlers, in the same
    JSON shape; `close` also ends the connection (the client may still be sending)."""
    encoded = json.dumps(body).encode()
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(encoded)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": encoded})


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
        """Starlette's own errors (unknown path, wrong method, the body limits), as JSON."""
        message = {404: "There is nothing at this address.", 405: "That method is not allowed."}
        kind = {408: ErrorKind.TIMEOUT.value, 413: ErrorKind.TOO_LARGE.value}
        return JSONResponse(
            error_body(
                message.get(exc.status_code, str(exc.detail)),
                kind.get(exc.status_code, "http"),
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
