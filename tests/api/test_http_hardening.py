"""The HTTP surface under hostile or careless clients: huge and stalled bodies, slow headers,
security headers, offline docs, correlation ids, absurd image keys.

This module's server gives up on stalled headers and bodies after one second.
"""

from __future__ import annotations

import json
import select
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from eduportal.domain.drafts import NO_DRAFT
from eduportal.imaging.placeholder import placeholder_image
from eduportal.services.drafts import ChosenImage
from tests.support.api_server import Api
from tests.support.fixture_types import JsonLog
from tests.support.images import photograph, png
from tests.support.portal_api import assert_error, create_assignment

TIMEOUT = 1.0


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    return {"header_timeout_seconds": TIMEOUT, "body_timeout_seconds": TIMEOUT}


SEND_BUFFER = 65536
"""The pushing client's own send buffer, set small so that what it manages to push beyond
what the server read is mostly the server's receive buffer."""


def connect(api: Api) -> socket.socket:
    host, port = api.url.removeprefix("http://").split(":")
    sock = socket.create_connection((host, int(port)), timeout=10)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SEND_BUFFER)
    return sock


def kernel_buffers() -> int:
    """The most loopback can hold between a client's `send` and a server's `recv`: the
    server's receive buffer grows up to `tcp_rmem`'s maximum (32 MB on one machine, 6 MB by
    Linux's default, which a CI run came close to), and the client's is set to SEND_BUFFER
    (which Linux doubles for its bookkeeping)."""
    receive = Path("/proc/sys/net/ipv4/tcp_rmem").read_text().split()[2]
    return int(receive) + 2 * SEND_BUFFER


def read_response(sock: socket.socket) -> tuple[int, dict[str, str], bytes]:
    """Status, headers and body of one response (the server closes after it)."""
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return parse_response(data)


def parse_response(data: bytes) -> tuple[int, dict[str, str], bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, v in (line.split(":", 1) for line in header_lines)}
    return int(status_line.split()[1]), headers, body


# --- bodies are limited before they are read ---------------------------------------------------


def test_a_declared_200_mb_upload_is_refused_before_any_body_byte(api: Api) -> None:
    with connect(api) as sock:
        sock.sendall(
            b"POST /api/assignments/0001700000000-abc123/image HTTP/1.1\r\n"
            b"Host: test\r\nContent-Type: multipart/form-data; boundary=x\r\n"
            b"Content-Length: 209715200\r\n\r\n"
        )
        status, headers, body = read_response(sock)  # not one body byte sent
    assert status == 413 and headers["connection"] == "close"
    error = json.loads(body)
    assert error["kind"] == "too_large" and "2.0 MB, the largest we accept" in error["error"]


FILE_PART = (
    b'--x\r\nContent-Disposition: form-data; name="file"; filename="a.png"\r\n'
    b"Content-Type: image/png\r\n\r\n"
)


UPLOAD_LIMIT = 2_000_000  # the api fixture's max_upload_bytes
PUSH_CAP = UPLOAD_LIMIT + 2 * kernel_buffers() + 16_000_000
"""Far more than the buffers could take: a server that kept reading would reach it."""
SENT_AT_MOST = UPLOAD_LIMIT + kernel_buffers() + 1_000_000
"""What a server that stops reading at the limit lets through: the limit, the buffers, and a
margin for the time it takes to answer."""


def push_chunked(sock: socket.socket, head: bytes) -> tuple[int, bytes]:
    """Send `head`, then a multipart file part that never ends, until the server answers or
    hangs up; return the body bytes sent and whatever answer arrived."""
    chunk = b"x" * 65536
    sent = 0
    answer = b""
    sock.sendall(head + b"%x\r\n%s\r\n" % (len(FILE_PART), FILE_PART))
    while sent < PUSH_CAP:
        try:
            if select.select([sock], [], [], 0)[0]:
                break
            sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        except (BrokenPipeError, ConnectionResetError):
            break
        sent += len(chunk)
    try:
        while data := sock.recv(65536):
            answer += data
    except ConnectionResetError:
        pass  # closed with unread input: the answer may be lost to the reset
    return sent, answer


ANONYMOUS_CHUNKED_UPLOAD = (
    b"POST /api/assignments/0001700000000-abc123/image HTTP/1.1\r\nHost: test\r\n"
    b"Content-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n"
)


def test_an_anonymous_chunked_upload_is_answered_401_before_its_body_ends(api: Api) -> None:
    """No Content-Length and no token: the answer comes before the body is finished (it never
    is here), and the connection is closed."""
    with connect(api) as sock:
        sock.sendall(ANONYMOUS_CHUNKED_UPLOAD + b"%x\r\n%s\r\n" % (len(FILE_PART), FILE_PART))
        status, headers, body = read_response(sock)
    assert status == 401 and headers["connection"] == "close"
    assert json.loads(body)["kind"] == "unauthenticated"


def test_an_anonymous_chunked_upload_is_not_drained(api: Api) -> None:
    """A client that keeps pushing after the 401 is cut off rather than read to the end, so
    it cannot keep the server busy. (Its copy of the 401 may be lost to the reset that closing
    with unread input sends; the test above reads it.)"""
    with connect(api) as sock:
        sent, _ = push_chunked(sock, ANONYMOUS_CHUNKED_UPLOAD)
    # What the client managed to push is what loopback's kernel buffers hold, no more.
    assert sent < SENT_AT_MOST, f"{sent} bytes sent before the server hung up"


def test_a_signed_in_chunked_upload_is_cut_off_at_the_limit(
    api: Api, teacher: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    token = teacher.headers["authorization"].encode()
    with connect(api) as sock:
        sent, answer = push_chunked(
            sock,
            b"POST /api/assignments/%s/image HTTP/1.1\r\nHost: test\r\n"
            b"Authorization: %s\r\nTransfer-Encoding: chunked\r\n"
            b"Content-Type: multipart/form-data; boundary=x\r\n\r\n"
            % (assignment_id.encode(), token),
        )
    status, headers, body = parse_response(answer)
    assert status == 413 and headers["connection"] == "close"
    assert "2.0 MB, the largest we accept" in json.loads(body)["error"]
    assert sent < SENT_AT_MOST, f"{sent} bytes sent before the answer"
    assert teacher.get(f"/api/assignments/{assignment_id}").json()["version"] == 1


def test_a_json_body_over_its_small_limit_is_413_even_before_sign_in(
    anonymous: httpx.Client,
) -> None:
    response = anonymous.post(
        "/api/assignments", content=b'{"text": "' + b"a" * 300_000 + b'"}',
        headers={"Content-Type": "application/json"},
    )  # fmt: skip
    assert "256 KB" in assert_error(response, 413, "too_large")


def test_authentication_and_ownership_come_before_the_upload_is_parsed(
    anonymous: httpx.Client, student: httpx.Client, teacher: httpx.Client
) -> None:
    """A malformed multipart body would be a 400 if it were parsed first."""
    assignment_id = create_assignment(teacher)["assignment_id"]
    garbage = {"content": b"--nope\r\n\r\n", "headers": {"Content-Type": "multipart/form-data"}}
    path = f"/api/assignments/{assignment_id}/image"
    assert_error(anonymous.post(path, **garbage), 401)  # type: ignore[arg-type]
    assert_error(student.post(path, **garbage), 403)  # type: ignore[arg-type]
    assert_error(teacher.post(path, **garbage), 400)  # type: ignore[arg-type]


def test_a_stalled_body_is_answered_408(api: Api) -> None:
    with connect(api) as sock:
        sock.sendall(
            b"POST /api/login HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n" + b'{"username": "te'
        )
        started = time.monotonic()
        status, headers, body = read_response(sock)
    assert status == 408 and headers["connection"] == "close"
    assert json.loads(body)["kind"] == "timeout"
    assert TIMEOUT <= time.monotonic() - started < TIMEOUT + 5


# --- slow clients --------------------------------------------------------------------------------


def test_connections_that_never_finish_their_headers_are_closed(api: Api) -> None:
    """40 clients send half a request line and then nothing: all are dropped after the
    header deadline (before, all 40 stayed open for as long as they liked)."""
    sockets = [connect(api) for _ in range(40)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: te")
        started = time.monotonic()
        closed = 0
        for sock in sockets:
            sock.settimeout(TIMEOUT + 5)
            try:
                closed += sock.recv(1024) == b""
            except ConnectionResetError:
                closed += 1
        elapsed = time.monotonic() - started
    finally:
        for sock in sockets:
            sock.close()
    assert closed == 40
    assert elapsed < TIMEOUT + 5
    with httpx.Client(base_url=api.url) as client:  # and the server still serves
        assert client.get("/healthz").status_code == 200


def read_one_response(sock: socket.socket) -> tuple[int, bytes]:
    """Status and body of one response on a connection that stays open (Content-Length)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the kept-alive connection"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, headers, _ = parse_response(head + b"\r\n\r\n")
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-response"
        body += chunk
    return status, body


def test_a_kept_alive_connection_outlives_the_header_deadline(api: Api) -> None:
    """The deadline runs per request, from its first byte: a connection that stays open
    longer than the deadline, idle between quick requests, is served every time. The pauses
    are the client's think time, and their sum must exceed the server's deadline."""
    with connect(api) as sock:
        for pause in (0.6 * TIMEOUT, 0.6 * TIMEOUT, 0):
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: test\r\n\r\n")
            assert read_one_response(sock) == (200, b'{"status":"ok"}')
            time.sleep(pause)


# --- headers -------------------------------------------------------------------------------------


def test_every_response_carries_nosniff_and_a_referrer_policy(
    anonymous: httpx.Client, teacher: httpx.Client
) -> None:
    created = create_assignment(teacher, with_image=True)
    for response in (
        anonymous.get("/healthz"),
        anonymous.get("/api/assignments"),  # a 401
        teacher.get("/api/assignments"),
        anonymous.get(created["cloudfront_url"]),
        anonymous.get("/images/generated_images/missing.webp"),
        anonymous.get("/docs"),
        anonymous.get("/openapi.json"),
    ):
        assert response.headers["x-content-type-options"] == "nosniff", response.url
        assert response.headers["referrer-policy"] == "no-referrer", response.url


def test_images_forbid_everything_and_pages_forbid_framing(
    anonymous: httpx.Client, teacher: httpx.Client
) -> None:
    image = anonymous.get(create_assignment(teacher, with_image=True)["cloudfront_url"])
    assert image.status_code == 200
    assert image.headers["content-security-policy"].startswith("default-src 'none'")
    assert "sandbox" in image.headers["content-security-policy"]
    docs = anonymous.get("/docs")
    assert docs.headers["content-security-policy"] == "frame-ancestors 'none'"
    assert docs.headers["x-frame-options"] == "DENY"
    assert teacher.get("/api/assignments").headers["cache-control"] == "no-store"
    assert "cache-control" not in anonymous.get("/healthz").headers


# --- the docs ------------------------------------------------------------------------------------


def test_the_docs_page_works_offline(anonymous: httpx.Client) -> None:
    page = anonymous.get("/docs")
    assert page.status_code == 200
    assert "cdn." not in page.text and "https://" not in page.text
    for asset in ("/docs-assets/swagger-ui-bundle.js", "/docs-assets/swagger-ui.css"):
        assert asset in page.text
        served = anonymous.get(asset)
        assert served.status_code == 200 and len(served.content) > 10_000


def test_the_docs_offer_authorize_and_document_every_error(anonymous: httpx.Client) -> None:
    spec = anonymous.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "description": "The token `POST /api/login` returns; sign-out with `POST /api/logout`.",
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            errors = [code for code in operation["responses"] if code[0] in "45"]
            if path.startswith("/api/"):
                assert errors, f"{method.upper()} {path} documents no error"
                for code in errors:
                    ref = operation["responses"][code]["content"]["application/json"]["schema"]
                    assert ref == {"$ref": "#/components/schemas/ErrorBody"}, (path, code)
            if path.startswith("/api/") and path != "/api/login":
                assert operation.get("security") == [{"HTTPBearer": []}], (method, path)
    origin = spec["paths"]["/images/{key}"]  # a plain route, documented by hand
    assert set(origin) == {"get", "head"}
    assert set(origin["get"]["responses"]) == {"200", "304", "404", "503"}
    upload = spec["paths"]["/api/assignments/{assignment_id}/image"]["post"]
    form = upload["requestBody"]["content"]["multipart/form-data"]["schema"]
    assert form["required"] == ["file"] and form["properties"]["file"]["format"] == "binary"


# --- correlation ids -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("req-2024-abc", True),
        ("A1", True),
        ("x" * 64, True),
        ("x" * 65, False),
        ("has space", False),
        ("dots.and_underscores", False),
        ("<script>", False),
    ],
)
def test_a_callers_correlation_id_is_kept_only_when_short_and_safe(
    anonymous: httpx.Client, sent: str, kept: bool
) -> None:
    echoed = anonymous.get("/healthz", headers={"X-Correlation-ID": sent}).headers[
        "x-correlation-id"
    ]
    if kept:
        assert echoed == sent
    else:
        assert echoed != sent and len(echoed) == 16 and int(echoed, 16) >= 0


# --- keys that cannot exist -------------------------------------------------------------------


def test_an_absurdly_long_key_is_simply_not_found(
    api: Api, anonymous: httpx.Client, json_log: JsonLog
) -> None:
    """Was a 503, an ERROR line and a storage failure in the metrics (ENAMETOOLONG)."""
    metrics: Any = api.container.metrics
    failures = metrics.value("image_download_failures_total", backend="local", kind="unavailable")
    response = anonymous.get(f"/images/generated_images/{'a' * 300}.webp")
    assert response.status_code == 404
    assert response.content == placeholder_image()
    assert response.headers["cache-control"] == "no-store"
    assert not [line for line in json_log() if line["level"] in ("ERROR", "CRITICAL")]
    assert (
        metrics.value("image_download_failures_total", backend="local", kind="unavailable")
        == failures
    )


def test_a_teachers_draft_image_is_not_served_to_anyone(
    api: Api, anonymous: httpx.Client, teacher: httpx.Client
) -> None:
    """Unsaved work is private: the origin answers a draft's image as missing."""
    account = api.container.accounts.authenticate(teacher.headers["Authorization"][7:])
    draft = api.container.drafts.save(
        account,
        title="Mine",
        text="Not shared yet.",
        questions=[],
        image=ChosenImage(png(photograph("chelsea")), "Your image: cat.png"),
        expected_version=NO_DRAFT,
    )
    assert draft.image is not None
    for client in (anonymous, teacher):
        response = client.get(f"/images/{draft.image.key}")
        assert response.status_code == 404
        assert response.content == placeholder_image()
