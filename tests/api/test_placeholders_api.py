"""Every stored image's tiny preview in the API (issue 11, "Instant paints"): with a generated
image's figures, with an upload's record and the image adopted from it, documented in the
OpenAPI schema, and null for images stored before previews were made."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import httpx

from eduportal.domain.images import MAX_PLACEHOLDER_CHARS
from tests.support.api_server import Api
from tests.support.images import decoded_placeholder, photograph, png
from tests.support.portal_api import create_assignment


def assert_previews(figures: dict[str, Any]) -> str:
    """The figures' placeholder, which must show the image's shape in a few hundred bytes."""
    placeholder: str = figures["placeholder"]
    assert len(placeholder) <= MAX_PLACEHOLDER_CHARS
    preview = decoded_placeholder(placeholder)
    width, height = (int(side) for side in figures["dimensions"].split("x"))
    assert max(preview.size) == 20
    assert abs(preview.width / preview.height - width / height) < 0.1
    return placeholder


def test_an_assignments_figures_carry_the_preview_for_teacher_and_student(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    created = create_assignment(teacher, with_image=True)
    placeholder = assert_previews(created["image_metadata"])
    url = f"/api/assignments/{created['assignment_id']}"
    assert student.get(url).json()["image_metadata"]["placeholder"] == placeholder
    listing = teacher.get("/api/assignments", params={"limit": 100}).json()["items"]
    (listed,) = [item for item in listing if item["assignment_id"] == created["assignment_id"]]
    assert listed["image_metadata"]["placeholder"] == placeholder


def test_an_upload_gets_its_preview_once_processed_and_the_assignment_adopts_it(
    api: Api, teacher: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    taken = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("photo.png", png(photograph("chelsea")), "image/png")},
    )
    assert taken.status_code == 202, taken.text
    image_id = taken.json()["image_upload"]["image_id"]
    assert teacher.get(f"/api/uploads/{image_id}").json()["placeholder"] is None

    api.container.worker().run(drain=True)
    record = teacher.get(f"/api/uploads/{image_id}").json()
    adopted = teacher.get(f"/api/assignments/{assignment_id}").json()
    # Read back from the processed object's metadata, written by the pipeline's worker.
    assert assert_previews(adopted["image_metadata"]) == record["placeholder"]
    listing = teacher.get("/api/uploads", params={"limit": 100}).json()["items"]
    (listed,) = [item for item in listing if item["image_id"] == image_id]
    assert listed["placeholder"] == record["placeholder"]


def test_an_image_stored_before_previews_has_none(api: Api, teacher: httpx.Client) -> None:
    created = create_assignment(teacher, with_image=True)
    repository = api.container.repositories.assignments
    stored = repository.get(created["assignment_id"])
    assert stored.image_metadata is not None
    older = replace(stored, image_metadata=replace(stored.image_metadata, placeholder=None))
    repository.replace(older, expected_version=stored.version)

    figures = teacher.get(f"/api/assignments/{created['assignment_id']}").json()["image_metadata"]
    assert figures["placeholder"] is None
    assert figures["dimensions"] == created["image_metadata"]["dimensions"]


def test_the_openapi_says_what_a_client_does_with_the_preview(anonymous: httpx.Client) -> None:
    schemas = anonymous.get("/openapi.json").json()["components"]["schemas"]
    for name in ("ImageMetadataView", "UploadSummary", "UploadRecordView"):
        described = schemas[name]["properties"]["placeholder"]["description"]
        assert "data:image/webp;base64," in described, name
        assert "blurred" in described and "once the image has loaded" in described, name
