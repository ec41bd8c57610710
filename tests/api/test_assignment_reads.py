"""GET /api/assignments/{id}, the hottest read: answered from caches on the event loop (the
session, the assignment, its JSON per role), yet always the assignment as stored now, as the
reader's role may see it."""

from __future__ import annotations

import httpx
import pytest

from tests.support.api_server import Api
from tests.support.portal_api import assert_error, create_assignment
from tests.support.texts import TEXT


def test_the_read_is_byte_for_byte_the_apis_own_json(teacher: httpx.Client) -> None:
    created = teacher.post("/api/assignments", json={"text": TEXT, "with_image": True})
    assert created.status_code == 201
    path = f"/api/assignments/{created.json()['assignment_id']}"
    for _ in range(2):  # read from the database, then from the caches
        read = teacher.get(path)
        assert read.status_code == 200
        assert read.content == created.content
        assert read.headers["content-type"] == "application/json"
        assert read.headers["cache-control"] == "no-store"


def test_students_never_see_reference_answers_whoever_read_it_first(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    path = f"/api/assignments/{create_assignment(teacher)['assignment_id']}"
    for _ in range(2):
        as_teacher = teacher.get(path).json()
        assert all(qa["answer"] for qa in as_teacher["question_answers"])
        as_student = student.get(path).json()
        assert [qa["answer"] for qa in as_student["question_answers"]] == [None] * 5
        assert as_student["image_upload"] is None
        assert [qa["question"] for qa in as_student["question_answers"]] == [
            qa["question"] for qa in as_teacher["question_answers"]
        ]


def test_an_edit_is_read_at_once_by_every_role(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    created = create_assignment(teacher)
    path = f"/api/assignments/{created['assignment_id']}"
    teacher.get(path)
    student.get(path)  # both renderings cached
    first = created["question_answers"][0]
    edited = teacher.patch(
        path,
        json={
            "version": created["version"],
            "title": "Cells, edited",
            "question_answers": [
                {"id": first["id"], "question": "What powers the cell?", "answer": "Mitochondria"}
            ],
        },
    )
    assert edited.status_code == 200, edited.text
    as_teacher = teacher.get(path)
    assert as_teacher.content == edited.content
    as_student = student.get(path).json()
    assert as_student["title"] == "Cells, edited" and as_student["version"] == 2
    assert as_student["question_answers"] == [
        {"id": first["id"], "question": "What powers the cell?", "answer": None}
    ]


def test_a_deleted_assignment_is_not_read_from_a_cache(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    path = f"/api/assignments/{create_assignment(teacher)['assignment_id']}"
    assert student.get(path).status_code == 200
    assert teacher.delete(path).status_code == 204
    assert_error(teacher.get(path), 404, "not_found")


@pytest.mark.parametrize(
    "authorization",
    [None, "", "Bearer", "Bearer  x", "Basic dGVhY2hlcjE6cGFzc3dvcmQ=", "Bearer not-a-token"],
)
def test_a_read_without_a_valid_bearer_token_is_a_401(
    api: Api, teacher: httpx.Client, authorization: str | None
) -> None:
    path = f"/api/assignments/{create_assignment(teacher)['assignment_id']}"
    headers = {} if authorization is None else {"Authorization": authorization}
    with api.client() as client:
        response = client.get(path, headers=headers)
    assert_error(response, 401, "unauthenticated")
    assert response.headers["www-authenticate"] == "Bearer"


def test_the_docs_describe_the_read(anonymous: httpx.Client) -> None:
    operation = anonymous.get("/openapi.json").json()["paths"]["/api/assignments/{assignment_id}"]
    read = operation["get"]
    assert read["security"] == [{"HTTPBearer": []}]
    body = read["responses"]["200"]["content"]["application/json"]["schema"]
    assert body == {"$ref": "#/components/schemas/AssignmentView"}
    (parameter,) = read["parameters"]
    assert parameter["name"] == "assignment_id" and parameter["schema"]["maxLength"] == 64
