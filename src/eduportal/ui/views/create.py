# Create an assignment: text in, questions and an illustration generated, reviewed, saved.
#
# Every control that changes the draft works through a callback: Streamlit runs callbacks
# before the page is drawn again, the only moment a widget's value may be set (a question
# field after regenerating), and the page then draws the draft as it is, so what is shown is
# what will be saved. Each change is also saved on the server as the teacher's draft, so a
# refresh or a new tab brings the work back. A callback's failure is kept and shown on the
# page it leads to.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
    Assignment,
    numbered,
    propose_title,
)
from eduportal.domain.drafts import NO_DRAFT
from eduportal.domain.errors import ConflictError, EduportalError
from eduportal.imaging.probe import FILE_EXTENSIONS
from eduportal.observability.logging import log_error
from eduportal.services.assignments import Step
from eduportal.services.drafts import ChosenImage
from eduportal.ui import question_editor
from eduportal.ui.session import container, page, show_error, signed_in
from eduportal.ui.uploads import checked_upload
from eduportal.ui.wording import clock_time, local_time, plural

DRAFT = "create_draft"
PROBLEM = "create_problem"
SAVED = "create_saved"
# How many forms were started: part of every field's key, since only a new key gives a
# fresh widget (the browser keeps a removed widget's value).
FORMS = "create_forms"


def draft() -> dict[str, Any]:
    value: dict[str, Any] = st.session_state.setdefault(
        DRAFT,
        {"image": None, "image_label": None, "offer_without_image": False, "version": NO_DRAFT},
    )
    return value


def form_key(name: str) -> str:
    return f"create_{name}_{st.session_state.get(FORMS, 0)}"


def questions_prefix() -> str:
    return form_key("questions")


def field(name: str) -> str:
    return str(st.session_state.get(form_key(name), ""))


def teacher() -> Account:
    account = signed_in()
    assert account is not None  # callbacks run only on the signed-in teacher's page
    return account


def remember_problem(error: EduportalError) -> None:
    log_error(error)
    st.session_state[PROBLEM] = error


def restore(teacher: Account) -> None:
    """The teacher's draft from the server, once per browser session: before any field is
    drawn, so the fields can be filled."""
    loaded = container().drafts.load(teacher)
    current = draft()
    if loaded is None:
        return
    saved = loaded.draft
    st.session_state[form_key("text")] = saved.text
    st.session_state[form_key("title")] = saved.title
    st.session_state[form_key("subject")] = saved.subject
    question_editor.load(
        questions_prefix(), [(None, q.question, q.answer) for q in saved.questions]
    )
    current.update(
        version=saved.version,
        restored_at=saved.updated_at,
        saved_at=saved.updated_at,
        image=loaded.image.data if loaded.image else None,
        image_label=loaded.image.label if loaded.image else None,
    )


def persist() -> None:
    """Save the page as it is as the teacher's draft. When another tab saved meanwhile, say
    so and take that tab's draft: the teacher sees the newer work rather than overwriting it."""
    current = draft()
    image = current["image"]
    try:
        saved = container().drafts.save(
            teacher(),
            title=field("title"),
            subject=field("subject"),
            text=field("text"),
            questions=[(q, a) for _, q, a in question_editor.edited(questions_prefix())],
            image=ChosenImage(image, current["image_label"]) if image is not None else None,
            expected_version=current["version"],
        )
    except ConflictError as error:
        remember_problem(error)
        start_a_fresh_form()
        st.session_state.pop(DRAFT)  # so the next run loads the newer draft
        return
    except EduportalError as error:
        remember_problem(error)
        return
    current.update(version=saved.version, saved_at=saved.updated_at)


def on_generate() -> None:
    try:
        service = container().assignments
        questions = service.generate_questions(field("text"))
        question_editor.load(
            questions_prefix(), [(None, qa.question, qa.answer) for qa in questions]
        )
        st.session_state[form_key("title")] = propose_title(field("text"))
        if st.session_state.get(form_key("with_image"), True):
            set_generated_image()
        else:
            draft().update(image=None, image_label=None)
    except EduportalError as error:
        remember_problem(error)
        return
    persist()


def on_regenerate_questions() -> None:
    try:
        questions = container().assignments.generate_questions(field("text"))
    except EduportalError as error:
        remember_problem(error)
        return
    question_editor.load(questions_prefix(), [(None, qa.question, qa.answer) for qa in questions])
    persist()


def on_regenerate_image() -> None:
    try:
        set_generated_image()
    except EduportalError as error:
        remember_problem(error)
        return
    persist()


def set_generated_image() -> None:
    service = container().assignments
    draft().update(image=service.generate_image(field("text")), image_label=service.image_source)


def on_upload() -> None:
    """Checked the moment it is chosen; a refused file leaves the previous image in place."""
    try:
        chosen = checked_upload(form_key("upload"))
    except EduportalError as error:
        remember_problem(error)
        return
    if chosen is not None:
        data, name = chosen
        draft().update(image=data, image_label=f"Your image: {name}")
        persist()


def on_discard() -> None:
    try:
        container().drafts.discard(teacher())
    except EduportalError as error:
        remember_problem(error)
        return
    start_a_fresh_form()


def save(teacher: Account, with_image: bool) -> None:
    current = draft()
    image = current["image"] if with_image else None
    pairs = [(q, a) for _, q, a in question_editor.edited(questions_prefix())]
    with st.status("Creating the assignment…", expanded=True) as status:

        def progress(step: Step) -> None:
            status.write(f"{step.value}…")

        try:
            created = container().assignments.create(
                teacher,
                field("text"),
                numbered(pairs),
                image,
                progress,
                title=field("title"),
                subject=field("subject"),
            )
        except EduportalError as error:
            status.update(label="Not saved", state="error")
            log_error(error)
            show_error(error)
            current["offer_without_image"] = image is not None
            return
        status.update(label="Saved", state="complete")
    try:
        container().drafts.discard(teacher)
    except EduportalError as error:  # saved all the same; the old draft comes back once
        log_error(error)
    st.session_state[SAVED] = created
    st.rerun()  # to a fresh form: widget values may only be cleared before they are drawn


def start_a_fresh_form() -> None:
    """New keys for every field, and an empty draft on the page."""
    question_editor.clear(questions_prefix())
    st.session_state[FORMS] = st.session_state.get(FORMS, 0) + 1
    st.session_state.pop(DRAFT, None)
    draft()


def confirm(saved: Assignment) -> None:
    count = plural(len(saved.question_answers), "question")
    st.success(f"Saved “{saved.title}” with {count}.")
    st.page_link(
        "views/assignments.py",
        label="Open the assignment",  # short: a link does not wrap on a phone
        query_params={"assignment": saved.assignment_id},
    )


def restored_notice(current: dict[str, Any]) -> None:
    restored_at = current.get("restored_at")
    if restored_at is None:
        return
    notice, action = st.columns([4, 1], vertical_alignment="center")
    notice.info(f"Your unsaved work from {local_time(restored_at)} is back.")
    action.button("Discard it", key=form_key("discard"), on_click=on_discard)


def illustration(current: dict[str, Any]) -> None:
    st.subheader("Illustration")
    if current["image"] is not None:
        st.image(
            current["image"],
            width=360,
            caption=current["image_label"],
            alt="Illustration for this assignment",
        )
    else:
        st.caption("No image: the assignment will be saved without one.")
    left, right = st.columns(2)
    left.button("Regenerate image", key="regenerate_image", on_click=on_regenerate_image)
    right.file_uploader(
        "…or use your own image",
        type=list(FILE_EXTENSIONS),
        key=form_key("upload"),
        on_change=on_upload,
    )


with page("Create an assignment", Role.TEACHER) as account:
    if DRAFT not in st.session_state:
        restore(account)
    if saved := st.session_state.pop(SAVED, None):
        start_a_fresh_form()
        confirm(saved)
    current = draft()
    if problem := st.session_state.pop(PROBLEM, None):
        show_error(problem)
        current["offer_without_image"] = current["image"] is not None
    restored_notice(current)
    st.text_area(
        "Text for the assignment",
        key=form_key("text"),
        height=200,
        placeholder="Paste a paragraph or two: questions and an illustration are made from it.",
        on_change=persist,
    )
    st.checkbox("Generate an illustration", value=True, key=form_key("with_image"))
    st.button("Generate", type="primary", key="generate", on_click=on_generate)

    if question_editor.count(questions_prefix()):
        title, subject = st.columns([3, 1])
        title.text_input(
            "Title", key=form_key("title"), max_chars=MAX_TITLE_CHARS, on_change=persist
        )
        subject.text_input(
            "Subject (optional)",
            key=form_key("subject"),
            max_chars=MAX_SUBJECT_CHARS,
            on_change=persist,
        )
        st.subheader("Questions")
        st.caption("Edit any question or answer before saving.")
        question_editor.editor(questions_prefix(), on_change=persist)
        st.button(
            "Regenerate questions", key="regenerate_questions", on_click=on_regenerate_questions
        )
        illustration(current)
        if st.button("Save assignment", type="primary", key="save"):
            save(account, with_image=current["image"] is not None)
        if current["offer_without_image"] and st.button(
            "Save without the image", key="save_without_image"
        ):
            save(account, with_image=False)
    if saved_at := current.get("saved_at"):
        st.caption(
            f"Your work is kept as a draft (saved at {clock_time(saved_at)}): a refresh or "
            "another tab brings it back until you save the assignment."
        )
