"""Results over HTTP: the teacher's table as JSON and CSV, score overrides, a student's own
results, and who may do what."""

from __future__ import annotations

import csv
import io
from typing import Any

import httpx
import pytest

from tests.support.portal_api import answer, assert_error, create_assignment
from tests.support.texts import TEXT

HEADER = [
    "student",
    *(f"Q{n} {what}" for n in range(1, 6) for what in ("score", "attempts")),
    "average",
]


def score_path(assignment_id: str, question: str = "q1", student: str = "student1") -> str:
    return f"/api/assignments/{assignment_id}/questions/{question}/scores/{student}"


@pytest.fixture
def answered(
    teacher: httpx.Client, student: httpx.Client, other_student: httpx.Client
) -> dict[str, Any]:
    """A fresh assignment: student1 answers q1 twice (the reference, then something else) and
    q2 once; student2 answers q1 once."""
    created = create_assignment(teacher)
    assignment_id = created["assignment_id"]
    reference = created["question_answers"][0]["answer"]
    answers = {
        "perfect": answer(student, assignment_id, reference, "q1"),
        "worse": answer(student, assignment_id, "something else entirely", "q1"),
        "second": answer(student, assignment_id, "energy", "q2"),
        "other": answer(other_student, assignment_id, "no clue at all", "q1"),
    }
    return {"assignment": created, "answers": answers}


def test_the_teacher_gets_every_student_by_question(
    teacher: httpx.Client, answered: dict[str, Any]
) -> None:
    created, answers = answered["assignment"], answered["answers"]
    response = teacher.get(f"/api/assignments/{created['assignment_id']}/results")
    assert response.status_code == 200, response.text
    results = response.json()
    assert results["assignment_id"] == created["assignment_id"]
    assert results["title"] == created["title"]
    assert results["questions"] == created["question_answers"]
    assert [row["student_id"] for row in results["students"]] == ["student1", "student2"]

    first, second = results["students"]
    assert list(first["scores"]) == ["q1", "q2"] and list(second["scores"]) == ["q1"]
    perfect = answers["perfect"]
    assert first["scores"]["q1"] == {
        "best_score": 100.0,
        "attempts": 2,
        "revealed": False,
        "answer": created["question_answers"][0]["answer"],
        "engine": perfect["engine"],
        "flags": [],
        "override": None,
    }
    assert perfect["engine"] and first["scores"]["q2"]["engine"] == answers["second"]["engine"]
    q2 = answers["second"]["score"]
    assert (first["answered"], first["total"]) == (2, round(100.0 + q2, 1))
    assert first["average"] == round((100.0 + q2) / 2, 1)
    assert second["scores"]["q1"]["best_score"] == answers["other"]["score"]
    assert second["average"] == answers["other"]["score"]


def test_the_csv_is_the_same_table_as_a_download(
    teacher: httpx.Client, answered: dict[str, Any]
) -> None:
    assignment_id = answered["assignment"]["assignment_id"]
    response = teacher.get(f"/api/assignments/{assignment_id}/results.csv")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"] == (
        'attachment; filename="The-mitochondrion-is-the-powerhouse-of-the-cell-results.csv"'
    )
    rows = list(csv.reader(io.StringIO(response.text, newline="")))
    assert rows[0] == HEADER
    table = teacher.get(f"/api/assignments/{assignment_id}/results").json()
    for row, student in zip(rows[1:], table["students"], strict=True):
        scores = student["scores"]
        expected = [student["student_id"]]
        for qid in ("q1", "q2", "q3", "q4", "q5"):
            cell = scores.get(qid)
            expected += (
                ["", ""] if cell is None else [f"{cell['best_score']:g}", str(cell["attempts"])]
            )
        assert row == [*expected, f"{student['average']:g}"]


def test_the_csv_file_name_is_safe_whatever_the_title(teacher: httpx.Client) -> None:
    created = teacher.post(
        "/api/assignments",
        json={"text": TEXT, "with_image": False, "title": 'Cells "x"; name=a.exe\\'},
    )
    assert created.status_code == 201, created.text
    response = teacher.get(f"/api/assignments/{created.json()['assignment_id']}/results.csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="Cells-x-name-a-exe-results.csv"'
    )
    assert response.text == ",".join(HEADER) + "\r\n"  # nobody answered yet


def test_an_override_is_the_students_best_and_leaderboard_score_until_cleared(
    teacher: httpx.Client,
    student: httpx.Client,
    other_student: httpx.Client,
    answered: dict[str, Any],
) -> None:
    assignment_id = answered["assignment"]["assignment_id"]
    scored = answered["answers"]["other"]["score"]
    changed = teacher.put(score_path(assignment_id, student="student2"), json={"score": 100})
    assert changed.status_code == 200, changed.text
    cell = changed.json()
    assert cell["best_score"] == 100.0
    assert cell["override"]["scored"] == scored and cell["override"]["by"] == "teacher1"
    table = teacher.get(f"/api/assignments/{assignment_id}/results").json()
    assert table["students"][1]["scores"]["q1"] == cell

    board = student.get(
        f"/api/assignments/{assignment_id}/leaderboard", params={"question_id": "q1"}
    ).json()["q1"]
    assert [(row["student_id"], row["best_score"]) for row in board] == [
        ("student1", 100.0),
        ("student2", 100.0),
    ]
    (own,) = [
        item
        for item in other_student.get("/api/me/results").json()
        if item["assignment_id"] == assignment_id
    ]
    assert own["questions"][0] == {
        "question_id": "q1",
        "best_score": 100.0,
        "attempts": 1,
        "revealed": False,
        "overridden": True,
    }

    cleared = teacher.delete(score_path(assignment_id, student="student2"))
    assert cleared.status_code == 200, cleared.text
    assert cleared.json()["best_score"] == scored and cleared.json()["override"] is None
    again = teacher.delete(score_path(assignment_id, student="student2"))
    assert again.json() == cleared.json()


def test_a_student_sees_their_own_results(student: httpx.Client, answered: dict[str, Any]) -> None:
    created, answers = answered["assignment"], answered["answers"]
    response = student.get("/api/me/results")
    assert response.status_code == 200, response.text
    (own,) = [item for item in response.json() if item["assignment_id"] == created["assignment_id"]]
    q2 = answers["second"]["score"]
    assert own == {
        "assignment_id": created["assignment_id"],
        "title": created["title"],
        "answered": 2,
        "total_questions": 5,
        "average": round((100.0 + q2) / 2, 1),
        "questions": [
            {
                "question_id": "q1",
                "best_score": 100.0,
                "attempts": 2,
                "revealed": False,
                "overridden": False,
            },
            {
                "question_id": "q2",
                "best_score": q2,
                "attempts": 1,
                "revealed": False,
                "overridden": False,
            },
        ]
        + [
            {
                "question_id": f"q{n}",
                "best_score": None,
                "attempts": 0,
                "revealed": False,
                "overridden": False,
            }
            for n in range(3, 6)
        ],
    }


@pytest.mark.parametrize(
    ("body", "sentence"),
    [
        ({"score": 101}, "A score is a number from 0 to 100."),
        ({"score": -0.5}, "A score is a number from 0 to 100."),
        ({"score": "high"}, "body.score"),
        ({}, "body.score"),
    ],
)
def test_a_score_outside_0_to_100_is_a_clear_422(
    teacher: httpx.Client, answered: dict[str, Any], body: dict[str, Any], sentence: str
) -> None:
    assignment_id = answered["assignment"]["assignment_id"]
    assert sentence in assert_error(teacher.put(score_path(assignment_id), json=body), 422)
    table = teacher.get(f"/api/assignments/{assignment_id}/results").json()
    assert table["students"][0]["scores"]["q1"]["override"] is None


def test_scores_of_what_was_not_answered(teacher: httpx.Client, answered: dict[str, Any]) -> None:
    assignment_id = answered["assignment"]["assignment_id"]
    missing = teacher.put(score_path(assignment_id, "q3"), json={"score": 50})
    assert "has not answered" in assert_error(missing, 404, "not_found")
    nobody = teacher.delete(score_path(assignment_id, student="nobody"))
    assert_error(nobody, 404, "not_found")
    unknown = teacher.put(score_path(assignment_id, "q9"), json={"score": 50})
    assert "no question 'q9'" in assert_error(unknown, 422, "validation")
    assert_error(teacher.get("/api/assignments/1700000000000-abcdef/results"), 404, "not_found")


@pytest.mark.parametrize(
    ("who", "method", "path", "status", "sentence"),
    [
        ("anonymous", "GET", "/results", 401, None),
        ("anonymous", "GET", "/results.csv", 401, None),
        ("anonymous", "PUT", "/score", 401, None),
        ("anonymous", "DELETE", "/score", 401, None),
        ("student", "GET", "/results", 403, "Only teachers can do that."),
        ("student", "GET", "/results.csv", 403, "Only teachers can do that."),
        ("student", "PUT", "/score", 403, "Only teachers can do that."),
        ("student", "DELETE", "/score", 403, "Only teachers can do that."),
        (
            "other_teacher",
            "GET",
            "/results",
            403,
            "Only the teacher who created this assignment can see its results.",
        ),
        (
            "other_teacher",
            "GET",
            "/results.csv",
            403,
            "Only the teacher who created this assignment can see its results.",
        ),
        (
            "other_teacher",
            "PUT",
            "/score",
            403,
            "Only the teacher who created this assignment can change its scores.",
        ),
        (
            "other_teacher",
            "DELETE",
            "/score",
            403,
            "Only the teacher who created this assignment can change its scores.",
        ),
    ],
)
def test_only_the_teacher_who_created_it_sees_results_and_changes_scores(
    request: pytest.FixtureRequest,
    teacher: httpx.Client,
    answered: dict[str, Any],
    who: str,
    method: str,
    path: str,
    status: int,
    sentence: str | None,
) -> None:
    assignment_id = answered["assignment"]["assignment_id"]
    teacher.put(score_path(assignment_id), json={"score": 42})  # so DELETE has work to refuse
    before = teacher.get(f"/api/assignments/{assignment_id}/results").json()
    client: httpx.Client = request.getfixturevalue(who)
    url = (
        score_path(assignment_id) if path == "/score" else f"/api/assignments/{assignment_id}{path}"
    )
    body = {"score": 99} if method == "PUT" else None
    said = assert_error(client.request(method, url, json=body), status)
    if sentence is not None:
        assert said == sentence
    assert teacher.get(f"/api/assignments/{assignment_id}/results").json() == before


@pytest.mark.parametrize(("who", "status"), [("anonymous", 401), ("teacher", 403)])
def test_own_results_are_for_signed_in_students(
    request: pytest.FixtureRequest, who: str, status: int
) -> None:
    client: httpx.Client = request.getfixturevalue(who)
    assert_error(client.get("/api/me/results"), status)
