"""Assignments over HTTP: the flows, errors as JSON, bounds, and the authorization matrix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.support.api_server import Api
from tests.support.images import photograph, png
from tests.support.portal_api import assert_error, create_assignment
from tests.support.texts import TEXT


def test_teacher_creates_lists_gets_and_deletes(teacher: httpx.Client) -> None:
    created = create_assignment(teacher, with_image=True)
    assignment_id = created["assignment_id"]
    assert created["s3_image_key"] == f"generated_images/{assignment_id}.webp"
    assert created["s3_upload_status"] == "success" and created["version"] == 1
    assert len(created["question_answers"]) == 5
    assert all(qa["answer"] for qa in created["question_answers"])
    image = teacher.get(created["cloudfront_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"

    listing = teacher.get("/api/assignments", params={"limit": 100}).json()
    assert assignment_id in [item["assignment_id"] for item in listing["items"]]
    assert teacher.get(f"/api/assignments/{assignment_id}").json() == created

    assert teacher.delete(f"/api/assignments/{assignment_id}").status_code == 204
    assert_error(teacher.get(f"/api/assignments/{assignment_id}"), 404, "not_found")
    gone = teacher.get(created["cloudfront_url"])
    assert gone.status_code == 404 and gone.headers["cache-control"] == "no-store"


def test_pagination_is_newest_first(teacher: httpx.Client) -> None:
    before = teacher.get("/api/assignments", params={"limit": 1}).json()["total"]
    ids = [create_assignment(teacher)["assignment_id"] for _ in range(3)]
    first = teacher.get("/api/assignments", params={"limit": 2}).json()
    second = teacher.get("/api/assignments", params={"limit": 1, "offset": 2}).json()
    assert [a["assignment_id"] for a in first["items"] + second["items"]] == ids[::-1]
    assert first["total"] == before + 3


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 1_000_001},
        {"offset": 2**64},  # was a 500: an SQLite integer overflow
        {"limit": "ten"},
    ],
)
def test_out_of_bounds_paging_is_a_clear_422(teacher: httpx.Client, params: dict[str, Any]) -> None:
    sentence = assert_error(teacher.get("/api/assignments", params=params), 422, "validation")
    assert sentence.startswith("The request is not valid: query.")


def test_teacher_uploads_and_removes_an_own_image(api: Api, teacher: httpx.Client) -> None:
    created = create_assignment(teacher, with_image=True)
    assignment_id = created["assignment_id"]
    response = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("photo.png", png(photograph("chelsea")), "image/png")},
    )
    assert response.status_code == 202, response.text  # accepted into the pipeline
    body = response.json()
    upload = body["image_upload"]
    assert (upload["state"], upload["label"], upload["message"]) == (
        "pending",
        "Your image: photo.png",
        None,
    )
    assert body["s3_image_key"] == created["s3_image_key"]  # the current image, meanwhile
    assert body["cloudfront_url"] == created["cloudfront_url"]

    api.container.worker().run(drain=True)
    adopted = teacher.get(f"/api/assignments/{assignment_id}").json()
    assert adopted["s3_image_key"] == f"processed/{upload['image_id']}.webp"
    assert adopted["image_upload"] is None
    assert adopted["image_metadata"]["format"] == "webp"
    assert adopted["image_metadata"]["dimensions"] == "451x300"
    # How the pipeline's worker encoded it, read back from the object it stored.
    assert adopted["image_metadata"]["mode"] == "lossy"
    assert 0 < adopted["image_metadata"]["quality"] < 85  # a smooth photo needs less
    assert adopted["image_metadata"]["ssim"] >= 0.95
    assert created["image_metadata"]["ssim"] >= 0.95  # the generated poster's, as stored
    assert adopted["thumbnail_keys"] == [
        f"thumbnails/{upload['image_id']}/128.webp",
        f"thumbnails/{upload['image_id']}/256.webp",
    ]
    assert teacher.get(adopted["cloudfront_url"]).status_code == 200
    assert teacher.get(created["cloudfront_url"]).status_code == 404  # its own, deleted
    assert teacher.post(f"/api/assignments/{assignment_id}/image/permanent").status_code == 204

    removed = teacher.delete(f"/api/assignments/{assignment_id}/image")
    assert removed.status_code == 200 and removed.json()["s3_image_key"] == "no_image"
    assert removed.json()["cloudfront_url"] is None and removed.json()["thumbnail_keys"] == []


def test_a_pending_image_has_no_url_yet_and_students_see_no_upload(
    api: Api, teacher: httpx.Client, student: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("photo.png", png(photograph("chelsea")), "image/png")},
    )
    pending = teacher.get(f"/api/assignments/{assignment_id}").json()
    assert (pending["s3_upload_status"], pending["s3_image_key"]) == ("pending", "no_image")
    assert pending["cloudfront_url"] is None  # no URL that could break
    assert pending["image_upload"]["state"] == "pending"
    seen = student.get(f"/api/assignments/{assignment_id}").json()
    assert seen["image_upload"] is None and seen["s3_upload_status"] == "pending"
    api.container.worker().run(drain=True)


def test_a_file_the_pipeline_refuses_leaves_the_image_and_says_why(
    api: Api, teacher: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    wrong = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("notes.png", b"just some text", "image/png")},
    )
    assert wrong.status_code == 202, wrong.text  # decided from the bytes, by the pipeline
    api.container.worker().run(drain=True)
    current = teacher.get(f"/api/assignments/{assignment_id}").json()
    assert current["s3_image_key"] == "no_image" and current["s3_upload_status"] == "no_image"
    assert current["image_upload"]["state"] == "rejected"
    assert "not an image we can read" in current["image_upload"]["message"]


def test_an_oversized_file_or_a_missing_field_is_a_clear_error_and_changes_nothing(
    teacher: httpx.Client,
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    too_big = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("big.png", b"\x89PNG" + b"0" * 2_100_000, "image/png")},
    )
    assert "2.0 MB, the largest we accept" in assert_error(too_big, 413, "too_large")
    no_field = teacher.post(
        f"/api/assignments/{assignment_id}/image", files={"picture": ("a.png", b"x", "image/png")}
    )
    assert "field named 'file'" in assert_error(no_field, 422, "validation")
    empty = teacher.post(
        f"/api/assignments/{assignment_id}/image", files={"file": ("a.png", b"", "image/png")}
    )
    assert "The file is empty." in assert_error(empty, 422, "validation")
    current = teacher.get(f"/api/assignments/{assignment_id}").json()
    assert current["s3_image_key"] == "no_image" and current["version"] == 1


@pytest.mark.parametrize(
    ("bad_id", "status", "kind"),
    [
        ("nope", 404, "not_found"),
        ("1700000000000-abcdef", 404, "not_found"),
        ("x" * 65, 422, "validation"),
    ],
)
def test_bad_or_unknown_ids(teacher: httpx.Client, bad_id: str, status: int, kind: str) -> None:
    assert_error(teacher.get(f"/api/assignments/{bad_id}"), status, kind)


def test_a_path_outside_the_api_is_404_json(anonymous: httpx.Client) -> None:
    assert_error(anonymous.get("/api/assignments/a/b/c/d"), 404, "http")


# The authorization matrix: (who, method, path, expected status). {id} is a teacher1 assignment.
MATRIX = [
    ("anonymous", "GET", "/api/assignments", 401),
    ("anonymous", "GET", "/api/assignments/{id}", 401),
    ("anonymous", "POST", "/api/assignments", 401),
    ("anonymous", "DELETE", "/api/assignments/{id}", 401),
    ("anonymous", "PATCH", "/api/assignments/{id}", 401),
    ("anonymous", "POST", "/api/assignments/{id}/image", 401),
    ("anonymous", "POST", "/api/assignments/{id}/answers", 401),
    ("anonymous", "GET", "/api/assignments/{id}/leaderboard", 401),
    ("student", "POST", "/api/assignments", 403),
    ("student", "DELETE", "/api/assignments/{id}", 403),
    ("student", "PATCH", "/api/assignments/{id}", 403),
    ("student", "PUT", "/api/assignments/{id}/questions", 403),
    ("student", "POST", "/api/assignments/{id}/image", 403),
    ("student", "DELETE", "/api/assignments/{id}/image", 403),
    ("student", "POST", "/api/assignments/{id}/image/permanent", 403),
    ("student", "GET", "/api/assignments/{id}", 200),
    ("student", "POST", "/api/assignments/{id}/answers", 200),
    ("other_teacher", "DELETE", "/api/assignments/{id}", 403),
    ("other_teacher", "PATCH", "/api/assignments/{id}", 403),
    ("other_teacher", "PUT", "/api/assignments/{id}/questions", 403),
    ("other_teacher", "POST", "/api/assignments/{id}/image", 403),
    ("other_teacher", "POST", "/api/assignments/{id}/answers", 403),
    ("teacher", "POST", "/api/assignments/{id}/answers", 403),
    ("teacher", "PUT", "/api/assignments/{id}/questions", 200),
]
BODIES: dict[str, Any] = {
    "/api/assignments": {"json": {"text": TEXT, "with_image": False}},
    "/api/assignments/{id}": {"json": {"version": 1, "title": "Taken over"}},
    "/api/assignments/{id}/answers": {"json": {"question_id": "q1", "answer": "an answer"}},
    "/api/assignments/{id}/questions": {
        "json": {"question_answers": [{"question": "What?", "answer": "That."}]}
    },
    "/api/assignments/{id}/image": {
        "files": {"file": ("a.png", png(photograph("coffee")), "image/png")}
    },
}


@pytest.fixture(scope="module")
def matrix_assignment(teacher: httpx.Client) -> str:
    return str(create_assignment(teacher)["assignment_id"])


@pytest.mark.parametrize(("who", "method", "path", "expected"), MATRIX)
def test_authorization_matrix(
    request: pytest.FixtureRequest,
    teacher: httpx.Client,
    matrix_assignment: str,
    who: str,
    method: str,
    path: str,
    expected: int,
) -> None:
    client: httpx.Client = request.getfixturevalue(who)
    before = teacher.get(f"/api/assignments/{matrix_assignment}").json()
    body = BODIES.get(path, {}) if method in ("POST", "PUT", "PATCH") else {}
    response = client.request(method, path.format(id=matrix_assignment), **body)
    if expected >= 400:
        assert_error(response, expected)
        after = teacher.get(f"/api/assignments/{matrix_assignment}").json()
        assert after == before  # a refused request changes nothing
    else:
        assert response.status_code == expected, response.text
    if expected == 401:
        assert response.headers["www-authenticate"] == "Bearer"


def test_a_title_is_proposed_from_the_text_or_taken_as_given(teacher: httpx.Client) -> None:
    proposed = create_assignment(teacher)
    assert proposed["title"] == "The mitochondrion is the powerhouse of the cell"
    given = teacher.post(
        "/api/assignments", json={"text": TEXT, "with_image": False, "title": "  Cells  101 "}
    )
    assert given.status_code == 201 and given.json()["title"] == "Cells 101"
    too_long = teacher.post("/api/assignments", json={"text": TEXT, "title": "x" * 121})
    assert_error(too_long, 422, "validation")
