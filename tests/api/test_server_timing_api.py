"""`Server-Timing` over real HTTP: a create reports its storage operations (the generation
cache's among them), the image origin its download on a cache miss, and a request that
touched no storage carries no header."""

from __future__ import annotations

import httpx

from eduportal.observability.server_timing import parse
from tests.support.portal_api import create_assignment
from tests.support.texts import SCIENCE


def test_a_create_reports_each_upload_and_the_origin_its_download_on_a_miss(
    teacher: httpx.Client, student: httpx.Client, anonymous: httpx.Client
) -> None:
    response = teacher.post("/api/assignments", json={"text": SCIENCE, "with_image": True})
    assert response.status_code == 201, response.text
    created = response.json()
    timings = parse(response.headers["server-timing"])
    # A first illustration of this text: the generation cache looked up (a miss, no
    # failure) and the drawing kept (one upload); the image and each thumbnail, one each.
    assert sorted(t.name for t in timings) == ["storage-get"] + ["storage-put"] * (
        2 + len(created["thumbnail_keys"])
    )
    assert all(t.duration_ms is not None and t.duration_ms > 0 for t in timings)
    assert all(t.description is None for t in timings)

    viewed = student.get(f"/api/assignments/{created['assignment_id']}")
    assert viewed.status_code == 200
    assert "server-timing" not in viewed.headers  # the record, not an object

    url = created["cloudfront_url"]
    first = anonymous.get(url)
    assert first.status_code == 200
    (download,) = parse(first.headers["server-timing"])
    assert download.name == "storage-get"
    assert download.duration_ms is not None and download.duration_ms > 0
    again = anonymous.get(url)
    assert again.status_code == 200
    assert "server-timing" not in again.headers  # answered from memory


def test_requests_without_storage_carry_no_header(
    teacher: httpx.Client, anonymous: httpx.Client
) -> None:
    create_assignment(teacher)  # without an image
    assert "server-timing" not in teacher.get("/api/assignments").headers
    assert "server-timing" not in anonymous.get("/healthz").headers
