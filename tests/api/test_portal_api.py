"""The REST API end to end over HTTP: flows, errors as JSON, and the authorization matrix."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.service.conftest import TEXT
from tests.support.images import photograph, png


def create(client: httpx.Client, with_image: bool = True) -> dict[str, Any]:
    response = client.post("/api/assignments", json={"text": TEXT, "with_image": with_image})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def test_login_gives_a_bearer_token(anonymous: httpx.Client) -> None:
    response = anonymous.post(
        "/api/login", json={"username": "teacher1", "password": "correct horse battery"}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer" and body["role"] == "teacher" and body["token"]


def test_a_bad_login_is_401_json_with_a_sentence_and_reference(anonymous: httpx.Client) -> None:
    response = anonymous.post("/api/login", json={"username": "teacher1", "password": "nope"})
    assert response.status_code == 401
    body = response.json()
    assert body["error"] == "The user name or password is not right."
    assert body["correlation_id"] == response.headers["x-correlation-id"]
    assert "Traceback" not in response.text


def test_teacher_creates_lists_gets_and_deletes(teacher: httpx.Client) -> None:
    created = create(teacher)
    assignment_id = created["assignment_id"]
    assert created["s3_image_key"] == f"generated_images/{assignment_id}.webp"
    assert created["s3_upload_status"] == "success"
    assert len(created["question_answers"]) == 5
    assert all(qa["answer"] for qa in created["question_answers"])
    image = teacher.get(created["cloudfront_url"])
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"

    listing = teacher.get("/api/assignments", params={"limit": 10}).json()
    assert listing["total"] == 1 and listing["items"][0]["assignment_id"] == assignment_id
    assert teacher.get(f"/api/assignments/{assignment_id}").json() == created

    assert teacher.delete(f"/api/assignments/{assignment_id}").status_code == 204
    assert teacher.get(f"/api/assignments/{assignment_id}").status_code == 404
    assert teacher.get(created["cloudfront_url"]).status_code == 404


def test_pagination(teacher: httpx.Client) -> None:
    ids = [create(teacher, with_image=False)["assignment_id"] for _ in range(3)]
    first = teacher.get("/api/assignments", params={"limit": 2}).json()
    second = teacher.get("/api/assignments", params={"limit": 2, "offset": 2}).json()
    assert [a["assignment_id"] for a in first["items"] + second["items"]] == ids[::-1]
    assert first["total"] == 3
    assert teacher.get("/api/assignments", params={"limit": 0}).status_code == 422


def test_students_answer_and_see_score_best_and_leaderboard(
    teacher: httpx.Client, student: httpx.Client, other_student: httpx.Client
) -> None:
    assignment_id = create(teacher, with_image=False)["assignment_id"]
    view = student.get(f"/api/assignments/{assignment_id}").json()
    assert all(qa["answer"] is None for qa in view["question_answers"])  # hidden from students
    reference = student.get(f"/api/assignments/{assignment_id}/questions/q1/answer").json()

    perfect = student.post(
        f"/api/assignments/{assignment_id}/answers",
        json={"question_id": "q1", "answer": reference["answer"]},
    ).json()
    assert perfect["score"] == 100.0 and perfect["best_score"] == 100.0
    worse = student.post(
        f"/api/assignments/{assignment_id}/answers",
        json={"question_id": "q1", "answer": "something else entirely"},
    ).json()
    assert worse["score"] < 100.0 and worse["best_score"] == 100.0
    other_student.post(
        f"/api/assignments/{assignment_id}/answers",
        json={"question_id": "q1", "answer": "no clue"},
    )
    board = student.get(f"/api/assignments/{assignment_id}/leaderboard").json()
    assert [row["student_id"] for row in board["q1"]] == ["student1", "student2"]
    assert set(board) == {"q1", "q2", "q3", "q4", "q5"}
    assert worse["suggestions"]["corrected"]


def test_teacher_uploads_an_own_image(teacher: httpx.Client) -> None:
    assignment_id = create(teacher, with_image=False)["assignment_id"]
    response = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("photo.png", png(photograph("chelsea")), "image/png")},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["s3_image_key"] == f"generated_images/{assignment_id}.webp"
    assert body["image_metadata"]["format"] == "webp"
    assert teacher.get(body["cloudfront_url"]).status_code == 200
    permanent = teacher.post(f"/api/assignments/{assignment_id}/image/permanent")
    assert permanent.status_code == 204


def test_a_wrong_file_is_a_clear_422(teacher: httpx.Client) -> None:
    assignment_id = create(teacher, with_image=False)["assignment_id"]
    response = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("notes.txt", b"just some text", "text/plain")},
    )
    assert response.status_code == 422
    assert "not an image we can read" in response.json()["error"]
    too_big = teacher.post(
        f"/api/assignments/{assignment_id}/image",
        files={"file": ("big.png", b"\x89PNG" + b"0" * 2_100_000, "image/png")},
    )
    assert too_big.status_code == 422 and "largest we accept" in too_big.json()["error"]
    assert teacher.get(f"/api/assignments/{assignment_id}").json()["s3_image_key"] == "no_image"


@pytest.mark.parametrize("bad_id", ["nope", "../etc", "1700000000000-abcdef"])
def test_bad_or_unknown_ids_are_404_or_422(teacher: httpx.Client, bad_id: str) -> None:
    response = teacher.get(f"/api/assignments/{bad_id}")
    assert response.status_code in (404, 422)
    assert response.json()["correlation_id"]


def test_health_readiness_metrics_and_docs_need_no_token(anonymous: httpx.Client) -> None:
    assert anonymous.get("/healthz").status_code == 200
    ready = anonymous.get("/readyz").json()
    assert ready == {"status": "ready", "storage": "local"}
    assert "image_upload_seconds" in anonymous.get("/metrics").text
    paths = anonymous.get("/openapi.json").json()["paths"]
    assert "/api/assignments/{assignment_id}/answers" in paths


# The authorization matrix: (who, method, path, expected status). {id} is a teacher1 assignment.
MATRIX = [
    ("anonymous", "GET", "/api/assignments", 401),
    ("anonymous", "GET", "/api/assignments/{id}", 401),
    ("anonymous", "POST", "/api/assignments", 401),
    ("anonymous", "DELETE", "/api/assignments/{id}", 401),
    ("anonymous", "POST", "/api/assignments/{id}/answers", 401),
    ("anonymous", "GET", "/api/assignments/{id}/leaderboard", 401),
    ("student", "POST", "/api/assignments", 403),
    ("student", "DELETE", "/api/assignments/{id}", 403),
    ("student", "PUT", "/api/assignments/{id}/questions", 403),
    ("student", "POST", "/api/assignments/{id}/image", 403),
    ("student", "POST", "/api/assignments/{id}/image/permanent", 403),
    ("student", "GET", "/api/assignments/{id}", 200),
    ("student", "POST", "/api/assignments/{id}/answers", 200),
    ("other_teacher", "DELETE", "/api/assignments/{id}", 403),
    ("other_teacher", "PUT", "/api/assignments/{id}/questions", 403),
    ("other_teacher", "POST", "/api/assignments/{id}/answers", 403),
    ("teacher", "POST", "/api/assignments/{id}/answers", 403),
    ("teacher", "PUT", "/api/assignments/{id}/questions", 200),
]
BODIES: dict[str, Any] = {
    "/api/assignments": {"json": {"text": TEXT, "with_image": False}},
    "/api/assignments/{id}/answers": {"json": {"question_id": "q1", "answer": "an answer"}},
    "/api/assignments/{id}/questions": {
        "json": {"question_answers": [{"question": "What?", "answer": "That."}]}
    },
    "/api/assignments/{id}/image": {"files": {"file": ("a.png", b"\x89PNG", "image/png")}},
}


@pytest.mark.parametrize(("who", "method", "path", "expected"), MATRIX)
def test_authorization_matrix(
    request: pytest.FixtureRequest,
    teacher: httpx.Client,
    who: str,
    method: str,
    path: str,
    expected: int,
) -> None:
    assignment_id = create(teacher, with_image=False)["assignment_id"]
    client: httpx.Client = request.getfixturevalue(who)
    response = client.request(method, path.format(id=assignment_id), **BODIES.get(path, {}))
    assert response.status_code == expected, response.text
    if expected >= 400:
        assert response.json()["correlation_id"]
    assert teacher.get(f"/api/assignments/{assignment_id}").status_code == 200


def test_a_student_cannot_answer_as_someone_else(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    assignment_id = create(teacher, with_image=False)["assignment_id"]
    response = student.post(
        f"/api/assignments/{assignment_id}/answers",
        json={"question_id": "q1", "answer": "an answer", "student_id": "student2"},
    )
    assert response.status_code == 200
    board = student.get(
        f"/api/assignments/{assignment_id}/leaderboard", params={"question_id": "q1"}
    ).json()
    assert [row["student_id"] for row in board["q1"]] == ["student1"]


def test_logout_revokes_the_token(base_url: str) -> None:
    from tests.api.conftest import signed_in

    with signed_in(base_url, "student1") as client:
        assert client.get("/api/assignments").status_code == 200
        assert client.post("/api/logout").status_code == 204
        assert client.get("/api/assignments").status_code == 401
