"""Create an assignment: text in, questions and image generated, reviewed, then saved.

Every button that changes the draft works through a callback. Streamlit runs callbacks before
the page is drawn again, which is the only moment a widget's value may be set (a question
field after regenerating); and the page then draws the draft as it now is, so what is shown
is always what will be saved. A callback's failure is kept and shown on the page it leads to.
"""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    MAX_TITLE_CHARS,
    Assignment,
    QuestionAnswer,
    numbered,
    propose_title,
)
from eduportal.domain.errors import EduportalError
from eduportal.imaging.probe import FILE_EXTENSIONS
from eduportal.observability.logging import log_error
from eduportal.services.assignments import Step
from eduportal.ui.session import container, page, show_error

DRAFT = "create_draft"
TITLE = "create_title"
PROBLEM = "create_problem"
SAVED = "create_saved"
# How many forms were started: part of the text's and the uploader's keys, since only a new
# key gives a fresh widget (the browser keeps a removed widget's value).
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)
FORMS = "create_forms"
GENERATED = "Generated illustration"
QUESTION_FIELD = re.compile(r"q\d+_(question|answer)")


def draft() -> dict[str, Any]:
    value: dict[str, Any] = st.session_state.setdefault(
        DRAFT, {"questions": 0, "image": None, "image_label": None, "offer_without_image": False}
    )
    return value


def remember_problem(error: EduportalError) -> None:
    log_error(error)
    st.session_state[PROBLEM] = error


def text_key() -> str:
    return f"create_text_{st.session_state.get(FORMS, 0)}"


def text() -> str:
    return str(st.session_state.get(text_key(), ""))


def set_questions(questions: list[QuestionAnswer]) -> None:
    draft()["questions"] = len(questions)
    for index, qa in enumerate(questions):
        st.session_state[f"q{index}_question"] = qa.question
        st.session_state[f"q{index}_answer"] = qa.answer


def upload_key() -> str:
    return f"own_image_{st.session_state.get(FORMS, 0)}"


def on_generate() -> None:
    try:
        set_questions(container().assignments.generate_questions(text()))
        st.session_state[TITLE] = propose_title(text())
        if st.session_state.get("with_image", True):
            set_generated_image()
        else:
            draft().update(image=None, image_label=None)
    except EduportalError as error:
        remember_problem(error)


def on_regenerate_questions() -> None:
    try:
        set_questions(container().assignments.generate_questions(text()))
    except EduportalError as error:
        remember_problem(error)


def on_regenerate_image() -> None:
    try:
        set_generated_image()
    except EduportalError as error:
        remember_problem(error)


def set_generated_image() -> None:
    draft().update(image=container().assignments.generate_image(text()), image_label=GENERATED)


def on_upload() -> None:
    """Checked the moment it is chosen; a refused file leaves the previous image in place."""
    upload = st.session_state.get(upload_key())
    if upload is None:
        return
    data = upload.getvalue()
    try:
        container().assignments.check_image(data)
    except EduportalError as error:
        remember_problem(error)
        return
    draft().update(image=data, image_label=f"Your image: {upload.name}")


def edited_questions() -> list[QuestionAnswer]:
    pairs = [
        (st.session_state.get(f"q{i}_question", ""), st.session_state.get(f"q{i}_answer", ""))
        for i in range(draft()["questions"])
    ]
    return numbered(pairs)


def save(teacher: Account, with_image: bool) -> None:
    current = draft()
    image = current["image"] if with_image else None
    with st.status("Creating the assignment…", expanded=True) as status:

        def progress(step: Step) -> None:
            status.write(f"{step.value}…")

        try:
            created = container().assignments.create(
                teacher,
                text(),
                edited_questions(),
                image,
                progress,
                title=str(st.session_state.get(TITLE, "")),
            )
        except EduportalError as error:
            status.update(label="Not saved", state="error")
            log_error(error)
            show_error(error)
            current["offer_without_image"] = image is not None
            return
        status.update(label="Saved", state="complete")
    st.session_state[SAVED] = created
    st.rerun()  # to a fresh form: widget values may only be cleared before they are drawn


def start_a_fresh_form() -> None:
    fields = [key for key in st.session_state if QUESTION_FIELD.fullmatch(str(key))]
    for key in [text_key(), TITLE, DRAFT, *fields]:
        st.session_state.pop(key, None)
    st.session_state[FORMS] = st.session_state.get(FORMS, 0) + 1


def confirm(saved: Assignment) -> None:
    count = len(saved.question_answers)
    st.success(f"Saved “{saved.title}” with {count} question{'s' if count != 1 else ''}.")
    st.page_link(
        "views/assignments.py",
        label="Open the assignment",  # short: a link does not wrap on a phone
        query_params={"assignment": saved.assignment_id},
    )


with page("Create an assignment", Role.TEACHER) as teacher:
    if saved := st.session_state.pop(SAVED, None):
        start_a_fresh_form()
        confirm(saved)
    current = draft()
    if problem := st.session_state.pop(PROBLEM, None):
        show_error(problem)
        current["offer_without_image"] = current["image"] is not None
    st.text_area(
        "Text for the assignment",
        key=text_key(),
        height=200,
        placeholder="Paste a paragraph or two: questions and an illustration are made from it.",
    )
    st.checkbox("Generate an illustration", value=True, key="with_image")
    st.button("Generate", type="primary", key="generate", on_click=on_generate)

    if current["questions"]:
        st.text_input("Title", key=TITLE, max_chars=MAX_TITLE_CHARS)
        st.subheader("Questions")
        st.caption("Edit any question or answer before saving.")
        for index in range(current["questions"]):
            left, right = st.columns(2)
            left.text_input(f"Question {index + 1}", key=f"q{index}_question")
            right.text_input(f"Answer {index + 1}", key=f"q{index}_answer")
        st.button(
            "Regenerate questions", key="regenerate_questions", on_click=on_regenerate_questions
        )

        st.subheader("Illustration")
        if current["image"] is not None:
            st.image(current["image"], width=360, caption=current["image_label"])
        else:
            st.caption("No image: the assignment will be saved without one.")
        left, right = st.columns(2)
        left.button("Regenerate image", key="regenerate_image", on_click=on_regenerate_image)
        right.file_uploader(
            "…or use your own image",
            type=list(FILE_EXTENSIONS),
            key=upload_key(),
            on_change=on_upload,
        )

        if st.button("Save assignment", type="primary", key="save"):
            save(teacher, with_image=current["image"] is not None)
        if current["offer_without_image"] and st.button(
            "Save without the image", key="save_without_image"
        ):
            save(teacher, with_image=False)
