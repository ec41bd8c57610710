"""Each page of the portal, driven headless: what a teacher and a student see and do."""

from __future__ import annotations

import re
from typing import Any

import pytest

from eduportal.domain.accounts import Role
from eduportal.imaging.placeholder import placeholder_image
from eduportal.ui import session
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.pages import handed_to, make_assignment, submit, texts
from tests.support.texts import PASSWORD, TEXT


@pytest.fixture
def shown_images(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the pages hand to `st.image`, in order."""
    return handed_to(monkeypatch, "image", lambda args, kwargs: args[0])


def test_signed_out_the_start_page_is_a_form_the_server_answers_with_a_cookie(
    open_page: PageFactory,
) -> None:
    home = open_page("Home.py")
    assert not home.exception
    form = home.get("html")[0].proto.body
    assert 'action="/account/sign-in"' in form
    assert 'autocomplete="current-password"' in form  # password managers fill it
    assert 'name="next" value="/"' in form


def test_a_refused_sign_in_is_worded_once(open_page: PageFactory) -> None:
    home = open_page("Home.py", query={"sign_in": "unauthenticated", "ref": "abc"})
    assert not home.exception
    assert home.warning[0].value == "Wrong user name or password. Please try again."
    assert "sign_in" not in home.query_params  # a refresh does not say it again
    assert "Reference" not in texts(home)


def test_a_failed_sign_in_on_our_side_gives_a_reference(open_page: PageFactory) -> None:
    home = open_page("Home.py", query={"sign_in": "unavailable", "ref": "abc123"})
    assert "Reference: `abc123`" in home.error[0].value


def test_pages_ask_to_sign_in_first(open_page: PageFactory) -> None:
    for script in ("views/create.py", "views/assignments.py"):
        app = open_page(script)
        assert not app.exception
        assert "Please sign in" in texts(app)


QUESTION = "create_questions_{form}_q{slot}"
ANSWER = "create_questions_{form}_a{slot}"


def test_teacher_generates_edits_and_saves_an_assignment(
    open_page: PageFactory, container: Container, shown_images: list[Any]
) -> None:
    teacher = container.accounts.login("teacher1", PASSWORD).account
    first_question = container.assignments.generate_questions(teacher, TEXT)[0].question
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT)
    app.button(key="generate").click().run()
    assert not app.exception
    assert app.text_area(key=QUESTION.format(form=0, slot=0)).value == first_question
    assert len(app.get("image")) == 1
    assert shown_images == [container.assignments.generate_image(teacher, TEXT)]  # the illustration
    image = app.get("image")[0].proto.imgs[0]
    assert image.caption.startswith("Offline illustration")  # says what made it
    assert image.alt == "Illustration for this assignment"
    app.text_area(key=ANSWER.format(form=0, slot=0)).input("An edited answer")
    app.text_input(key="create_subject_0").input("Biology")
    app.button(key="save").click().run()
    assert not app.exception
    saved = container.assignments.list().items
    assert len(saved) == 1
    assert f"Saved “{saved[0].title}” with 5 questions." in texts(app)
    assert saved[0].title == "The mitochondrion is the powerhouse of the cell"
    assert saved[0].subject == "Biology"
    assert app.text_area(key="create_text_1").value == ""  # a fresh form
    assert not [area for area in app.text_area if "questions" in str(area.key)]
    assert saved[0].question_answers[0].question == first_question
    assert saved[0].question_answers[0].answer == "An edited answer"
    assert saved[0].s3_image_key.endswith(".webp")
    assert container.drafts.load(teacher) is None  # the draft went with the save


def test_past_the_allowance_the_create_page_says_when_to_try_again(
    open_page: PageFactory, container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Generate reuses the kept illustration (free); Regenerate asks the model, and past the
    allowance the page says so in the service's sentence, as a notice, not a failure."""
    monkeypatch.setenv("EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER", "1")
    session.container.clear()  # the pages' container again, with the allowance of one
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT)
    app.button(key="generate").click().run()
    app.button(key="generate").click().run()  # the same text: from the generation cache
    assert not app.warning and len(app.get("image")) == 1
    app.button(key="regenerate_image").click().run()
    assert not app.exception and not app.error
    (warning,) = app.warning
    assert re.fullmatch(
        r"You have generated 1 illustration in the last hour, the most allowed\. "
        r"You can generate another in (59|60) minutes\.",
        warning.value,
    )
    assert "Reference" not in texts(app)
    assert len(app.get("image")) == 1  # the illustration drawn before stays


def test_teacher_saves_without_an_image(open_page: PageFactory, container: Container) -> None:
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT)
    app.checkbox(key="create_with_image_0").uncheck()
    app.button(key="generate").click().run()
    app.button(key="save").click().run()
    assert not app.exception
    assert container.assignments.list().items[0].s3_image_key == "no_image"


def test_the_work_in_progress_comes_back_in_a_new_session(open_page: PageFactory) -> None:
    """A refresh or a new tab is a new Streamlit session: the draft comes from the server."""
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT).run()
    app.button(key="generate").click().run()
    app.text_area(key=ANSWER.format(form=0, slot=1)).input("My own answer").run()
    app.button(key="create_questions_0_remove_4").click().run()
    again = open_page("views/create.py", user="teacher1")
    assert not again.exception
    assert "Your unsaved work from" in texts(again)
    assert "Your work is kept as a draft (saved at" in texts(again)
    assert again.text_area(key="create_text_0").value == TEXT
    assert again.text_area(key=ANSWER.format(form=0, slot=1)).value == "My own answer"
    assert len([a for a in again.text_area if str(a.key).startswith("create_questions")]) == 8
    assert len(again.get("image")) == 1  # the illustration came back too
    again.button(key="create_discard_0").click().run()
    assert again.text_area(key="create_text_1").value == ""
    assert "Your unsaved work" not in texts(open_page("views/create.py", user="teacher1"))


def test_questions_can_be_added_and_removed_before_saving(
    open_page: PageFactory, container: Container
) -> None:
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT)
    app.checkbox(key="create_with_image_0").uncheck()
    app.button(key="generate").click().run()
    second = app.text_area(key=QUESTION.format(form=0, slot=1)).value
    app.button(key="create_questions_0_remove_0").click().run()
    app.button(key="create_questions_0_add").click().run()
    app.text_area(key=QUESTION.format(form=0, slot=5)).input("What does ATP store?\nSay why.")
    app.text_area(key=ANSWER.format(form=0, slot=5)).input("Energy")
    app.button(key="save").click().run()
    assert not app.exception
    saved = container.assignments.list().items[0].question_answers
    assert [qa.id for qa in saved] == ["q1", "q2", "q3", "q4", "q5"]
    assert saved[0].question == second
    assert saved[-1].question == "What does ATP store?\nSay why."  # multi-line kept


def test_show_lists_opens_and_deletes(open_page: PageFactory, container: Container) -> None:
    assignment_id = make_assignment(container)
    app = open_page("views/assignments.py", user="teacher1")
    assert "1 assignment, newest first" in texts(app)
    app.button(key=f"open_{assignment_id}").click().run()
    assert not app.exception
    assert app.query_params["assignment"] == assignment_id  # the detail has its own address
    assert "Answer:" in texts(app)
    app.button(key="permanent").click().run()
    assert "never archived" in texts(app)
    app.checkbox(key="confirm_delete").check().run()
    app.button(key="delete").click().run()
    assert not app.exception
    title = "The mitochondrion is the powerhouse of the cell"
    assert f"“{title}” deleted." in texts(app)
    assert "assignment" not in app.query_params
    assert container.assignments.list().total == 0


def test_a_teacher_sees_their_own_first_and_others_without_the_authors_actions(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container)
    container.accounts.register("teacher2", PASSWORD, Role.TEACHER)
    app = open_page("views/assignments.py", user="teacher2")
    assert "You have no assignments yet." in texts(app)
    app.toggle(key="only_mine").set_value(False).run()
    app.button(key=f"open_{assignment_id}").click().run()
    assert not app.exception
    assert "Answer:" in texts(app)  # every teacher sees the reference answers
    assert not [button for button in app.button if button.key == "delete"]


def test_student_sees_every_question_answers_one_and_reveals_it(
    open_page: PageFactory, container: Container
) -> None:
    assignment = container.assignments.get(make_assignment(container))
    app = open_page("views/answer.py", user="student1")
    assert "not started" in texts(app)
    app.button(key=f"open_{assignment.assignment_id}").click().run()
    shown = texts(app)
    for qa in assignment.question_answers:  # every question in full, none in a dropdown
        assert qa.question in shown
    assert len(app.text_area) == len(assignment.question_answers)
    assert "Answer once to unlock the reference answer." in shown
    first = assignment.question_answers[0]
    app.text_area(key=f"answer_{assignment.assignment_id}_{first.id}").input(
        "teh mitochondrion is the powerhouse"
    )
    submit(app, first.id)
    assert not app.exception
    assert [metric.label for metric in app.metric] == ["This answer"]
    assert app.metric[0].value.endswith(" / 100")
    assert "does not say whether the answer is right" in texts(app)
    assert "The mitochondrion is the powerhouse." in texts(app)  # the spelling, fixed
    app.button(key=f"reveal_{first.id}").click().run()
    assert f"Reference answer: {first.answer}" in texts(app)
    assert "no longer count" in texts(app)


def test_a_missing_image_shows_the_placeholder_not_an_error(
    open_page: PageFactory, container: Container, shown_images: list[Any]
) -> None:
    assignment_id = make_assignment(container)
    for key in container.assignments.get(assignment_id).image_keys:  # the thumbnails too
        container.object_store.delete(key)
        container.image_store.delete(key)
    app = open_page("views/answer.py", user="student1")
    assert not app.exception
    assert not app.error
    assert len(app.get("image")) == 1
    assert shown_images and set(shown_images) == {placeholder_image()}  # on every run
