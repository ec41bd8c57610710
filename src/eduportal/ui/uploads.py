"""A teacher's own image: sent to the processing pipeline the moment it is chosen, then
followed there until it is ready, or refused with the pipeline's sentence and what to do.

Nothing is decoded in the page's request: the pipeline's validation decides from the bytes
(`AssignmentService.send_image` returns at once with the record `UPLOADED`). While the image is
processed, a fragment polls its record every second and reruns the page once it is final, so
the page draws the outcome with everything else.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Final

import streamlit as st

from eduportal.domain.accounts import Account
from eduportal.domain.alt_text import ImageOrigin
from eduportal.domain.assignments import OwnImage, UploadState
from eduportal.domain.errors import EduportalError
from eduportal.domain.image_records import FINAL, ImageRecord, ImageStatus, Stage
from eduportal.observability.logging import log_error
from eduportal.services.assignments import own_image_label
from eduportal.ui.session import container, show_error

POLL_SECONDS: Final = 1.0

STAGE_WORDS: Final = {
    Stage.VALIDATE: ("checked", "checking it"),
    Stage.EXTRACT_METADATA: ("details read", "reading its details"),
    Stage.RESIZE: ("resized", "resizing it"),
    Stage.THUMBNAILS: ("thumbnails made", "making thumbnails"),
    Stage.ARCHIVE: ("original kept", "keeping the original"),
}
"""Each stage, done and under way, in a teacher's words."""


def sent_upload(
    teacher: Account,
    key: str,
    *,
    text: str,
    title: str,
    question_answers: Sequence[tuple[str, str]],
) -> OwnImage | None:
    """The file chosen in the uploader `key`, sent to the pipeline and described for the
    assignment of `text`, `title` and `question_answers` (its bytes are at hand only now);
    None when it was cleared. Raises the service's `EduportalError` for a file refused at once
    (empty, too large) or a store that refused it."""
    upload = st.session_state.get(key)
    if upload is None:
        return None
    name = str(upload.name)
    service = container().assignments
    data = upload.getvalue()
    record = service.send_image(teacher, data, file_name=name, content_type=upload.type or None)
    alt = service.describe_image(
        teacher,
        data,
        text=text,
        title=title,
        question_answers=question_answers,
        origin=ImageOrigin.UPLOADED,
    )
    return OwnImage(record.image_id, own_image_label(name), alt)


def progress_words(record: ImageRecord) -> str:
    """ "Checked · details read · resizing it…", or that it waits for its turn."""
    if record.status is ImageStatus.UPLOADED:
        return "Waiting for its turn to be processed…"
    done = {stage for stage, _ in record.stages_done}
    words = [STAGE_WORDS[stage][0] for stage in Stage if stage in done]
    following = next((stage for stage in Stage if stage not in done), None)
    if following is not None:
        words.append(STAGE_WORDS[following][1] + "…")
    return " · ".join(words).capitalize()


def show_progress(record: ImageRecord, label: str) -> None:
    done = len(record.stages_done)
    st.progress(
        done / len(Stage),
        text=f"**{label}** is being processed: {done} of {len(Stage)} steps done",
    )
    st.caption(progress_words(record))


def refused_words(state: UploadState | ImageStatus, message: str, label: str) -> str:
    """Why an own image was refused, and what the teacher can do about it."""
    name = label.removeprefix("Your image: ")
    if state in (UploadState.REJECTED, ImageStatus.REJECTED):
        return f"“{name}” was refused: {message} Choose another file, or save without it."
    return (
        f"“{name}” could not be processed: {message} Choose the file again to try again; "
        "if it keeps failing, save without it."
    )


def refusal(record: ImageRecord) -> str:
    """The pipeline's sentence for a refused record."""
    if record.status is ImageStatus.REJECTED:
        return record.reason or "This file could not be used as an image."
    return record.failure.message if record.failure else "The image could not be processed."


def record_of(teacher: Account, image_id: str) -> ImageRecord | None:
    """The pipeline's record, or None after showing why it cannot be read."""
    try:
        return container().assignments.image_progress(teacher, image_id)
    except EduportalError as error:
        log_error(error)
        show_error(error)
        return None


@st.fragment(run_every=POLL_SECONDS)
def follow(teacher: Account, image_id: str, label: str) -> None:
    """The image's progress, read again every second; once it is final the whole page runs
    again and draws the outcome."""
    record = record_of(teacher, image_id)
    if record is None:
        return
    if record.status in FINAL:
        st.rerun(scope="app")
    show_progress(record, label)


def awaited(
    teacher: Account, chosen: OwnImage, *, while_processing: Callable[[], None]
) -> ImageRecord | None:
    """The chosen image's record: when it is still processing, its progress is drawn (and
    `while_processing` after it); the caller draws a final one. None when it cannot be read."""
    record = record_of(teacher, chosen.image_id)
    if record is not None and record.status not in FINAL:
        with st.container(border=True):
            follow(teacher, chosen.image_id, chosen.label)
            while_processing()
    return record
