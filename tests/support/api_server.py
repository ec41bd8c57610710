"""The REST API in a thread of the test process, served by uvicorn exactly as `serve` does,
and `Api`, the handle tests reach it by."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import httpx
import uvicorn
from fastapi import FastAPI

from eduportal.api.app import create_app
from eduportal.api.server import server_config
from eduportal.wiring import Container
from tests.support.network import wait_until_up
from tests.support.texts import PASSWORD


@dataclass(frozen=True)
class Api:
    """A running API server, the container behind it (for metrics and arranging data) and
    its app (for the state a test must see inside the server, such as the sign-in queue)."""

    url: str
    container: Container
    app: FastAPI

    def client(self, *, source: str | None = None, **headers: str) -> httpx.Client:
        """`source` is a loopback address to send from (127.0.0.0/8 is all ours), so tests of
        per-address limits do not share one address's count."""
        transport = httpx.HTTPTransport(local_address=source) if source else None
        return httpx.Client(base_url=self.url, timeout=60, headers=headers, transport=transport)

    def signed_in(self, username: str) -> httpx.Client:
        """A client carrying a fresh bearer token of `username` (whose password is PASSWORD)."""
        token = httpx.post(
            f"{self.url}/api/login", json={"username": username, "password": PASSWORD}, timeout=30
        ).json()["token"]
        return self.client(Authorization=f"Bearer {token}")


@contextmanager
def running_api(container: Container) -> Iterator[Api]:
    """Serve `container` on its `api_port` until the block ends."""
    port = container.settings.api_port
    app = create_app(container)
    config = server_config(app, container.settings, host="127.0.0.1", port=port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base_url}/healthz", seconds=15)
    try:
        yield Api(base_url, container, app)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
