"""Question ids across edits: kept when edited, never given again once removed.

Answers are recorded by assignment id and question id, so an id that moved to another
question would give that question the old one's answers and scores.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.domain.assignments import (
    LEGACY_QUESTION_NUMBERS,
    MAX_QUESTIONS,
    Assignment,
    EditedQuestion,
    QuestionAnswer,
    numbered,
)
from eduportal.domain.errors import ValidationError


def created(count: int = 5) -> Assignment:
    pairs = [(f"Question {n}?", f"Answer {n}.") for n in range(1, count + 1)]
    return Assignment("a1", "t", "Some text. More.", tuple(numbered(pairs)))


def kept(assignment: Assignment, *ids: str) -> list[EditedQuestion]:
    """The questions `ids` of `assignment`, unchanged, as an edit sends them."""
    questions = [assignment.question(qid) for qid in ids]
    return [EditedQuestion(qa.id, qa.question, qa.answer) for qa in questions]


def ids(assignment: Assignment) -> list[str]:
    return [qa.id for qa in assignment.question_answers]


def test_creation_numbers_from_one_and_remembers_the_highest() -> None:
    assignment = created(5)
    assert ids(assignment) == ["q1", "q2", "q3", "q4", "q5"]
    assert assignment.last_question_number == 5


def test_removing_a_question_leaves_the_others_ids_alone() -> None:
    edited = created(5).with_questions(kept(created(5), "q1", "q3", "q4", "q5"))
    assert ids(edited) == ["q1", "q3", "q4", "q5"]
    assert edited.question("q3").question == "Question 3?"


def test_an_edited_question_keeps_its_id_and_takes_the_new_text() -> None:
    assignment = created(3)
    edits = kept(assignment, "q1", "q3")
    edits.insert(1, EditedQuestion("q2", "  Why is the sky blue?  ", " Scattering.\n"))
    edited = assignment.with_questions(edits)
    assert edited.question("q2") == QuestionAnswer("q2", "Why is the sky blue?", "Scattering.")


def test_a_removed_id_is_never_given_again() -> None:
    assignment = created(5)
    without_last = assignment.with_questions(kept(assignment, "q1", "q2", "q3", "q4"))
    added = without_last.with_questions(
        [*kept(without_last, "q1", "q2", "q3", "q4"), EditedQuestion(None, "New?", "Yes.")]
    )
    assert ids(added) == ["q1", "q2", "q3", "q4", "q6"]
    assert added.last_question_number == 6


def test_added_questions_are_numbered_in_order_and_may_be_placed_anywhere() -> None:
    assignment = created(2)
    edited = assignment.with_questions(
        [
            EditedQuestion(None, "First new?", "A."),
            *kept(assignment, "q2"),
            EditedQuestion(None, "Second new?", "B."),
        ]
    )
    assert ids(edited) == ["q3", "q2", "q4"]
    assert edited.question("q3").question == "First new?"


def test_an_id_the_assignment_does_not_hold_is_refused() -> None:
    assignment = created(5)
    without_q5 = assignment.with_questions(kept(assignment, "q1", "q2", "q3", "q4"))
    with pytest.raises(ValidationError, match="no question 'q5'"):
        without_q5.with_questions([EditedQuestion("q5", "Back again?", "No.")])


def test_one_id_twice_is_refused() -> None:
    assignment = created(2)
    with pytest.raises(ValidationError, match="unique"):
        assignment.with_questions(kept(assignment, "q1", "q1"))


@pytest.mark.parametrize("count", [0, MAX_QUESTIONS + 1])
def test_the_number_of_questions_is_bounded(count: int) -> None:
    edits = [EditedQuestion(None, f"Q{n}?", f"A{n}.") for n in range(count)]
    with pytest.raises(ValidationError, match=f"1 to {MAX_QUESTIONS} questions"):
        created(1).with_questions(edits)


@pytest.mark.parametrize(("question", "answer"), [("   ", "An answer."), ("A question?", "\n\n")])
def test_a_blank_question_or_answer_is_refused(question: str, answer: str) -> None:
    with pytest.raises(ValidationError, match="needs a question and an answer"):
        created(1).with_questions([EditedQuestion("q1", question, answer)])


def test_line_breaks_inside_a_question_or_answer_are_kept() -> None:
    question = "Name the parts:\n- the nucleus\n- the membrane"
    answer = "The nucleus holds the DNA.\r\n\r\nThe membrane lets things in and out."
    edited = created(1).with_questions([EditedQuestion("q1", f"\n{question}\n", answer)])
    assert edited.question("q1") == QuestionAnswer("q1", question, answer)
    document = edited.to_document()
    assert Assignment.from_document(document).question("q1").answer == answer


def test_the_highest_number_survives_the_document() -> None:
    assignment = created(5)
    edited = assignment.with_questions(kept(assignment, "q1"))
    assert Assignment.from_document(edited.to_document()).last_question_number == 5


def test_a_document_saved_before_the_counter_existed_never_reuses_an_old_position() -> None:
    """Old edits renumbered by position, so any of q1..q10 may have answers in the log."""
    document = created(3).to_document()
    del document["last_question_number"]
    legacy = Assignment.from_document(document)
    assert ids(legacy) == ["q1", "q2", "q3"]
    added = legacy.with_questions([*kept(legacy, "q1"), EditedQuestion(None, "New?", "Yes.")])
    assert ids(added) == ["q1", f"q{LEGACY_QUESTION_NUMBERS + 1}"]


def test_the_counter_is_never_below_the_questions_own_numbers() -> None:
    questions = (QuestionAnswer("q7", "Q?", "A."), QuestionAnswer("intro", "Q?", "A."))
    assignment = Assignment("a1", "t", "Text.", questions, last_question_number=2)
    assert assignment.last_question_number == 7


_EDIT = st.one_of(st.none(), st.integers(min_value=0, max_value=MAX_QUESTIONS - 1))


# Portal property (docs/ARCHITECTURE.md, editing): over any sequence of edits, an id names one
# question for the assignment's whole life: kept ids keep their text, removed ids never return.
@given(rounds=st.lists(st.lists(_EDIT, min_size=1, max_size=MAX_QUESTIONS), max_size=8))
def test_no_id_ever_names_two_questions(rounds: list[list[int | None]]) -> None:
    assignment = created(5)
    given_to: dict[str, str] = {qa.id: qa.question for qa in assignment.question_answers}
    removed: set[str] = set()
    for round_number, picks in enumerate(rounds):
        current = list(assignment.question_answers)
        chosen = list(dict.fromkeys(p for p in picks if p is not None and p < len(current)))
        edits = kept(assignment, *(current[p].id for p in chosen))
        edits += [
            EditedQuestion(None, f"New {round_number}.{n}?", "Yes.")
            for n, p in enumerate(picks)
            if p is None
        ]
        if not edits:
            continue
        assignment = assignment.with_questions(edits)
        now = {qa.id: qa.question for qa in assignment.question_answers}
        removed |= {qa.id for qa in current} - set(now)
        assert not removed & set(now), "a removed id came back"
        for qid, question in now.items():
            assert given_to.setdefault(qid, question) == question, f"{qid} changed hands"
