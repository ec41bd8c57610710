"""The REST API in a thread of the test process, served by uvicorn exactly as `serve` does."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from eduportal.api.app import create_app
from eduportal.api.server import server_config
from eduportal.wiring import Container
from tests.support.network import wait_until_up


@contextmanager
def running_api(container: Container) -> Iterator[str]:
    """Serve `container` on its `api_port`; yields the base URL; stops on exit."""
    port = container.settings.api_port
    config = server_config(create_app(container), container.settings, host="127.0.0.1", port=port)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base_url = f"http://127.0.0.1:{port}"
    wait_until_up(f"{base_url}/healthz", seconds=15)
    try:
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
