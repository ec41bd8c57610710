"""Each page of the portal, driven headless: what a teacher and a student see and do."""

from __future__ import annotations

from typing import Any

import pytest
import streamlit
from streamlit.delta_generator import DeltaGenerator

from eduportal.imaging.placeholder import placeholder_image
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.texts import PASSWORD, TEXT


def texts(app: object) -> str:
    """Everything the page wrote, in one string, for assertions on what a user reads."""
    parts = []
    for kind in ("markdown", "caption", "success", "info", "warning", "error", "title", "metric"):
        for element in getattr(app, kind, []):
            parts.append(str(getattr(element, "value", "")))
            parts.append(str(getattr(element, "label", "")))
    return "\n".join(parts)


@pytest.fixture
def shown_images(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """What the pages hand to `st.image` (or a column's `.image`), in order: the element tree
    of a page run only keeps a media URL, not the bytes behind it."""
    shown: list[Any] = []
    real_image = DeltaGenerator.image
    real_st_image = streamlit.image

    def image(self: DeltaGenerator, image: Any, *args: Any, **kwargs: Any) -> Any:
        shown.append(image)
        return real_image(self, image, *args, **kwargs)

    def st_image(image: Any, *args: Any, **kwargs: Any) -> Any:
        shown.append(image)
        return real_st_image(image, *args, **kwargs)

    monkeypatch.setattr(DeltaGenerator, "image", image)
    monkeypatch.setattr(streamlit, "image", st_image)
    return shown


def test_home_signs_a_user_in(open_page: PageFactory) -> None:
    home = open_page("Home.py")
    home.text_input[0].input("teacher1")
    home.text_input[1].input(PASSWORD)
    home.button[0].click().run()
    assert not home.exception
    assert "Welcome, teacher1." in texts(home)


def test_home_refuses_a_wrong_password_with_a_reference(open_page: PageFactory) -> None:
    home = open_page("Home.py")
    home.text_input[0].input("teacher1")
    home.text_input[1].input("wrong password")
    home.button[0].click().run()
    assert not home.exception
    assert "The user name or password is not right." in home.error[0].value
    assert "Reference:" in home.error[0].value


def test_pages_ask_to_sign_in_first(open_page: PageFactory) -> None:
    for script in (
        "pages/1_Create_Assignments.py",
        "pages/2_Show_Assignments.py",
        "pages/3_Complete_Assignments.py",
    ):
        app = open_page(script)
        assert not app.exception
        assert "Please sign in" in texts(app)


def test_students_cannot_open_the_create_page(open_page: PageFactory) -> None:
    app = open_page("pages/1_Create_Assignments.py", user="student1")
    assert not app.exception
    assert "This page is for teachers." in texts(app)


def test_teacher_generates_edits_and_saves_an_assignment(
    open_page: PageFactory, container: Container, shown_images: list[Any]
) -> None:
    first_question = container.assignments.generate_questions(TEXT)[0].question
    app = open_page("pages/1_Create_Assignments.py", user="teacher1")
    app.text_area[0].input(TEXT)
    app.button(key="generate").click().run()
    assert not app.exception
    assert app.text_input(key="q0_question").value == first_question
    assert len(app.get("image")) == 1
    assert shown_images == [container.assignments.generate_image(TEXT)]  # the illustration
    app.text_input(key="q0_answer").input("An edited answer")
    app.button(key="save").click().run()
    assert not app.exception
    saved = container.assignments.list().items
    assert len(saved) == 1
    assert f"Saved “{saved[0].title}” with 5 questions." in texts(app)
    assert saved[0].title == "The mitochondrion is the powerhouse of the cell"
    assert app.text_area[0].value == ""  # a fresh form
    assert not any(widget.key == "q0_question" for widget in app.text_input)
    assert saved[0].question_answers[0].question == first_question
    assert saved[0].question_answers[0].answer == "An edited answer"
    assert saved[0].s3_image_key.endswith(".webp")


def test_teacher_saves_without_an_image(open_page: PageFactory, container: Container) -> None:
    app = open_page("pages/1_Create_Assignments.py", user="teacher1")
    app.text_area[0].input(TEXT)
    app.checkbox(key="with_image").uncheck()
    app.button(key="generate").click().run()
    app.button(key="save").click().run()
    assert not app.exception
    assert container.assignments.list().items[0].s3_image_key == "no_image"


def make_assignment(container: Container, with_image: bool = True) -> str:
    teacher = container.accounts.login("teacher1", PASSWORD).account
    return container.assignments.create_from_text(
        teacher, TEXT, with_image=with_image
    ).assignment_id


def test_show_lists_opens_and_deletes(open_page: PageFactory, container: Container) -> None:
    assignment_id = make_assignment(container)
    app = open_page("pages/2_Show_Assignments.py", user="teacher1")
    assert "1 assignments" in texts(app)
    app.button(key=f"open_{assignment_id}").click().run()
    assert not app.exception
    assert app.query_params["assignment"] == assignment_id  # the detail has its own address
    assert "Answer:" in texts(app)
    app.button(key="permanent").click().run()
    assert "excluded from archiving" in texts(app)
    app.checkbox(key="confirm_delete").check().run()
    app.button(key="delete").click().run()
    assert not app.exception
    title = "The mitochondrion is the powerhouse of the cell"
    assert f"“{title}” deleted." in texts(app)
    assert "assignment" not in app.query_params
    assert container.assignments.list().total == 0


def test_show_hides_answers_and_actions_from_students(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container)
    app = open_page("pages/2_Show_Assignments.py", user="student1")
    app.button(key=f"open_{assignment_id}").click().run()
    assert not app.exception
    assert "Answer:" not in texts(app)
    assert not [button for button in app.button if button.key == "delete"]


def test_student_answers_and_sees_score_leaderboard_and_suggestions(
    open_page: PageFactory, container: Container
) -> None:
    reference = container.assignments.get(make_assignment(container)).question_answers[0].answer
    app = open_page("pages/3_Complete_Assignments.py", user="student1")
    app.text_area[0].input("teh mitochondrion is the powerhouse")
    app.button(key="submit").click().run()
    assert not app.exception
    labels = [metric.label for metric in app.metric]
    assert labels == ["Your score", "Your best"]
    assert app.table[0].value.shape[0] == 1
    assert "**Corrected:** The mitochondrion is the powerhouse." in texts(app)
    app.button(key="reveal").click().run()
    assert f"Correct answer: {reference}" in texts(app)


def test_a_missing_image_shows_the_placeholder_not_an_error(
    open_page: PageFactory, container: Container, shown_images: list[Any]
) -> None:
    assignment_id = make_assignment(container)
    key = container.assignments.get(assignment_id).s3_image_key
    container.object_store.delete(key)
    container.image_store.delete(key)
    app = open_page("pages/3_Complete_Assignments.py", user="student1")
    assert not app.exception
    assert not app.error
    assert len(app.get("image")) == 1
    assert shown_images == [placeholder_image()]
