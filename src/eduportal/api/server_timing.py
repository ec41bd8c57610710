"""Pure ASGI middleware: each response says how long its storage operations took.

Every request runs with a collection open (`observability.server_timing.collecting`); when
the response starts, whatever storage operations finished meanwhile become its
`Server-Timing` header (`storage-put;dur=12.3, storage-put;dur=2.1`). A request that touched
no storage, such as an image answered from memory, gets no header. Pure ASGI rather than
`BaseHTTPMiddleware` for the reason `correlation.py` gives: the image origin is hot.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from eduportal.observability.server_timing import HEADER, collecting, header_value

_HEADER = HEADER.encode()


class ServerTimingMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with collecting() as timings:

            async def send_with_timing(message: Message) -> None:
                if message["type"] == "http.response.start" and timings:
                    value = header_value(timings).encode("latin-1")
                    message["headers"] = [*message.get("headers", []), (_HEADER, value)]
                await send(message)

            await self.app(scope, receive, send_with_timing)
