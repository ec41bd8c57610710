# Create an assignment: text in, questions and an illustration generated, reviewed, saved.
#
# Every control that changes the draft works through a callback: Streamlit runs callbacks
# before the page is drawn again, the only moment a widget's value may be set (a question
# field after regenerating), and the page then draws the draft as it is, so what is shown is
# what will be saved. Each change is also saved on the server as the teacher's draft, so a
# refresh or a new tab brings the work back. A callback's failure is kept and shown on the
# page it leads to.
#
# A teacher's own image goes to the processing pipeline the moment it is chosen (ui/uploads):
# the draft keeps its image id, and the illustration shown before stays beside it until the
# pipeline is done. Ready, it is the image; refused, the page says why and the illustration
# before it stays. Saved while it is still processing, the assignment awaits it and the page
# follows it to the end.
# (Comments, not docstrings, in page scripts: Streamlit's magic would show a string.)

from __future__ import annotations

from typing import Any

import streamlit as st

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
    Assignment,
    OwnImage,
    numbered,
    propose_title,
)
from eduportal.domain.drafts import NO_DRAFT
from eduportal.domain.errors import ConflictError, EduportalError, NotFoundError
from eduportal.domain.image_records import ImageRecord, ImageStatus
from eduportal.imaging.probe import FILE_EXTENSIONS
from eduportal.observability.logging import log_error
from eduportal.services.assignments import Step
from eduportal.services.drafts import ChosenImage
from eduportal.ui import question_editor
from eduportal.ui.assignment_editor import alt_field
from eduportal.ui.images import show_image
from eduportal.ui.session import container, image_bytes, page, show_error, signed_in
from eduportal.ui.uploads import awaited, follow, refusal, refused_words, sent_upload
from eduportal.ui.wording import clock_time, local_time, plural

DRAFT = "create_draft"
PROBLEM = "create_problem"
SAVED = "create_saved"
# The assignment just saved while its own image was still processing: followed to the end.
FOLLOWING = "create_following"
# How many forms were started: part of every field's key, since only a new key gives a
# fresh widget (the browser keeps a removed widget's value).
FORMS = "create_forms"


def draft() -> dict[str, Any]:
    value: dict[str, Any] = st.session_state.setdefault(
        DRAFT,
        {
            "image": None,
            "image_label": None,
            "upload": None,
            "offer_without_image": False,
            "version": NO_DRAFT,
            "image_alt": None,
            "image_alt_edited": False,
        },
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


def describe_as(text: str | None) -> None:
    """Show `text` in the description field and keep it as the page's description.

    The field's new words reach the browser only when a run draws the field. A run cut short
    by the teacher's next click (Save straight after choosing a file) never does, and that
    click sends the browser's old words back, which Streamlit reports as the teacher changing
    the field: the own picture was saved described as the poster (seen in CI). So the words
    replaced are remembered (`on_alt_change` knows them when they come back), and until the
    teacher writes their own, the words kept here are the description."""
    current = draft()
    current["replaced_alt"] = current["image_alt"]
    current["image_alt"] = text
    st.session_state[form_key("alt")] = text or ""


def page_alt() -> str:
    """The image's description as the page has it: the teacher's words, or those kept by
    `describe_as`."""
    current = draft()
    return field("alt") if current["image_alt_edited"] else current["image_alt"] or ""


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
    st.session_state[form_key("alt")] = saved.image_alt
    question_editor.load(
        questions_prefix(), [(None, q.question, q.answer) for q in saved.questions]
    )
    current.update(
        version=saved.version,
        restored_at=saved.updated_at,
        saved_at=saved.updated_at,
        image=loaded.image.data if loaded.image else None,
        image_label=loaded.image.label if loaded.image else None,
        upload=saved.upload,
        image_alt=saved.image_alt,
        image_alt_edited=saved.image_alt_edited,
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
            upload=current["upload"],
            expected_version=current["version"],
            image_alt=page_alt(),
            image_alt_edited=current["image_alt_edited"],
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
        questions = service.generate_questions(teacher(), field("text"))
        question_editor.load(
            questions_prefix(), [(None, qa.question, qa.answer) for qa in questions]
        )
        st.session_state[form_key("title")] = propose_title(field("text"))
        if st.session_state.get(form_key("with_image"), True):
            set_generated_image(regenerate=False)
        else:
            draft().update(image=None, image_label=None, upload=None)
    except EduportalError as error:
        remember_problem(error)
        return
    persist()


def on_regenerate_questions() -> None:
    try:
        questions = container().assignments.generate_questions(teacher(), field("text"))
    except EduportalError as error:
        remember_problem(error)
        return
    question_editor.load(questions_prefix(), [(None, qa.question, qa.answer) for qa in questions])
    persist()


def on_regenerate_image() -> None:
    try:
        set_generated_image(regenerate=True)
    except EduportalError as error:
        remember_problem(error)
        return
    persist()


def set_generated_image(*, regenerate: bool) -> None:
    """The Generate button reuses the illustration of an identical request (the generation
    cache); "Regenerate image" asks the model for a new one."""
    service = container().assignments
    image = service.generate_image(teacher(), field("text"), regenerate=regenerate)
    draft().update(image=image, image_label=service.image_source, upload=None)
    if not draft()["image_alt_edited"]:  # the teacher's own words outlive a new drawing
        describe_as(
            service.describe_image(
                teacher(), image, text=field("text"), title=field("title"), question_answers=pairs()
            )
        )


def pairs() -> list[tuple[str, str]]:
    return [(q, a) for _, q, a in question_editor.edited(questions_prefix())]


def on_alt_change() -> None:
    """The teacher's words, unless they are the words `describe_as` replaced, sent back by
    a browser that never got the new ones: then the field gets the page's words again."""
    current = draft()
    typed = field("alt")
    if typed and typed == current.get("replaced_alt") and typed != current["image_alt"]:
        st.session_state[form_key("alt")] = current["image_alt"] or ""
        return
    current["image_alt_edited"] = bool(typed.strip())  # emptied: described again
    persist()


def on_upload() -> None:
    """Sent to the pipeline the moment it is chosen; the image shown before stays in the
    draft until the pipeline is done with the new one. A file refused at once (empty, too
    large) leaves everything as it was."""
    try:
        chosen = sent_upload(
            teacher(),
            form_key("upload"),
            text=field("text"),
            title=field("title"),
            question_answers=pairs(),
        )
    except EduportalError as error:
        remember_problem(error)
        return
    if chosen is not None:
        draft().update(upload=chosen, image_alt_edited=False)  # another picture: its own words
        describe_as(chosen.alt)
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
    upload: OwnImage | None = current["upload"] if with_image else None
    described = page_alt() if with_image else None
    if upload is not None and usable(upload) is None:
        upload = None  # refused: the image shown instead is what is saved
        described = None  # the description was the refused file's: the image gets its own
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
                upload=upload,
                image_alt=described,
                image_alt_edited=current["image_alt_edited"],
            )
        except EduportalError as error:
            status.update(label="Not saved", state="error")
            log_error(error)
            show_error(error)
            current["offer_without_image"] = image is not None or upload is not None
            return
        status.update(label="Saved", state="complete")
    if created.awaits_image:
        st.session_state[FOLLOWING] = created
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


def usable(upload: OwnImage) -> ImageRecord | None:
    """The upload's record unless the pipeline refused it (or it cannot be read)."""
    try:
        record = container().assignments.image_progress(teacher(), upload.image_id)
    except EduportalError as error:
        log_error(error)
        return None
    return None if record.status in (ImageStatus.REJECTED, ImageStatus.FAILED) else record


def confirm(saved: Assignment) -> None:
    count = plural(len(saved.question_answers), "question")
    st.success(f"Saved “{saved.title}” with {count}.")
    if not saved.awaits_image:  # else the box following the image has the link
        open_link(saved)


def open_link(saved: Assignment) -> None:
    st.page_link(
        "views/assignments.py",
        label="Open the assignment",  # short: a link does not wrap on a phone
        query_params={"assignment": saved.assignment_id},
    )


def following(teacher: Account) -> None:
    """The own image of the assignment just saved, followed until it is its illustration or
    refused; the outcome is said once."""
    saved: Assignment | None = st.session_state.get(FOLLOWING)
    if saved is None:
        return
    try:
        current = container().assignments.get(saved.assignment_id)  # settles a finished one
    except NotFoundError:  # deleted meanwhile: nothing left to follow
        st.session_state.pop(FOLLOWING)
        return
    upload = current.image_upload
    if current.awaits_image and upload is not None:
        with st.container(border=True):
            follow(teacher, upload.image_id, upload.label)
            st.caption(f"It becomes the illustration of “{current.title}” when ready.")
            open_link(current)
        return
    st.session_state.pop(FOLLOWING)
    if upload is not None and upload.message is not None:
        kept = "its previous image" if current.has_image else "no image"
        st.warning(
            f"{refused_words(upload.state, upload.message, upload.label)} "
            f"“{current.title}” is saved with {kept}."
        )
    elif current.has_image:
        st.success(f"Your image is now the illustration of “{current.title}”.")
    else:
        return
    open_link(current)


def restored_notice(current: dict[str, Any]) -> None:
    restored_at = current.get("restored_at")
    if restored_at is None:
        return
    notice, action = st.columns([4, 1], vertical_alignment="center")
    notice.info(f"Your unsaved work from {local_time(restored_at)} is back.")
    action.button("Discard it", key=form_key("discard"), on_click=on_discard)


def illustration(account: Account, current: dict[str, Any]) -> None:
    st.subheader("Illustration")
    chosen: OwnImage | None = current["upload"]
    shown = False
    if chosen is not None:
        shown = own_image_state(account, current, chosen)
    if not shown and current["image"] is not None:
        st.image(
            current["image"],
            width=360,
            caption=current["image_label"],
            alt="Illustration for this assignment",
        )
    elif not shown:
        st.caption("No image: the assignment will be saved without one.")
    left, right = st.columns(2)
    left.button("Regenerate image", key="regenerate_image", on_click=on_regenerate_image)
    right.file_uploader(
        "…or use your own image",
        type=list(FILE_EXTENSIONS),
        key=form_key("upload"),
        on_change=on_upload,
    )


def own_image_state(account: Account, current: dict[str, Any], chosen: OwnImage) -> bool:
    """The chosen own image where it stands; True when it is the image shown (ready), False
    when the illustration chosen before is still the one to show (processing, refused)."""

    def meanwhile() -> None:
        if current["image"] is not None:
            st.caption("Until it is ready, the illustration below stays chosen.")

    record = awaited(account, chosen, while_processing=meanwhile)
    if record is None:
        return False
    if record.status is ImageStatus.COMPLETED and record.processed_key is not None:
        show_image(
            image_bytes(record.processed_key),
            placeholder=record.placeholder,
            width=360,
            caption=f"{chosen.label} · ready",
            alt="Illustration for this assignment",
            key=record.processed_key,
        )
        return True
    if record.status in (ImageStatus.REJECTED, ImageStatus.FAILED):
        kept = " The illustration below stays." if current["image"] is not None else ""
        st.warning(refused_words(record.status, refusal(record), chosen.label) + kept)
        # Saving keeps the illustration shown below; a way to save with no image at all.
        current["offer_without_image"] = current["image"] is not None
    return False


with page("Create an assignment", Role.TEACHER) as account:
    if DRAFT not in st.session_state:
        restore(account)
    if saved := st.session_state.pop(SAVED, None):
        start_a_fresh_form()
        confirm(saved)
    following(account)
    current = draft()
    if problem := st.session_state.pop(PROBLEM, None):
        show_error(problem)
        current["offer_without_image"] = current["image"] is not None or bool(current["upload"])
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
        illustration(account, current)
        if current["image"] is not None or current["upload"] is not None:
            alt_field(form_key("alt"), on_change=on_alt_change)
        if st.button("Save assignment", type="primary", key="save"):
            save(account, with_image=current["image"] is not None or current["upload"] is not None)
        if current["offer_without_image"] and st.button(
            "Save without the image", key="save_without_image"
        ):
            save(account, with_image=False)
    if saved_at := current.get("saved_at"):
        st.caption(
            f"Your work is kept as a draft (saved at {clock_time(saved_at)}): a refresh or "
            "another tab brings it back until you save the assignment."
        )
