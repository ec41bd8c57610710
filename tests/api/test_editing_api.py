"""Editing an assignment over HTTP (PATCH), its subject, and searching the list."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from eduportal.domain.assignments import MAX_SEARCH_CHARS
from tests.support.portal_api import assert_error, create_assignment
from tests.support.texts import TEXT


def created_with(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    response = client.post("/api/assignments", json={"text": TEXT, "with_image": False, **fields})
    assert response.status_code == 201, response.text
    body: dict[str, Any] = response.json()
    return body


def ids(view: dict[str, Any]) -> list[str]:
    return [qa["id"] for qa in view["question_answers"]]


def test_a_patch_edits_title_subject_and_questions_keeping_ids(teacher: httpx.Client) -> None:
    created = create_assignment(teacher)
    assert created["subject"] is None and created["version"] == 1
    q1, _, q3, *_ = created["question_answers"]
    answer = "First line.\nSecond line."
    response = teacher.patch(
        f"/api/assignments/{created['assignment_id']}",
        json={
            "version": 1,
            "title": "Cells, edited",
            "subject": "Biology",
            "question_answers": [
                {"id": "q3", "question": q3["question"], "answer": answer},
                q1,
                {"question": "Where is the DNA?", "answer": "In the nucleus."},
            ],
        },
    )
    assert response.status_code == 200, response.text
    edited = response.json()
    assert ids(edited) == ["q3", "q1", "q6"] and edited["version"] == 2
    assert (edited["title"], edited["subject"]) == ("Cells, edited", "Biology")
    assert edited["question_answers"][0]["answer"] == answer
    assert teacher.get(f"/api/assignments/{created['assignment_id']}").json() == edited


def test_a_patch_from_a_stale_version_is_a_409_and_changes_nothing(teacher: httpx.Client) -> None:
    created = create_assignment(teacher)
    path = f"/api/assignments/{created['assignment_id']}"
    assert teacher.patch(path, json={"version": 1, "title": "First"}).status_code == 200
    stale = teacher.patch(path, json={"version": 1, "title": "Second"})
    sentence = assert_error(stale, 409, "conflict")
    assert sentence.startswith("This assignment was changed meanwhile")
    assert sentence.endswith("reload to see the latest, then make your change again.")
    current = teacher.get(path).json()
    assert (current["title"], current["version"]) == ("First", 2)


def test_a_subject_left_out_stays_and_empty_or_null_removes_it(teacher: httpx.Client) -> None:
    created = created_with(teacher, subject=" Biology ")
    assert created["subject"] == "Biology"
    path = f"/api/assignments/{created['assignment_id']}"
    kept = teacher.patch(path, json={"version": 1, "title": "Renamed"}).json()
    assert kept["subject"] == "Biology"
    cleared = teacher.patch(path, json={"version": 2, "subject": ""}).json()
    assert cleared["subject"] is None
    again = teacher.patch(path, json={"version": 3, "subject": "Cells"}).json()
    assert again["subject"] == "Cells"
    assert teacher.patch(path, json={"version": 4, "subject": None}).json()["subject"] is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (
            {"question_answers": [{"id": "q9", "question": "Which?", "answer": "None."}]},
            "This assignment has no question 'q9'.",
        ),
        (
            {"question_answers": [{"id": "q1", "question": "Still?", "answer": "   "}]},
            "Every question needs a question and an answer.",
        ),
        ({"title": "   "}, "Please give the assignment a title."),
        ({"question_answers": []}, "The request is not valid: body.question_answers"),
        ({"subject": "x" * 61}, "The request is not valid: body.subject"),
        ({}, "The request is not valid: body.version"),
    ],
)
def test_an_invalid_patch_is_a_422_with_a_sentence_and_changes_nothing(
    teacher: httpx.Client, body: dict[str, Any], expected: str
) -> None:
    created = create_assignment(teacher)
    path = f"/api/assignments/{created['assignment_id']}"
    version = {} if body == {} else {"version": 1}
    sentence = assert_error(teacher.patch(path, json={**version, **body}), 422, "validation")
    assert sentence.startswith(expected)
    assert teacher.get(path).json() == created


def test_the_put_of_questions_keeps_ids_it_is_given(teacher: httpx.Client) -> None:
    created = create_assignment(teacher)
    q2 = created["question_answers"][1]
    response = teacher.put(
        f"/api/assignments/{created['assignment_id']}/questions",
        json={"question_answers": [q2, {"question": "New?", "answer": "Yes."}]},
    )
    assert response.status_code == 200, response.text
    assert ids(response.json()) == ["q2", "q6"]


@pytest.fixture(scope="module")
def listed(teacher: httpx.Client, other_teacher: httpx.Client) -> dict[str, str]:
    """Assignments whose titles hold a word no other test uses, by two teachers."""
    word = uuid.uuid4().hex[:10]
    made = {
        "mine_percent": created_with(teacher, title=f"{word} 100% sure"),
        "mine_subject": created_with(teacher, subject=f"Biology {word.upper()}"),
        "theirs": created_with(other_teacher, title=f"{word}_underscored"),
    }
    return {"word": word} | {name: view["assignment_id"] for name, view in made.items()}


def listing(client: httpx.Client, **params: Any) -> tuple[list[str], int]:
    response = client.get("/api/assignments", params={"limit": 100, **params})
    assert response.status_code == 200, response.text
    page = response.json()
    return [item["assignment_id"] for item in page["items"]], page["total"]


def test_search_finds_title_and_subject_ignoring_case(
    student: httpx.Client, listed: dict[str, str]
) -> None:
    found, total = listing(student, search=listed["word"].upper())
    assert found == [listed["theirs"], listed["mine_subject"], listed["mine_percent"]]
    assert total == 3
    first_page, total = listing(student, search=listed["word"], limit=1, offset=1)
    assert first_page == [listed["mine_subject"]] and total == 3


def test_search_characters_are_literal(teacher: httpx.Client, listed: dict[str, str]) -> None:
    assert listing(teacher, search=f"{listed['word']} 100%") == ([listed["mine_percent"]], 1)
    assert listing(teacher, search=f"{listed['word']}_") == ([listed["theirs"]], 1)
    assert listing(teacher, search=f"{listed['word']}.*") == ([], 0)


def test_mine_lists_only_the_signed_in_teachers_own(
    teacher: httpx.Client, other_teacher: httpx.Client, listed: dict[str, str]
) -> None:
    mine = listing(teacher, search=listed["word"], mine="true")
    assert mine == ([listed["mine_subject"], listed["mine_percent"]], 2)
    assert listing(other_teacher, search=listed["word"], mine="true") == ([listed["theirs"]], 1)
    everything, total = listing(teacher)
    assert {listed["mine_percent"], listed["theirs"]} <= set(everything)
    assert total >= 3 and total == listing(teacher, mine="false")[1]


def test_a_search_too_long_is_a_422_with_the_services_sentence(teacher: httpx.Client) -> None:
    response = teacher.get("/api/assignments", params={"search": "x" * (MAX_SEARCH_CHARS + 1)})
    sentence = assert_error(response, 422, "validation")
    assert sentence == f"A search has at most {MAX_SEARCH_CHARS} characters."


def test_the_image_description_is_returned_and_edited_over_http(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    created = create_assignment(teacher, with_image=True, title="Cells")
    assert created["image_alt"].endswith(": key terms of “Cells”.")
    path = f"/api/assignments/{created['assignment_id']}"
    described = "A mitochondrion cut open, its folded membrane where ATP is made."
    edited = teacher.patch(path, json={"version": 1, "image_alt": f" {described} "})
    assert edited.status_code == 200, edited.text
    assert edited.json()["image_alt"] == described
    assert student.get(path).json()["image_alt"] == described
    listed = student.get("/api/assignments", params={"search": "mitochondrion"}).json()
    assert described in [item["image_alt"] for item in listed["items"]]


def test_an_image_description_over_the_limit_is_a_422_with_a_sentence(
    teacher: httpx.Client,
) -> None:
    created = create_assignment(teacher, with_image=True)
    path = f"/api/assignments/{created['assignment_id']}"
    refused = teacher.patch(path, json={"version": 1, "image_alt": "x" * 301})
    assert "300" in assert_error(refused, 422)
    without = create_assignment(teacher)
    path = f"/api/assignments/{without['assignment_id']}"
    refused = teacher.patch(path, json={"version": 1, "image_alt": "A cell."})
    assert assert_error(refused, 422) == "This assignment has no image to describe."
