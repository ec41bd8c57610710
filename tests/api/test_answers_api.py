"""Answers over HTTP: scores, best score, leaderboards, and the reveal rule end to end."""

from __future__ import annotations

import httpx

from tests.support.portal_api import answer, assert_error, create_assignment


def test_students_answer_and_see_score_best_and_leaderboard(
    teacher: httpx.Client, student: httpx.Client, other_student: httpx.Client
) -> None:
    created = create_assignment(teacher)
    assignment_id = created["assignment_id"]
    reference = created["question_answers"][0]["answer"]
    view = student.get(f"/api/assignments/{assignment_id}").json()
    assert all(qa["answer"] is None for qa in view["question_answers"])  # hidden from students

    perfect = answer(student, assignment_id, reference)
    assert perfect["score"] == 100.0 and perfect["best_score"] == 100.0 and perfect["counted"]
    worse = answer(student, assignment_id, "something else entirely")
    assert worse["score"] < 100.0 and worse["best_score"] == 100.0
    answer(other_student, assignment_id, "no clue")
    board = student.get(f"/api/assignments/{assignment_id}/leaderboard").json()
    assert [row["student_id"] for row in board["q1"]] == ["student1", "student2"]
    assert list(board) == ["q1", "q2", "q3", "q4", "q5"]
    one = student.get(
        f"/api/assignments/{assignment_id}/leaderboard", params={"question_id": "q1"}
    ).json()
    assert list(one) == ["q1"] and one["q1"] == board["q1"]
    assert worse["suggestions"] == {
        "corrected": "Something else entirely.",
        "rephrased": "In other words: Something else entirely.",
    }


def test_reading_the_reference_answer_first_is_refused(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    refused = student.get(f"/api/assignments/{assignment_id}/questions/q1/answer")
    assert "Answer this question once" in assert_error(refused, 403, "forbidden")


def test_a_copied_reference_answer_never_reaches_the_leaderboard(
    teacher: httpx.Client, student: httpx.Client, other_student: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    guess = answer(student, assignment_id, "the nucleus of the cell")
    answer(other_student, assignment_id, "mitochondria make energy")
    revealed = student.get(f"/api/assignments/{assignment_id}/questions/q1/answer").json()
    copied = answer(student, assignment_id, revealed["answer"])
    assert copied["score"] == 100.0 and copied["counted"] is False
    assert copied["best_score"] == guess["score"]
    board = student.get(
        f"/api/assignments/{assignment_id}/leaderboard", params={"question_id": "q1"}
    ).json()["q1"]
    assert {row["student_id"]: row["best_score"] for row in board}["student1"] == guess["score"]
    assert max(row["best_score"] for row in board) < 100.0


def test_teachers_see_answers_students_do_not(
    teacher: httpx.Client, other_teacher: httpx.Client, student: httpx.Client
) -> None:
    created = create_assignment(teacher)
    assignment_id = created["assignment_id"]
    for who in (teacher, other_teacher):
        view = who.get(f"/api/assignments/{assignment_id}").json()
        assert view["question_answers"] == created["question_answers"]
        revealed = who.get(f"/api/assignments/{assignment_id}/questions/q2/answer")
        assert revealed.status_code == 200
        assert revealed.json()["answer"] == created["question_answers"][1]["answer"]
    listing = student.get("/api/assignments", params={"limit": 100}).json()["items"]
    assert all(qa["answer"] is None for item in listing for qa in item["question_answers"])


def test_a_student_cannot_answer_as_someone_else(
    teacher: httpx.Client, student: httpx.Client
) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    response = student.post(
        f"/api/assignments/{assignment_id}/answers",
        json={"question_id": "q1", "answer": "an answer", "student_id": "student2"},
    )
    assert response.status_code == 200
    board = student.get(
        f"/api/assignments/{assignment_id}/leaderboard", params={"question_id": "q1"}
    ).json()
    assert [row["student_id"] for row in board["q1"]] == ["student1"]


def test_unknown_questions(teacher: httpx.Client, student: httpx.Client) -> None:
    assignment_id = create_assignment(teacher)["assignment_id"]
    unknown = student.post(
        f"/api/assignments/{assignment_id}/answers", json={"question_id": "q9", "answer": "x"}
    )
    assert "no question 'q9'" in assert_error(unknown, 422, "validation")
    board = student.get(
        f"/api/assignments/{assignment_id}/leaderboard", params={"question_id": "q9"}
    )
    assert_error(board, 422, "validation")
