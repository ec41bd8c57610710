"""Create an assignment: text in, questions and image generated, reviewed, then saved.

Every button that changes the draft works through a callback. Streamlit runs callbacks before
the page is drawn again, which is the only moment a widget's value may be set (a question
field after regenerating); and the page then draws the draft as it now is, so what is shown
is always what will be saved. A callback's failure is kept and shown on the page it leads to.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import QuestionAnswer, numbered
from eduportal.domain.errors import EduportalError
from eduportal.imaging.probe import FILE_EXTENSIONS
from eduportal.observability.logging import log_error
from eduportal.services.assignments import Step
from eduportal.ui.session import container, page, show_error

DRAFT = "create_draft"
TEXT = "create_text"
PROBLEM = "create_problem"
UPLOAD = "own_image"
GENERATED = "Generated illustration"


def draft() -> dict[str, Any]:
    value: dict[str, Any] = st.session_state.setdefault(
        DRAFT, {"questions": 0, "image": None, "image_label": None, "offer_without_image": False}
    )
    return value


def remember_problem(error: EduportalError) -> None:
    log_error(error)
    st.session_state[PROBLEM] = error


def text() -> str:
    return str(st.session_state.get(TEXT, ""))


def set_questions(questions: list[QuestionAnswer]) -> None:
    draft()["questions"] = len(questions)
    for index, qa in enumerate(questions):
        st.session_state[f"q{index}_question"] = qa.question
        st.session_state[f"q{index}_answer"] = qa.answer


def on_generate() -> None:
    try:
        set_questions(container().assignments.generate_questions(text()))
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
    upload = st.session_state.get(UPLOAD)
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
                teacher, text(), edited_questions(), image, progress
            )
        except EduportalError as error:
            status.update(label="Not saved", state="error")
            log_error(error)
            show_error(error)
            current["offer_without_image"] = image is not None
            return
        status.update(label="Saved", state="complete")
    st.session_state[DRAFT] = {
        "questions": 0, "image": None, "image_label": None, "offer_without_image": False
    }  # fmt: skip
    st.success(
        f"Assignment {created.assignment_id} saved with {len(created.question_answers)} "
        "questions. Find it on the Show Assignments page."
    )


with page("Create Assignments", Role.TEACHER) as teacher:
    assert teacher is not None
    current = draft()
    if problem := st.session_state.pop(PROBLEM, None):
        show_error(problem)
        current["offer_without_image"] = current["image"] is not None
    st.text_area(
        "Text for the assignment",
        key=TEXT,
        height=200,
        placeholder="Paste a paragraph or two: questions and an illustration are made from it.",
    )
    st.checkbox("Generate an illustration", value=True, key="with_image")
    st.button("Generate", type="primary", key="generate", on_click=on_generate)

    if current["questions"]:
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
            key=UPLOAD,
            on_change=on_upload,
        )

        if st.button("Save assignment", type="primary", key="save"):
            save(teacher, with_image=current["image"] is not None)
        if current["offer_without_image"] and st.button(
            "Save without the image", key="save_without_image"
        ):
            save(teacher, with_image=False)
