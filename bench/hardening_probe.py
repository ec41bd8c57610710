"""Probe a running portal as a hostile client would, and print what it let through.

Starts `eduportal serve --no-ui` from a source tree (this checkout by default, or an older one
with `--src`, to compare before and after a change) on a fresh data directory, then:

- declares a 50 MB upload without signing in and counts the body bytes it can push before the
  server answers (a server that answers from the headers and hangs up leaves only what
  loopback's socket buffers took, a few MB; one that reads the body takes all of it);
- asks for a listing with an offset past 64 bits, and for an image key with a 300-character
  segment;
- opens 40 connections that send half a request line, and counts those still open after the
  header deadline and a margin;
- tries 30 wrong passwords for one account from one address, and counts the answers;
- reads the security headers of `/docs` and whether it fetches anything from a CDN.

Everything runs on loopback against a server this script starts and stops. Results are JSON on
standard output.
"""

from __future__ import annotations

import argparse
import json
import os
import select
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

HOST = "127.0.0.1"
UPLOAD_BYTES = 50 * 1024 * 1024
HALF_REQUESTS = 40
WRONG_PASSWORDS = 30
PROBE_PASSWORD = "probe password 1"
_FILE_PART = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\n"
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def start_server(src: Path, data: Path, port: int) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("EDUPORTAL_")}
    env.update(
        PYTHONPATH=str(src),
        EDUPORTAL_DATA_DIR=str(data),
        EDUPORTAL_API_PORT=str(port),
        EDUPORTAL_PUBLIC_URL=f"http://{HOST}:{port}",
        EDUPORTAL_GENERATORS="offline",
    )
    image = data.parent / "probe.png"
    Image.new("RGB", (64, 64), (10, 20, 30)).save(image)
    # One stored object, so the objects directory exists as it does on a used server.
    subprocess.run(
        [sys.executable, "-m", "eduportal", "image", "put", str(image), "--assignment-id", "a1"],
        env=env,
        check=True,
        capture_output=True,
    )
    subprocess.run(
        [sys.executable, "-m", "eduportal", "users", "add", "probe", "--role", "student"],
        env=env,
        input=PROBE_PASSWORD + "\n",
        check=True,
        capture_output=True,
        text=True,
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "eduportal", "serve", "--no-ui"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://{HOST}:{port}/healthz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit(f"the server did not start: {process.communicate()[1]}")


def declared_upload(port: int) -> dict[str, Any]:
    with socket.create_connection((HOST, port), timeout=30) as sock:
        sock.sendall(
            b"POST /api/assignments/0001700000000-abc123/image HTTP/1.1\r\nHost: probe\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: %d\r\n\r\n" % UPLOAD_BYTES + _FILE_PART
        )
        sent, chunk = 0, b"x" * 65536
        while sent < UPLOAD_BYTES:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(chunk[: UPLOAD_BYTES - sent])
            except OSError:
                break
            sent += min(len(chunk), UPLOAD_BYTES - sent)
        try:
            status = sock.recv(200).split(b"\r\n", 1)[0].decode()
        except OSError as exc:
            status = f"connection closed ({type(exc).__name__})"
    return {"body_bytes_pushed_before_the_answer_kernel_buffers_included": sent, "answer": status}


def half_requests(port: int, wait: float) -> int:
    sockets = [socket.create_connection((HOST, port)) for _ in range(HALF_REQUESTS)]
    for sock in sockets:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: pro")
    time.sleep(wait)  # the deadline under test, plus a margin
    still_open = 0
    for sock in sockets:
        sock.setblocking(False)
        try:
            still_open += sock.recv(16) != b""
        except BlockingIOError:
            still_open += 1
        except OSError:
            pass
        sock.close()
    return still_open


def probe(src: Path, header_wait: float) -> dict[str, Any]:
    port = free_port()
    data = Path(tempfile.mkdtemp(prefix="eduportal-probe-")) / "data"
    process = start_server(src, data, port)
    base = f"http://{HOST}:{port}"
    try:
        with httpx.Client(base_url=base, timeout=30) as client:
            token = client.post(
                "/api/login", json={"username": "probe", "password": PROBE_PASSWORD}
            ).json()["token"]
            offset = client.get(
                "/api/assignments",
                params={"offset": 2**64},
                headers={"Authorization": f"Bearer {token}"},
            )
            long_key = client.get(f"/images/generated_images/{'a' * 300}.webp")
            guesses = Counter(
                client.post(
                    "/api/login", json={"username": "teacher", "password": f"wrong-{n}"}
                ).status_code
                for n in range(WRONG_PASSWORDS)
            )
            others = client.post(
                "/api/login", json={"username": "probe", "password": PROBE_PASSWORD}
            )
            docs = client.get("/docs")
            return {
                "source": str(src),
                "anonymous_50_MB_upload": declared_upload(port),
                "offset_2**64": offset.status_code,
                "300_character_key_segment": long_key.status_code,
                f"half_requests_open_after_{header_wait:g}_s_of_{HALF_REQUESTS}": half_requests(
                    port, header_wait
                ),
                f"{WRONG_PASSWORDS}_wrong_passwords_one_account": {
                    str(status): count for status, count in sorted(guesses.items())
                },
                "then_another_account_signs_in_from_that_address": others.status_code,
                "docs_cdn_urls": docs.text.count("https://cdn"),
                "docs_headers": {
                    name: docs.headers.get(name)
                    for name in (
                        "x-content-type-options",
                        "referrer-policy",
                        "content-security-policy",
                    )
                },
            }
    finally:
        process.terminate()
        process.wait(timeout=15)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.hardening_probe",
        description="Start the portal from a source tree and probe it as a hostile client; "
        "print what it let through as JSON. Compare two trees by running it twice.",
    )
    parser.add_argument(
        "--src",
        type=Path,
        default=Path(__file__).resolve().parents[1] / "src",
        help="the source tree to run (default: this checkout's src/)",
    )
    parser.add_argument(
        "--header-wait",
        type=float,
        default=15.0,
        help="seconds the half requests wait before they are counted (default 15: the "
        "10 s header deadline and a margin)",
    )
    args = parser.parse_args(argv)
    json.dump(probe(args.src.resolve(), args.header_wait), sys.stdout, indent=2)
    sys.stdout.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
