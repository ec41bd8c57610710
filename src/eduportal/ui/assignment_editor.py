"""Editing a saved assignment, at its own address (`?assignment=ID&edit=1`: a refresh keeps it).

The title, the subject and every question and answer in multi-line fields; questions added or
removed (`question_editor`, whose slots remember each question's id, so an edited question
keeps its answers and scores); the image replaced by an own image, sent to the processing
pipeline the moment it is chosen and followed there (`ui/uploads`), or removed. Nothing is
saved before Save: then one `edit`, made from the version the page was loaded from, and the
image change after it (`use_image`: the assignment awaits the new image and keeps its own
until the pipeline is done; one the pipeline refused is not used). A page made stale by
another change to the title, subject or questions is refused with the service's sentence and
offered the latest; an image adopted meanwhile is no such change.

Each edit gets fresh widget keys (`prefix`): the browser keeps a removed widget's value, and
a second edit must start from the assignment, not from what was typed the first time.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import streamlit as st

from eduportal.domain.accounts import Account
from eduportal.domain.alt_text import MAX_ALT_CHARS
from eduportal.domain.assignments import (
    MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
    Assignment,
    EditedQuestion,
    OwnImage,
)
from eduportal.domain.errors import ConflictError, EduportalError
from eduportal.domain.image_records import ImageStatus
from eduportal.imaging.probe import FILE_EXTENSIONS
from eduportal.observability.logging import log_error
from eduportal.ui import question_editor
from eduportal.ui.images import placeholder, show_image
from eduportal.ui.listing import alt_text, as_written, quoted
from eduportal.ui.session import container, image_bytes, show_error, signed_in
from eduportal.ui.uploads import awaited, refusal, refused_words, sent_upload

EDIT = "edit"
"""The query parameter that opens the assignment in edit mode."""
SAVED = "edit_saved"
"""The title of the assignment just saved, for the confirmation on the page it returns to."""
_EDITS = "edits_started"


@dataclass(frozen=True)
class NewImage:
    """An own image chosen to replace the current one, in the pipeline."""

    chosen: OwnImage


ImageChoice = NewImage | Literal["remove"] | None
"""Keep the image (None), remove it, or replace it: applied when the teacher saves."""


def editing() -> bool:
    return st.query_params.get(EDIT) == "1"


def edit_button(assignment: Assignment) -> None:
    st.button("Edit", key="edit", icon=":material/edit:", on_click=_start, args=(assignment,))


def confirm_saved() -> None:
    """At the top of the page, and as a toast: Save was at the bottom, and the page keeps the
    scroll position."""
    if title := st.session_state.pop(SAVED, None):
        st.success(f"Saved your changes to {quoted(title)}.")
        st.toast(f"Saved your changes to {quoted(title)}.", icon=":material/check_circle:")


def edit_page(teacher: Account, assignment: Assignment) -> None:
    prefix = _prefix(assignment.assignment_id)
    if f"{prefix}_version" not in st.session_state:  # opened at its address, or refreshed
        _load(assignment)
        prefix = _prefix(assignment.assignment_id)
    st.header(f"Editing {quoted(assignment.title)}")
    title, subject = st.columns([3, 2])
    title.text_input("Title", key=f"{prefix}_title", max_chars=MAX_TITLE_CHARS)
    subject.text_input(
        "Subject (optional)",
        key=f"{prefix}_subject",
        max_chars=MAX_SUBJECT_CHARS,
        placeholder="For example: Biology",
    )
    with st.expander("The text the questions are about"):
        st.markdown(as_written(assignment.prompt))
    st.subheader("Questions")
    question_editor.editor(prefix)
    st.subheader("Illustration")
    _image_choice(teacher, prefix, assignment)
    if assignment.has_image:
        alt_field(f"{prefix}_alt")
    st.divider()
    with st.container(horizontal=True):
        save = st.button("Save changes", type="primary", key=f"{prefix}_save")
        st.button("Cancel", key=f"{prefix}_cancel", on_click=_stop, args=(prefix,))
    if save:
        _save(teacher, assignment, prefix)


def alt_field(key: str, *, on_change: Callable[[], None] | None = None) -> None:
    """The image's alt text, for the teacher to read and correct: the Create page's too."""
    st.text_input(
        "Image description (alt text)",
        key=key,
        max_chars=MAX_ALT_CHARS,
        on_change=on_change,
        help="Read aloud by screen readers in place of the image: one short sentence saying "
        "what it shows and why it matters for the questions. Leave it empty to have it "
        "described for you.",
    )


def _prefix(assignment_id: str) -> str:
    return f"edit{st.session_state.get(_EDITS, 0)}_{assignment_id}"


def _start(assignment: Assignment) -> None:
    st.query_params[EDIT] = "1"
    _load(assignment)


def _load(assignment: Assignment) -> None:
    """Fill a fresh set of fields with the assignment as saved (before they are drawn)."""
    st.session_state[_EDITS] = st.session_state.get(_EDITS, 0) + 1
    prefix = _prefix(assignment.assignment_id)
    st.session_state[f"{prefix}_title"] = assignment.title
    st.session_state[f"{prefix}_subject"] = assignment.subject or ""
    st.session_state[f"{prefix}_version"] = assignment.version
    st.session_state[f"{prefix}_alt"] = assignment.image_alt or ""
    question_editor.load(
        prefix, [(qa.id, qa.question, qa.answer) for qa in assignment.question_answers]
    )


def _reload(assignment_id: str) -> None:
    _forget(_prefix(assignment_id))
    _load(container().assignments.get(assignment_id))


def _stop(prefix: str) -> None:
    st.query_params.pop(EDIT, None)
    _forget(prefix)


def _forget(prefix: str) -> None:
    """Every key of this edit: its fields, the question editor's slots, the image chosen."""
    for key in [key for key in st.session_state if str(key).startswith(f"{prefix}_")]:
        del st.session_state[key]


def _save(teacher: Account, assignment: Assignment, prefix: str) -> None:
    service = container().assignments
    try:
        with st.spinner("Saving…"):
            saved = service.edit(
                teacher,
                assignment.assignment_id,
                expected_version=st.session_state[f"{prefix}_version"],
                title=str(st.session_state.get(f"{prefix}_title", "")),
                subject=str(st.session_state.get(f"{prefix}_subject", "")),
                question_answers=[
                    EditedQuestion(question_id, question, answer)
                    for question_id, question, answer in question_editor.edited(prefix)
                ],
                image_alt=str(st.session_state[f"{prefix}_alt"]) if assignment.has_image else None,
            )
            # Saved: a second Save (after an image refusal below) starts from here.
            st.session_state[f"{prefix}_version"] = saved.version
            choice = _image(prefix)
            if isinstance(choice, NewImage) and _usable(teacher, choice):
                saved = service.use_image(teacher, assignment.assignment_id, choice.chosen)
            elif choice == "remove":
                saved = service.remove_image(teacher, assignment.assignment_id)
    except ConflictError as conflict:
        log_error(conflict)
        st.warning(conflict.user_message)
        if not conflict.transient:  # changed meanwhile, not merely busy for a moment
            st.button(
                "Reload the latest",
                key=f"{prefix}_reload",
                on_click=_reload,
                args=(assignment.assignment_id,),
            )
            st.caption("Reloading replaces what you typed here with the assignment as saved.")
        return
    except EduportalError as error:
        log_error(error)
        show_error(error)
        return
    _stop(prefix)
    st.session_state[SAVED] = saved.title
    st.rerun()


def _image(prefix: str) -> ImageChoice:
    choice: ImageChoice = st.session_state.get(f"{prefix}_image")
    return choice


def _upload_key(prefix: str) -> str:
    return f"{prefix}_upload{st.session_state.get(f'{prefix}_uploads', 0)}"


def _usable(teacher: Account, choice: NewImage) -> bool:
    """False for an image the pipeline refused: saving keeps the current one."""
    record = container().assignments.image_progress(teacher, choice.chosen.image_id)
    return record.status not in (ImageStatus.REJECTED, ImageStatus.FAILED)


def _image_choice(teacher: Account, prefix: str, assignment: Assignment) -> None:
    choice = _image(prefix)
    shown, controls = st.columns([2, 3])
    with shown:
        if choice == "remove":
            st.info("The image will be removed when you save.")
        elif not (isinstance(choice, NewImage) and _new_image(teacher, choice)):
            _current_image(assignment)
    with controls:
        if problem := st.session_state.pop(f"{prefix}_image_problem", None):
            show_error(problem)
        st.file_uploader(
            "Replace with your own image",
            type=list(FILE_EXTENSIONS),
            key=_upload_key(prefix),
            on_change=_check_upload,
            args=(prefix, assignment),
        )
        if choice is not None:
            st.button("Undo the image change", key=f"{prefix}_undo", on_click=_undo, args=(prefix,))
        elif assignment.has_image:
            st.button("Remove the image", key=f"{prefix}_remove", on_click=_remove, args=(prefix,))


def _new_image(teacher: Account, choice: NewImage) -> bool:
    """The chosen image where it stands; True when it is drawn in the current one's place
    (ready), False when the current image is still the one to show."""

    def meanwhile() -> None:
        st.caption("It replaces the current image once ready, when you save.")

    record = awaited(teacher, choice.chosen, while_processing=meanwhile)
    if record is None:
        return False
    if record.status is ImageStatus.COMPLETED and record.processed_key is not None:
        show_image(
            image_bytes(record.processed_key),
            placeholder=record.placeholder,
            caption=choice.chosen.label,
            alt="The new illustration",
            key=record.processed_key,
        )
        st.caption("It replaces the current image when you save.")
        return True
    if record.status in (ImageStatus.REJECTED, ImageStatus.FAILED):
        st.warning(refused_words(record.status, refusal(record), choice.chosen.label))
    return False


def _current_image(assignment: Assignment) -> None:
    if assignment.has_image:
        show_image(
            image_bytes(assignment.s3_image_key),
            placeholder=placeholder(assignment),
            alt=alt_text(assignment),
            key=assignment.s3_image_key,
        )
    else:
        st.caption("No image.")
    upload = assignment.image_upload
    if upload is not None and upload.pending:
        st.caption(f"{upload.label} is still being processed: it becomes the image when ready.")


def _check_upload(prefix: str, assignment: Assignment) -> None:
    """Sent to the pipeline the moment it is chosen; a file refused at once (empty, too
    large) leaves the image as it was."""
    teacher = signed_in()
    if teacher is None:
        return
    try:
        chosen = sent_upload(
            teacher,
            _upload_key(prefix),
            text=assignment.prompt,
            title=str(st.session_state.get(f"{prefix}_title", assignment.title)),
            question_answers=[(q, a) for _, q, a in question_editor.edited(prefix)],
        )
    except EduportalError as refused:
        log_error(refused)
        st.session_state[f"{prefix}_image_problem"] = refused
        return
    if chosen is not None:
        st.session_state[f"{prefix}_image"] = NewImage(chosen)


def _remove(prefix: str) -> None:
    st.session_state[f"{prefix}_image"] = "remove"


def _undo(prefix: str) -> None:
    st.session_state.pop(f"{prefix}_image", None)
    st.session_state[f"{prefix}_uploads"] = st.session_state.get(f"{prefix}_uploads", 0) + 1
