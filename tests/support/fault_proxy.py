"""A TCP proxy on loopback that injects failures between a client and a real server.

Each new connection takes the next fault from a script: answer with an HTTP error (500,
503 SlowDown, 403 AccessDenied), drop the connection after reading the request, or hang. When
the script is empty, connections are forwarded to the upstream server byte for byte. moto
itself injects nothing, so this is how S3 adapter tests see real failures on the wire.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True)
class Respond:
    status: int
    code: str
    reason: str = "Error"


@dataclass(frozen=True)
class Drop:
    """Read the request, then close without a response (a dropped connection)."""


@dataclass(frozen=True)
class Hang:
    """Read the request, then never answer."""


Fault = Respond | Drop | Hang

INTERNAL_ERROR = Respond(500, "InternalError", "Internal Server Error")
SLOW_DOWN = Respond(503, "SlowDown", "Slow Down")
ACCESS_DENIED = Respond(403, "AccessDenied", "Forbidden")


class FaultProxy:
    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._faults: deque[Fault] = deque()
        self._lock = threading.Lock()
        self._closing = threading.Event()
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self.port = self._listener.getsockname()[1]
        self.connections = 0
        self.faults_served = 0
        self._thread = threading.Thread(target=self._accept_loop, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self._faults.extend(faults)

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=2)
        self._listener.close()

    def _accept_loop(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self.connections += 1
                fault = self._faults.popleft() if self._faults else None
                if fault is not None:
                    self.faults_served += 1
            threading.Thread(target=self._handle, args=(conn, fault), daemon=True).start()

    def _handle(self, conn: socket.socket, fault: Fault | None) -> None:
        with conn:
            if fault is None:
                self._forward(conn)
                return
            _read_request(conn)
            if isinstance(fault, Respond):
                conn.sendall(_error_response(fault))
            elif isinstance(fault, Hang):
                self._closing.wait()

    def _forward(self, client: socket.socket) -> None:
        with socket.create_connection(self.upstream) as server:
            pump = threading.Thread(target=_pipe, args=(server, client), daemon=True)
            pump.start()
            _pipe(client, server)
            pump.join(timeout=5)


def _pipe(source: socket.socket, target: socket.socket) -> None:
    try:
        while chunk := source.recv(65536):
            target.sendall(chunk)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


def _read_request(conn: socket.socket) -> None:
    """Consume one request, so the client is not cut off mid-send and sees our answer."""
    conn.settimeout(5)
    buffer = b""
    while b"\r\n\r\n" not in buffer:
        chunk = conn.recv(65536)
        if not chunk:
            return
        buffer += chunk
    head, _, body = buffer.partition(b"\r\n\r\n")
    headers = {
        name.strip().lower(): value.strip()
        for name, _, value in (line.partition(b":") for line in head.split(b"\r\n")[1:])
    }
    if headers.get(b"expect", b"").lower() == b"100-continue":
        return
    remaining = int(headers.get(b"content-length", b"0")) - len(body)
    while remaining > 0:
        chunk = conn.recv(min(remaining, 65536))
        if not chunk:
            return
        remaining -= len(chunk)


def _error_response(fault: Respond) -> bytes:
    body = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f"<Error><Code>{fault.code}</Code><Message>injected {fault.code}</Message>"
        "<RequestId>fault-proxy</RequestId></Error>"
    ).encode()
    head = (
        f"HTTP/1.1 {fault.status} {fault.reason}\r\n"
        "Content-Type: application/xml\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    return head + body
