"""Serving the app with uvicorn, with a deadline for request headers.

uvicorn closes idle keep-alive connections but waits forever for a request that has started
and then stalls: forty clients sending half a request line held forty connections open for
as long as they liked (slowloris). `HeaderDeadlineProtocol` closes a connection whose request
line and headers are not complete within `header_timeout` seconds of the connection opening,
or of the first byte of the next request on a kept-alive connection. Stalled bodies are the
body limit's business (a 408 after `EDUPORTAL_BODY_TIMEOUT_SECONDS`).

It plugs into uvicorn's documented `http=` setting, which takes a protocol class.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from eduportal.config import Settings


class HeaderDeadlineProtocol(H11Protocol):
    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self._header_timer: asyncio.TimerHandle | None = None
        super().connection_made(transport)
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.cycle is not None and not self.cycle.response_complete:
            self._disarm()  # the request line and headers are in: a request is running
        elif self._header_timer is None:
            self._arm()  # the first bytes of the next request on a kept-alive connection

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._header_timer = self.loop.call_later(self.header_timeout, self._headers_too_slow)

    def _disarm(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _headers_too_slow(self) -> None:
        self._header_timer = None
        if not self.transport.is_closing():
            self.transport.close()


def server_config(app: Any, settings: Settings, *, host: str, port: int) -> uvicorn.Config:
    protocol = type(
        "HeaderDeadlineProtocol",
        (HeaderDeadlineProtocol,),
        {"header_timeout": settings.header_timeout_seconds},
    )
    return uvicorn.Config(
        app,
        host=host,
        port=port,
        http=protocol,
        log_level="warning",
        access_log=False,
    )
