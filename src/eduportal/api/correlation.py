"""Pure ASGI middleware: every request runs under a correlation id, echoed in the response.

A caller's `X-Correlation-ID` (or a load balancer's `X-Request-ID`) is kept when it is short
and safe (letters, digits, `-`; `correlation_scope` decides), so one id follows a request
across services; anything else gets a new id rather than reaching the logs. Unexpected
exceptions are answered here, inside the id's scope, so the 500 response and the logged
traceback carry the same id (Starlette's own last-resort handler runs outside every user
middleware). Pure ASGI rather than
`BaseHTTPMiddleware`, which would cost the image origin a task and a queue per request.
"""

from __future__ import annotations

import logging

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eduportal.api.errors import error_body, send_error
from eduportal.domain.correlation import correlation_scope

log = logging.getLogger(__name__)

HEADER = "x-correlation-id"
_INBOUND = (b"x-correlation-id", b"x-request-id")


class CorrelationIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        inbound = next(
            (value.decode("latin-1") for name, value in scope["headers"] if name in _INBOUND),
            None,
        )
        with correlation_scope(inbound) as cid:
            encoded = cid.encode()
            started = False

            async def send_with_id(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                    message["headers"] = [*message.get("headers", []), (HEADER.encode(), encoded)]
                await send(message)

            try:
                await self.app(scope, receive, send_with_id)
            except Exception:
                log.exception("unhandled error", extra={"path": scope.get("path")})
                if started:
                    raise
                await _internal_error(send_with_id, cid)


async def _internal_error(send: Send, correlation_id: str) -> None:
    sentence = "Something went wrong on our side. Please try again."
    await send_error(send, 500, error_body(sentence, "internal", correlation_id))
