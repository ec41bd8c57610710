"""The one free-port helper and the one wait-until-a-server-answers helper of the suite, and
the polling they share for states that no event announces."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Callable

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(condition: Callable[[], bool], *, seconds: float, what: str) -> None:
    """Poll `condition` until it holds, for a state of another process or of a server's
    internals that signals no event the test could wait on; fail naming `what` after
    `seconds`. Where an Event or a Barrier can be had, use it instead."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {seconds} s")
        time.sleep(0.05)


def wait_until_up(
    url: str, *, process: subprocess.Popen[str] | None = None, seconds: float = 60
) -> None:
    """Poll `url` until it answers 200; fail early if `process` exits meanwhile."""

    def answers() -> bool:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode} before answering")
        try:
            return httpx.get(url, timeout=2).status_code == 200
        except httpx.TransportError:
            return False

    wait_for(answers, seconds=seconds, what=f"{url} answering 200")
