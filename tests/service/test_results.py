"""Results: the teacher's table, score overrides and what they do to answering, a student's own
results; who may see and change what."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment, numbered
from eduportal.domain.errors import ForbiddenError, NotFoundError, ValidationError
from eduportal.domain.grading import QuestionProgress, Score, ScoreOverride
from eduportal.wiring import Container, Generators, build
from tests.support.clock import FakeClock
from tests.support.fixture_types import JsonLog
from tests.support.texts import PASSWORD, TEXT

REFERENCE = "The mitochondrion produces the energy"
FLAG = "needs a look: 'produces' became 'stores'"


class FlaggingScorer:
    """Scores by exact match and flags anything else: enough to see where flags travel."""

    def score(self, reference: str, answer: str) -> Score:
        if answer == reference:
            return Score(100.0, "exact")
        return Score(float(min(len(answer), 90)), "exact", (FLAG,))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(1_800_000_000.0)


@pytest.fixture
def container(tmp_path: Path, clock: FakeClock) -> Container:
    settings = load_settings(storage="local", data_dir=tmp_path / "data", generators="offline")
    offline = build(settings).generators
    return build(
        settings,
        clock=clock,
        generators=Generators(
            offline.questions,
            offline.images,
            FlaggingScorer(),
            offline.suggester,
            offline.describer,
        ),
    )


@pytest.fixture
def assignment(container: Container, teacher: Account) -> Assignment:
    questions = numbered(
        [
            ("What is the powerhouse of the cell?", REFERENCE),
            ("Which cells have no mitochondria?", "Red blood cells of mammals"),
        ]
    )
    return container.assignments.create(teacher, TEXT, questions, title="Cells")


@pytest.fixture
def other_student(container: Container) -> Account:
    return container.accounts.register("adam", PASSWORD, Role.STUDENT)


def answer(
    container: Container, who: Account, assignment: Assignment, text: str, q: str = "q1"
) -> float:
    return container.grading.answer(who, assignment.assignment_id, q, text).score


# --- the teacher's table --------------------------------------------------------------------


def test_the_table_has_every_student_who_answered_by_name_with_their_best(
    container: Container,
    teacher: Account,
    student: Account,
    other_student: Account,
    assignment: Assignment,
) -> None:
    answer(container, student, assignment, "mitochondria")  # 12
    answer(container, student, assignment, "the mitochondrion")  # 17
    answer(container, student, assignment, "mito")  # 4
    answer(container, student, assignment, "Red blood cells of mammals", "q2")
    container.grading.reveal(student, assignment.assignment_id, "q2")
    answer(container, other_student, assignment, REFERENCE)
    container.accounts.register("zoe", PASSWORD, Role.STUDENT)  # answered nothing

    results = container.results.results(teacher, assignment.assignment_id)
    assert (results.assignment_id, results.title) == (assignment.assignment_id, "Cells")
    assert [qa.id for qa in results.questions] == ["q1", "q2"]
    assert [row.student_id for row in results.students] == ["adam", "student1"]
    adam, student1 = results.students
    assert list(adam.progress) == ["q1"]
    assert (adam.answered, adam.total, adam.average) == (1, 100.0, 100.0)
    assert adam.progress["q1"].engine == "exact" and adam.progress["q1"].flags == ()

    first = student1.progress["q1"]
    assert (first.best_score, first.attempts, first.answer) == (17.0, 3, "the mitochondrion")
    assert (first.engine, first.flags, first.revealed, first.overridden) == (
        "exact",
        (FLAG,),
        False,
        False,
    )
    second = student1.progress["q2"]
    assert (second.best_score, second.attempts, second.revealed) == (100.0, 1, True)
    assert (student1.answered, student1.total, student1.average) == (2, 117.0, 58.5)


def test_only_the_teacher_who_created_it_sees_the_results(
    container: Container,
    other_teacher: Account,
    student: Account,
    assignment: Assignment,
) -> None:
    with pytest.raises(ForbiddenError) as caught:
        container.results.results(other_teacher, assignment.assignment_id)
    assert caught.value.user_message == (
        "Only the teacher who created this assignment can see its results."
    )
    with pytest.raises(ForbiddenError) as caught:
        container.results.results(student, assignment.assignment_id)
    assert caught.value.user_message == "Only teachers can do that."


def test_results_of_an_unknown_assignment_are_not_found(
    container: Container, teacher: Account
) -> None:
    with pytest.raises(NotFoundError):
        container.results.results(teacher, "1700000000000-abcdef")


def test_answers_to_removed_questions_leave_the_table(
    container: Container,
    teacher: Account,
    student: Account,
    other_student: Account,
    assignment: Assignment,
) -> None:
    answer(container, student, assignment, REFERENCE)
    answer(container, student, assignment, "Red blood cells", "q2")
    answer(container, other_student, assignment, "Red blood cells", "q2")
    container.assignments.update_questions(
        teacher, assignment.assignment_id, numbered([("What is the powerhouse?", REFERENCE)])
    )
    results = container.results.results(teacher, assignment.assignment_id)
    assert [qa.id for qa in results.questions] == ["q1"]
    assert [(row.student_id, list(row.progress)) for row in results.students] == [
        ("student1", ["q1"])
    ]


# --- overrides ------------------------------------------------------------------------------


def test_an_override_is_the_best_score_everywhere_until_cleared(
    container: Container,
    teacher: Account,
    student: Account,
    other_student: Account,
    assignment: Assignment,
    clock: FakeClock,
) -> None:
    assignment_id = assignment.assignment_id
    answer(container, student, assignment, "the mitochondrion")  # 17
    answer(container, other_student, assignment, "mitochondria")  # 12
    changed = container.results.override(teacher, assignment_id, "q1", "adam", 73)
    assert changed.best_score == 73.0
    assert changed.override == ScoreOverride(12.0, "teacher1", clock.now())

    cell = container.results.results(teacher, assignment_id).students[0].progress["q1"]
    assert cell == changed and cell.overridden
    assert container.grading.progress(other_student, assignment_id, "q1").best_score == 73.0
    board = container.grading.leaderboards(assignment_id, "q1")["q1"]
    assert [(row.student_id, row.best_score) for row in board] == [
        ("adam", 73.0),
        ("student1", 17.0),
    ]
    (mine,) = container.results.student_results(other_student)
    assert mine.scores.progress["q1"].best_score == 73.0

    cleared = container.results.clear_override(teacher, assignment_id, "q1", "adam")
    assert cleared.best_score == 12.0 and not cleared.overridden
    board = container.grading.leaderboards(assignment_id, "q1")["q1"]
    assert [row.student_id for row in board] == ["student1", "adam"]
    # Clearing again changes nothing.
    assert container.results.clear_override(teacher, assignment_id, "q1", "adam") == cleared


def test_after_an_override_only_a_higher_answer_takes_the_best(
    container: Container, teacher: Account, student: Account, assignment: Assignment
) -> None:
    assignment_id = assignment.assignment_id
    answer(container, student, assignment, "the mitochondrion")  # 17
    container.results.override(teacher, assignment_id, "q1", "student1", 50)
    lower = container.grading.answer(student, assignment_id, "q1", "mitochondria")
    assert (lower.score, lower.best_score, lower.counted) == (12.0, 50.0, True)
    assert container.grading.progress(student, assignment_id, "q1").overridden

    higher = container.grading.answer(student, assignment_id, "q1", REFERENCE)
    assert higher.best_score == 100.0
    progress = container.grading.progress(student, assignment_id, "q1")
    assert not progress.overridden and progress.answer == REFERENCE


@pytest.mark.parametrize("score", [-1, 100.5, 1000, math.nan, math.inf])
def test_an_override_outside_0_to_100_is_refused_with_a_sentence(
    container: Container, teacher: Account, student: Account, assignment: Assignment, score: float
) -> None:
    answer(container, student, assignment, "mitochondria")
    with pytest.raises(ValidationError) as caught:
        container.results.override(teacher, assignment.assignment_id, "q1", "student1", score)
    assert caught.value.user_message == "A score is a number from 0 to 100."
    assert not container.grading.progress(student, assignment.assignment_id, "q1").overridden


@pytest.mark.parametrize("score", [0, 100, 42.5])
def test_the_bounds_are_scores_too(
    container: Container, teacher: Account, student: Account, assignment: Assignment, score: float
) -> None:
    answer(container, student, assignment, "mitochondria")
    changed = container.results.override(teacher, assignment.assignment_id, "q1", "student1", score)
    assert changed.best_score == score


def test_only_the_teacher_who_created_it_changes_scores(
    container: Container,
    other_teacher: Account,
    student: Account,
    assignment: Assignment,
) -> None:
    answer(container, student, assignment, "mitochondria")
    with pytest.raises(ForbiddenError) as caught:
        container.results.override(other_teacher, assignment.assignment_id, "q1", "student1", 90)
    assert caught.value.user_message == (
        "Only the teacher who created this assignment can change its scores."
    )
    with pytest.raises(ForbiddenError):
        container.results.clear_override(other_teacher, assignment.assignment_id, "q1", "student1")
    with pytest.raises(ForbiddenError):
        container.results.override(student, assignment.assignment_id, "q1", "student1", 90)
    assert container.grading.progress(student, assignment.assignment_id, "q1").best_score == 12.0


def test_overriding_what_was_not_answered(
    container: Container, teacher: Account, student: Account, assignment: Assignment
) -> None:
    answer(container, student, assignment, "mitochondria")
    with pytest.raises(NotFoundError) as caught:
        container.results.override(teacher, assignment.assignment_id, "q2", "student1", 90)
    assert "has not answered" in caught.value.user_message
    with pytest.raises(NotFoundError):
        container.results.clear_override(teacher, assignment.assignment_id, "q1", "nobody")
    with pytest.raises(ValidationError):  # as answering an unknown question
        container.results.override(teacher, assignment.assignment_id, "q9", "student1", 90)


def test_an_override_is_logged_with_who_old_and_new(
    container: Container,
    teacher: Account,
    student: Account,
    assignment: Assignment,
    json_log: JsonLog,
) -> None:
    answer(container, student, assignment, "mitochondria")
    container.results.override(teacher, assignment.assignment_id, "q1", "student1", 80)
    container.results.clear_override(teacher, assignment.assignment_id, "q1", "student1")
    container.results.clear_override(teacher, assignment.assignment_id, "q1", "student1")
    lines = [line for line in json_log() if line["logger"] == "eduportal.services.results"]
    assert [
        (line["message"], line["user"], line["student"], line["old_score"], line["new_score"])
        for line in lines
    ] == [
        ("score overridden", "teacher1", "student1", 12.0, 80.0),
        ("score override cleared", "teacher1", "student1", 80.0, 12.0),
    ]
    assert {line["assignment_id"] for line in lines} == {assignment.assignment_id}
    assert {line["question_id"] for line in lines} == {"q1"}


# --- a student's own results ----------------------------------------------------------------


def test_a_student_sees_their_results_newest_first_without_flags(
    container: Container,
    teacher: Account,
    student: Account,
    other_student: Account,
    assignment: Assignment,
    clock: FakeClock,
) -> None:
    clock.advance(60)
    newer = container.assignments.create(
        teacher, TEXT, numbered([("Q?", "A."), ("R?", "B."), ("S?", "C.")]), title="Newer"
    )
    unanswered = container.assignments.create(teacher, TEXT, numbered([("Q?", "A.")]))
    answer(container, student, assignment, "mitochondria")
    answer(container, student, assignment, REFERENCE)
    answer(container, student, newer, "B.", "q2")
    answer(container, other_student, unanswered, "A.")

    older_result, newer_result = reversed(container.results.student_results(student))
    assert (newer_result.assignment_id, newer_result.title) == (newer.assignment_id, "Newer")
    assert newer_result.question_ids == ("q1", "q2", "q3")
    assert (newer_result.scores.answered, newer_result.scores.average) == (1, 100.0)
    assert older_result.title == "Cells" and older_result.question_ids == ("q1", "q2")
    best = older_result.scores.progress["q1"]
    assert (best.best_score, best.attempts, best.flags) == (100.0, 2, ())

    answer(container, student, assignment, "mito", "q2")
    flagged = container.results.student_results(student)[1].scores.progress["q2"]
    assert flagged.best_score == 4.0 and flagged.flags == ()  # the teacher's, not theirs
    assert container.results.results(teacher, assignment.assignment_id).students[0].progress[
        "q2"
    ].flags == (FLAG,)


def test_a_deleted_assignment_leaves_a_students_results(
    container: Container, teacher: Account, student: Account, assignment: Assignment
) -> None:
    answer(container, student, assignment, "mitochondria")
    container.assignments.delete(teacher, assignment.assignment_id)
    assert container.results.student_results(student) == []


def test_own_results_are_for_students(container: Container, teacher: Account) -> None:
    with pytest.raises(ForbiddenError):
        container.results.student_results(teacher)


def test_progress_by_question_covers_every_question_in_order(
    container: Container, student: Account, assignment: Assignment
) -> None:
    assignment_id = assignment.assignment_id
    assert container.grading.progress_by_question(student, assignment_id) == {
        "q1": QuestionProgress(),
        "q2": QuestionProgress(),
    }
    answer(container, student, assignment, "mito", "q2")
    container.grading.reveal(student, assignment_id, "q2")
    progress = container.grading.progress_by_question(student, assignment_id)
    assert list(progress) == ["q1", "q2"] and progress["q1"] == QuestionProgress()
    second = progress["q2"]
    assert (second.attempts, second.best_score, second.revealed, second.flags) == (
        1,
        4.0,
        True,
        (),
    )
    assert progress["q2"] == container.grading.progress(student, assignment_id, "q2")


def test_an_answer_says_which_engine_scored_it(
    container: Container, student: Account, assignment: Assignment
) -> None:
    result = container.grading.answer(student, assignment.assignment_id, "q1", "mito")
    assert result.engine == "exact"
