"""Editing a saved assignment: owner only, from the latest version, never while its image is
being changed, questions keeping their ids and so their answers; subjects; search."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from eduportal.domain.accounts import Account
from eduportal.domain.assignments import (
    MAX_QUESTIONS,
    MAX_SEARCH_CHARS,
    MAX_SUBJECT_CHARS,
    Assignment,
    EditedQuestion,
    ImageLock,
)
from eduportal.domain.errors import ConflictError, ForbiddenError, ValidationError
from eduportal.wiring import Container
from tests.support.texts import TEXT


def saved(
    container: Container, teacher: Account, *, title: str | None = None, subject: str = ""
) -> Assignment:
    return container.assignments.create_from_text(
        teacher, TEXT, with_image=False, title=title, subject=subject
    )


def ids(assignment: Assignment) -> list[str]:
    return [qa.id for qa in assignment.question_answers]


def test_removing_a_question_leaves_the_others_answers_where_they_were(
    container: Container, teacher: Account, student: Account
) -> None:
    created = saved(container, teacher)
    container.grading.answer(student, created.assignment_id, "q3", "an answer to the third")
    q3 = created.question("q3")
    edited = container.assignments.edit(
        teacher,
        created.assignment_id,
        expected_version=created.version,
        question_answers=[
            *(qa for qa in created.question_answers if qa.id != "q2"),
            EditedQuestion(None, "A new question?", "A new answer."),
        ],
    )
    assert ids(edited) == ["q1", "q3", "q4", "q5", "q6"]
    assert edited.version == created.version + 1
    assert container.assignments.get(created.assignment_id) == edited
    boards = container.grading.leaderboards(created.assignment_id)
    assert list(boards) == ["q1", "q3", "q4", "q5", "q6"]
    assert [entry.student_id for entry in boards["q3"]] == [student.username]
    assert boards["q6"] == [] and edited.question("q3") == q3


def test_title_and_subject_are_edited_and_an_empty_subject_removes_it(
    container: Container, teacher: Account
) -> None:
    created = saved(container, teacher, subject="  Biology ")
    assert created.subject == "Biology"
    edited = container.assignments.edit(
        teacher,
        created.assignment_id,
        expected_version=1,
        title="  Cells \n and energy ",
        subject="Cell  biology",
    )
    assert (edited.title, edited.subject) == ("Cells and energy", "Cell biology")
    assert edited.question_answers == created.question_answers
    cleared = container.assignments.edit(
        teacher, created.assignment_id, expected_version=2, subject=" "
    )
    assert cleared.subject is None and cleared.title == "Cells and energy"
    assert container.assignments.get(created.assignment_id).subject is None


def test_only_the_teacher_who_created_it_edits_it(
    container: Container, teacher: Account, other_teacher: Account, student: Account
) -> None:
    created = saved(container, teacher)
    for someone in (other_teacher, student):
        with pytest.raises(ForbiddenError):
            container.assignments.edit(
                someone, created.assignment_id, expected_version=1, title="Mine now"
            )
    assert container.assignments.get(created.assignment_id) == created


def test_an_edit_from_a_stale_page_is_a_conflict_with_a_plain_sentence(
    container: Container, teacher: Account
) -> None:
    created = saved(container, teacher)
    container.assignments.edit(teacher, created.assignment_id, expected_version=1, title="First")
    with pytest.raises(ConflictError) as caught:
        container.assignments.edit(
            teacher, created.assignment_id, expected_version=1, title="From a stale page"
        )
    assert caught.value.user_message == (
        "This assignment was changed meanwhile, in another tab or by someone else: reload to "
        "see the latest, then make your change again."
    )
    assert not caught.value.transient
    stored = container.assignments.get(created.assignment_id)
    assert (stored.title, stored.version) == ("First", 2)


def test_after_a_conflict_reading_again_gives_the_latest(
    container: Container, teacher: Account
) -> None:
    """The recent-reads cache may hold a copy another process (the API) has since changed;
    the page that was refused reloads from it, so the refusal refreshes it."""
    created = saved(container, teacher)
    assert container.assignments.get(created.assignment_id).version == 1  # cached
    elsewhere = created.next_version(content=True, title="Changed through the API")
    container.repositories.assignments.replace(elsewhere, expected_version=1)
    assert container.assignments.get(created.assignment_id).version == 1  # still cached
    with pytest.raises(ConflictError):
        container.assignments.edit(teacher, created.assignment_id, expected_version=1, title="X")
    latest = container.assignments.get(created.assignment_id)
    assert (latest.title, latest.version) == ("Changed through the API", 2)


def test_an_edit_waits_while_the_image_is_being_changed(
    container: Container, teacher: Account
) -> None:
    created = saved(container, teacher)
    lock = ImageLock("another request", container.clock.now() + 60)
    claimed = created.next_version(image_lock=lock)
    container.repositories.assignments.replace(claimed, expected_version=created.version)
    with pytest.raises(ConflictError) as caught:
        container.assignments.edit(
            teacher, created.assignment_id, expected_version=claimed.version, title="Now"
        )
    assert caught.value.transient and "being changed right now" in caught.value.user_message
    assert container.assignments.get(created.assignment_id) == claimed


@pytest.mark.parametrize(
    ("change", "sentence"),
    [
        ({"title": " "}, "Please give the assignment a title."),
        (
            {"subject": "x" * (MAX_SUBJECT_CHARS + 1)},
            f"A subject has at most {MAX_SUBJECT_CHARS} characters.",
        ),
        ({"question_answers": []}, f"An assignment has 1 to {MAX_QUESTIONS} questions."),
        (
            {
                "question_answers": [
                    EditedQuestion(None, f"Q{n}?", "A.") for n in range(MAX_QUESTIONS + 1)
                ]
            },
            f"An assignment has 1 to {MAX_QUESTIONS} questions.",
        ),
        (
            {"question_answers": [EditedQuestion("q1", "Still asked?", " \n ")]},
            "Every question needs a question and an answer.",
        ),
        (
            {"question_answers": [EditedQuestion("q9", "Which?", "None.")]},
            "This assignment has no question 'q9'.",
        ),
    ],
)
def test_an_invalid_edit_says_why_and_saves_nothing(
    container: Container, teacher: Account, change: dict[str, Any], sentence: str
) -> None:
    created = saved(container, teacher)
    with pytest.raises(ValidationError) as caught:
        container.assignments.edit(
            teacher,
            created.assignment_id,
            expected_version=1,
            **change,
        )
    assert caught.value.user_message == sentence
    assert container.assignments.get(created.assignment_id) == created


def test_line_breaks_in_questions_and_answers_are_kept(
    container: Container, teacher: Account
) -> None:
    created = saved(container, teacher)
    question = "Name two parts of a cell.\nSay what each does."
    answer = "The nucleus holds the DNA.\n\nMitochondria make energy."
    container.assignments.edit(
        teacher,
        created.assignment_id,
        expected_version=1,
        question_answers=[EditedQuestion("q1", f"  {question}\n", f"{answer}\n\n")],
    )
    stored = container.repositories.assignments.get(created.assignment_id)
    assert (stored.question("q1").question, stored.question("q1").answer) == (question, answer)


def test_an_edit_that_changes_nothing_saves_nothing(container: Container, teacher: Account) -> None:
    created = saved(container, teacher, subject="Biology")
    same = container.assignments.edit(
        teacher,
        created.assignment_id,
        expected_version=1,
        title=created.title,
        subject="Biology",
        question_answers=created.question_answers,
    )
    assert same == created and same.version == 1


def test_replacing_the_questions_without_a_version_keeps_ids_too(
    container: Container, teacher: Account
) -> None:
    """`update_questions`, the REST API's PUT: the same rules, on the stored version."""
    created = saved(container, teacher)
    container.assignments.edit(teacher, created.assignment_id, expected_version=1, title="T")
    updated = container.assignments.update_questions(
        teacher,
        created.assignment_id,
        [
            replace(created.question("q4"), answer="Edited."),
            EditedQuestion(None, "Added?", "Yes."),
        ],
    )
    assert ids(updated) == ["q4", "q6"] and updated.version == 3
    assert updated.question("q4").answer == "Edited."


def test_a_subject_is_set_at_creation_and_a_long_one_is_refused(
    container: Container, teacher: Account
) -> None:
    questions = container.assignments.generate_questions(teacher, TEXT)
    created = container.assignments.create(teacher, TEXT, questions, subject=" Biology ")
    assert container.assignments.get(created.assignment_id).subject == "Biology"
    assert container.assignments.create(teacher, TEXT, questions, subject="").subject is None
    with pytest.raises(ValidationError, match="at most"):
        container.assignments.create(
            teacher, TEXT, questions, subject="x" * (MAX_SUBJECT_CHARS + 1)
        )
    assert container.assignments.list().total == 2


def test_search_and_one_teachers_own_page_together(
    container: Container, teacher: Account, other_teacher: Account
) -> None:
    mine = saved(container, teacher, title="Cells 100% explained", subject="Biology")
    saved(container, teacher, title="Stars", subject="Physics")
    theirs = saved(container, other_teacher, subject="biology")
    found = container.assignments.list(search="  BIOLOGY ")
    assert [a.assignment_id for a in found.items] == [theirs.assignment_id, mine.assignment_id]
    assert found.total == 2
    own = container.assignments.list(teacher_id=teacher.username, search="biology")
    assert [a.assignment_id for a in own.items] == [mine.assignment_id] and own.total == 1
    assert container.assignments.list(search="0%").total == 1
    assert container.assignments.list(search="  ").total == 3  # blank is no search
    with pytest.raises(ValidationError) as caught:
        container.assignments.list(search="x" * (MAX_SEARCH_CHARS + 1))
    assert caught.value.user_message == f"A search has at most {MAX_SEARCH_CHARS} characters."
