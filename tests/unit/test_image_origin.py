"""The image origin and the health endpoints, through the ASGI app."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prometheus_client.parser import text_string_to_metric_families

from eduportal.api.app import create_app
from eduportal.api.routers.images import etag_matches
from eduportal.config import load_settings
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL
from eduportal.imaging.placeholder import placeholder_image
from eduportal.wiring import Container, build
from tests.support.images import photograph, png


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return build(load_settings(storage="local", data_dir=tmp_path))


@pytest.fixture
def client(container: Container) -> Iterator[TestClient]:
    with TestClient(create_app(container), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def key(container: Container) -> str:
    stored = container.image_store.store_generated("a1", png(photograph("chelsea")), teacher_id="t")
    return stored.key


def test_image_is_served_with_type_etag_and_cache_control(client: TestClient, key: str) -> None:
    response = client.get(f"/images/{key}")
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
    etag = response.headers["etag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert response.content[8:12] == b"WEBP"
    assert re.fullmatch(r"[0-9a-f]{16}", response.headers["x-correlation-id"])  # a fresh id
    assert client.get(f"/images/{key}").headers["etag"] == etag


def test_if_none_match_gives_304_without_a_body(client: TestClient, key: str) -> None:
    etag = client.get(f"/images/{key}").headers["etag"]
    again = client.get(f"/images/{key}", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    stale = client.get(f"/images/{key}", headers={"If-None-Match": '"something-else"'})
    assert stale.status_code == 200


def test_head_answers_headers_only(client: TestClient, key: str) -> None:
    full = client.get(f"/images/{key}")
    response = client.head(f"/images/{key}")
    assert response.status_code == 200 and response.content == b""
    for name in ("etag", "content-type", "content-length", "cache-control"):
        assert response.headers[name] == full.headers[name], name


def test_missing_key_is_404_with_the_placeholder_and_no_store(client: TestClient) -> None:
    response = client.get("/images/generated_images/none.webp")
    assert response.status_code == 404
    assert response.content == placeholder_image()
    assert response.headers["content-type"] == "image/webp"
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers


@pytest.mark.parametrize(
    "bad",
    [
        "%2E%2E/secret.webp",  # encoded, so the client does not resolve the dots itself
        "..%2Fsecret.webp",
        "generated_images/%2E%2E/%2E%2E/secret.webp",
        ".env",
    ],
)
def test_malformed_keys_are_404_never_a_file_outside(
    client: TestClient, tmp_path: Path, bad: str
) -> None:
    """Each key would name a real file if it were joined to the objects directory as is."""
    (tmp_path / "secret.webp").write_bytes(b"outside the objects")
    (tmp_path / "objects").mkdir(exist_ok=True)
    (tmp_path / "objects" / ".env").write_bytes(b"SECRET=1")
    response = client.get(f"/images/{bad}")
    assert response.status_code == 404
    assert response.content == placeholder_image()


def test_a_correlation_id_sent_by_the_caller_is_kept(client: TestClient, key: str) -> None:
    response = client.get(f"/images/{key}", headers={"X-Request-ID": "lb-request-12345"})
    assert response.headers["x-correlation-id"] == "lb-request-12345"


def test_health_readiness_and_metrics(client: TestClient, key: str) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    assert client.get("/readyz").json() == {"status": "ready", "storage": "local"}
    client.get(f"/images/{key}")
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(client.get("/metrics").text)
        for sample in family.samples
    }
    local = (("backend", "local"),)
    # The fixture's image and its two thumbnails: every object stored is an upload.
    assert samples[("image_upload_seconds_count", local)] == 3
    assert samples[("image_download_seconds_count", local)] == 1  # the GET above


def test_readiness_fails_with_a_message_when_storage_is_unusable(tmp_path: Path) -> None:
    container = build(load_settings(storage="local", data_dir=tmp_path))
    (tmp_path / "objects").write_text("a file where the objects directory should be")
    with TestClient(create_app(container)) as broken:
        response = broken.get("/readyz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable"
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    assert "unavailable" in body["error"]


def test_openapi_documents_the_origin(client: TestClient) -> None:
    assert "/images/{key}" in client.get("/openapi.json").json()["paths"]


@pytest.mark.parametrize(
    ("header", "matches"),
    [
        ('"abc"', True),
        ('W/"abc"', True),
        ('"x", "abc"', True),
        ("*", True),
        ('"abcd"', False),
        ("", False),
        (None, False),
    ],
)
def test_if_none_match_parsing(header: str | None, matches: bool) -> None:
    assert etag_matches(header, '"abc"') is matches
