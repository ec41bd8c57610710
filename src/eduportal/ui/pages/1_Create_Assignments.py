"""Create an assignment: text in, questions and image generated, reviewed, then saved."""

from __future__ import annotations

from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import QuestionAnswer, numbered
from eduportal.domain.errors import EduportalError
from eduportal.observability.logging import log_error
from eduportal.services.assignments import Step
from eduportal.ui.session import container, page, show_error

DRAFT = "create_draft"


def draft() -> dict[str, Any]:
    value: dict[str, Any] = st.session_state.setdefault(
        DRAFT, {"text": "", "questions": [], "image": None, "image_source": None}
    )
    return value


def generate_questions(text: str) -> None:
    with st.status("Generating questions…", expanded=False) as status:
        questions = container().assignments.generate_questions(text)
        status.update(label="Questions ready", state="complete")
    draft()["questions"] = [qa.as_dict() for qa in questions]
    for index, qa in enumerate(questions):
        st.session_state[f"q{index}_question"] = qa.question
        st.session_state[f"q{index}_answer"] = qa.answer


def generate_image(text: str) -> None:
    with st.status("Generating the illustration…", expanded=False) as status:
        draft()["image"] = container().assignments.generate_image(text)
        draft()["image_source"] = "generated"
        status.update(label="Illustration ready", state="complete")


def edited_questions() -> list[QuestionAnswer]:
    pairs = [
        (st.session_state.get(f"q{i}_question", ""), st.session_state.get(f"q{i}_answer", ""))
        for i in range(len(draft()["questions"]))
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
                teacher, current["text"], edited_questions(), image, progress
            )
        except EduportalError as error:
            status.update(label="Not saved", state="error")
            log_error(error)
            show_error(error)
            if image is not None:
                st.session_state["offer_save_without_image"] = True
            return
        status.update(label="Saved", state="complete")
    st.session_state.pop("offer_save_without_image", None)
    st.session_state[DRAFT] = {"text": "", "questions": [], "image": None, "image_source": None}
    st.success(
        f"Assignment {created.assignment_id} saved with {len(created.question_answers)} "
        "questions. Find it on the Show Assignments page."
    )


with page("Create Assignments", Role.TEACHER) as teacher:
    assert teacher is not None
    current = draft()
    text = st.text_area(
        "Text for the assignment",
        value=current["text"],
        height=200,
        placeholder="Paste a paragraph or two: questions and an illustration are made from it.",
    )
    with_image = st.checkbox("Generate an illustration", value=True, key="with_image")
    if st.button("Generate", type="primary", key="generate"):
        current["text"] = text
        generate_questions(text)
        if with_image:
            generate_image(text)
        else:
            current["image"] = None

    if current["questions"]:
        st.subheader("Questions")
        st.caption("Edit any question or answer before saving.")
        for index in range(len(current["questions"])):
            left, right = st.columns(2)
            left.text_input(f"Question {index + 1}", key=f"q{index}_question")
            right.text_input(f"Answer {index + 1}", key=f"q{index}_answer")
        if st.button("Regenerate questions", key="regenerate_questions"):
            generate_questions(current["text"])
            st.rerun()

        st.subheader("Illustration")
        if current["image"] is not None:
            st.image(current["image"], width=360, caption=f"{current['image_source']} image")
        else:
            st.caption("No image: the assignment will be saved without one.")
        left, right = st.columns(2)
        if left.button("Regenerate image", key="regenerate_image"):
            generate_image(current["text"])
            st.rerun()
        upload = right.file_uploader(
            "…or use your own image", type=["png", "jpg", "jpeg", "webp", "gif"], key="own_image"
        )
        if upload is not None:
            current["image"] = upload.getvalue()
            current["image_source"] = "uploaded"

        if st.button("Save assignment", type="primary", key="save"):
            save(teacher, with_image=current["image"] is not None)
        if st.session_state.get("offer_save_without_image") and st.button(
            "Save without the image", key="save_without_image"
        ):
            save(teacher, with_image=False)
