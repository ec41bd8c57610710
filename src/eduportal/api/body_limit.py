"""Request bodies are limited while they stream in, before any of them is parsed.

A declared `Content-Length` over the route's limit is answered 413 at once, before the app or
authentication runs, and the connection is closed so the client stops sending; a chunked body
is counted as it arrives and cut off at the limit. A body that stalls between two chunks for
`body_timeout` seconds is answered 408. Each route may have a limit of its own (uploads take
`EDUPORTAL_MAX_UPLOAD_BYTES`); every other body gets the small JSON limit. Requests without a
body (the image origin's GETs) pass untouched, so the hot path pays nothing.

Starlette's own `max_body_size` (FastAPI 0.165) was weighed and not used: it acts only once a
route has been matched and its dependencies run, its early 413 is plain text rather than our
JSON error, it has no stall timeout, and it never closes the connection, so a declared 200 MB
body answered 401 would still be read, and discarded, to its end.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eduportal.api.errors import error_body, send_error
from eduportal.domain.correlation import current_or_new_correlation_id
from eduportal.domain.errors import ErrorKind

_CLOSE = {"Connection": "close"}


@dataclass(frozen=True, slots=True)
class BodyLimit:
    max_bytes: int
    sentence: str
    """What the user reads when the body is too large."""


LimitFor = Callable[[Scope], BodyLimit]


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, *, limit_for: LimitFor, body_timeout: float) -> None:
        self.app = app
        self.limit_for = limit_for
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared in (None, b"0") and b"transfer-encoding" not in headers:
            await self.app(scope, receive, send)  # no body at all
            return
        limit = self.limit_for(scope)
        if declared is not None and int(declared) > limit.max_bytes:
            await _answer_too_large(send, limit.sentence)
            return
        body = _GuardedBody(receive, limit, self.body_timeout)
        await self.app(scope, body.receive, body.closing_send(send))


class _GuardedBody:
    """One request's body: counted, timed, and remembered as read or not."""

    def __init__(self, receive: Receive, limit: BodyLimit, timeout: float) -> None:
        self._receive = receive
        self._limit = limit
        self._timeout = timeout
        self._received = 0
        self._finished = False

    async def receive(self) -> Message:
        if self._finished:
            return await self._receive()
        try:
            message = await asyncio.wait_for(self._receive(), self._timeout)
        except TimeoutError:
            raise HTTPException(
                408,
                "The upload stalled, so we stopped waiting for it. Please try again.",
                headers=_CLOSE,
            ) from None
        if message["type"] == "http.request":
            self._received += len(message.get("body", b""))
            if self._received > self._limit.max_bytes:
                raise HTTPException(413, self._limit.sentence, headers=_CLOSE)
            self._finished = not message.get("more_body", False)
        return message

    def closing_send(self, send: Send) -> Send:
        """Answering before the body is read (a 401, a 403, a refused file) closes the
        connection: otherwise the server would go on reading, and discarding, whatever the
        client keeps sending."""

        async def send_and_close(message: Message) -> None:
            if message["type"] == "http.response.start" and not self._finished:
                headers = list(message.get("headers", []))
                if all(name.lower() != b"connection" for name, _ in headers):
                    headers.append((b"connection", b"close"))
                message["headers"] = headers
            await send(message)

        return send_and_close


async def _answer_too_large(send: Send, sentence: str) -> None:
    body = error_body(sentence, ErrorKind.TOO_LARGE.value, current_or_new_correlation_id())
    await send_error(send, 413, body, close=True)
