# The Image pipeline page, for teachers acting as operators: every upload's record by status
# and upload day, newest first; one record in detail (`?image=ID`: where it stands, its outputs,
# its stages as a timeline, its events); the dead-letter queue with redrive; the queue's depth.
# Filters, the record shown and the tab are in the address, so a refresh or a shared link
# keeps them. (Comments, not docstrings, in page scripts: Streamlit's magic would show them.)

from __future__ import annotations

from datetime import date

import streamlit as st

from eduportal.domain.accounts import Role
from eduportal.domain.errors import NotFoundError
from eduportal.domain.image_records import DayRange, ImageRecord, ImageStatus, Outcome
from eduportal.domain.messages import image_id_in
from eduportal.ports import DeadLetter
from eduportal.services.uploads import Redrive, StatusCount, UploadService
from eduportal.ui.images import show_image
from eduportal.ui.listing import escape_markdown
from eduportal.ui.pipeline_words import (
    OUTCOME_WORDS,
    STATUS_WORDS,
    event_words,
    exif_lines,
    letter_name,
    letter_reason,
    picture_words,
    stage_words,
    state_sentence,
    status_badge,
    upload_alt,
)
from eduportal.ui.session import container, image_bytes, page
from eduportal.ui.wording import (
    clock_time,
    duration_words,
    local_time,
    plural,
    size_words,
    unbroken,
)

PAGE_SIZE = 10
SELECTED = "image"  # the query parameter naming the record shown in detail
NOTICE = "pipeline_notice"  # where a redrive's result waits for the run after it
LETTERS_SHOWN = 50
OUTCOME_COLORS = {
    Outcome.COMPLETED: "#21c354",
    Outcome.RETRYING: "#ffbd45",
    Outcome.REJECTED: "#ff8700",
    Outcome.FAILED: "#ff4b4b",
}


def open_record(image_id: str) -> None:
    st.query_params[SELECTED] = image_id
    st.rerun()


def queue_line(service: UploadService) -> None:
    depth = service.queue_depth()
    st.caption(
        f"The queue: {depth.waiting:,} waiting · {depth.in_flight:,} being processed · "
        f"{plural(depth.dead, 'dead letter')}"
    )


# --- The records -----------------------------------------------------------------------------


def filters(service: UploadService) -> tuple[ImageStatus | None, DayRange | None]:
    status, day = st.columns([3, 2], vertical_alignment="bottom")
    with status:
        chosen = st.pills(
            "Status",
            list(ImageStatus),
            format_func=lambda value: STATUS_WORDS[ImageStatus(value)],
            key="status",
            bind="query-params",
            wrap=True,
        )
    with day:
        on = st.date_input(
            "Uploaded on",
            value=None,
            max_value=date.fromisoformat(service.today()),
            key="day",
            bind="query-params",
            format="YYYY-MM-DD",
            help="Any day when empty. Days run from midnight UTC.",
        )
    picked = ImageStatus(chosen) if chosen else None
    return picked, DayRange.one(on.isoformat()) if isinstance(on, date) else None


def count_badges(counts: list[StatusCount]) -> str:
    """ "12 completed", "1 failed"... for the statuses that have any, in their colours."""
    return " ".join(
        status_badge(
            tally.status,
            f"{tally.count:,}{'+' if tally.more else ''} {STATUS_WORDS[tally.status].lower()}",
        )
        for tally in counts
        if tally.count
    )


def record_list(service: UploadService, status: ImageStatus | None, days: DayRange | None) -> None:
    """Newest first, `PAGE_SIZE` at a time; a new filter starts from its first page."""
    place = f"pipeline_offset_{status}_{days}"
    offset = int(st.session_state.get(place, 0))
    records = service.find(status=status, days=days, limit=PAGE_SIZE + 1, offset=offset)
    more = len(records) > PAGE_SIZE
    records = records[:PAGE_SIZE]
    if not records:
        empty_state(service, status, days, offset)
        return
    shown = f"{offset + 1} to {offset + len(records)}, newest first"
    st.caption(f"Uploads {shown}. {count_badges(service.counts(days))}")
    for record in records:
        record_row(record)
    newer, _, older = st.columns([1, 4, 1])
    if offset > 0 and newer.button("← Newer", key="newer"):
        st.session_state[place] = max(0, offset - PAGE_SIZE)
        st.rerun()
    if more and older.button("Older →", key="older"):
        st.session_state[place] = offset + PAGE_SIZE
        st.rerun()


def empty_state(
    service: UploadService, status: ImageStatus | None, days: DayRange | None, offset: int
) -> None:
    if offset > 0:
        st.info("No more uploads: these were the oldest.")
        return
    if status is None and days is None:
        st.info(
            "No uploads yet — when an image is uploaded into the pipeline (from the portal, "
            "the API or `eduportal upload`), it appears here and you can follow it through "
            "its five stages."
        )
        return
    what = f"{STATUS_WORDS[status].lower()} " if status else ""
    when = f" on {days.first}" if days else ""
    st.info(f"No {what}uploads{when}. Clear a filter to see more.")
    if counts := count_badges(service.counts(days)):
        st.caption(f"That day: {counts}" if days else f"In all: {counts}")


def record_row(record: ImageRecord) -> None:
    """A row, not columns: on a phone columns stack, and a row of three would take a screen."""
    with st.container(border=True, horizontal=True, vertical_alignment="center"):
        if record.thumbnail_keys:
            show_image(
                image_bytes(record.thumbnail_keys[0]),
                placeholder=record.placeholder,
                width=64,
                alt=upload_alt(record),
                key=record.thumbnail_keys[0],
            )
        with st.container(width="stretch", gap="small"):
            st.markdown(f"**{escape_markdown(record.file_name)}** {status_badge(record.status)}")
            st.caption(
                f"Uploaded {unbroken(local_time(record.uploaded_at))} · "
                f"{unbroken(size_words(record.size_bytes))}"
                + (f" · run {record.run}" if record.run > 1 else "")
            )
        if st.button("Open", key=f"open_{record.image_id}"):
            open_record(record.image_id)


# --- One record ------------------------------------------------------------------------------


def detail(service: UploadService, image_id: str) -> None:
    if st.button("← All uploads", key="back"):
        del st.query_params[SELECTED]
        st.rerun()
    try:
        record = service.get(image_id)
    except NotFoundError:
        st.warning("There is no upload with this id. Go back to the list to choose one.")
        return
    st.header(escape_markdown(record.file_name), anchor=False)
    st.markdown(status_badge(record.status))
    st.caption(
        f"Uploaded {local_time(record.uploaded_at)} · {size_words(record.size_bytes)} · "
        f"declared as {escape_markdown(record.content_type)} · run {record.run} · "
        f"id {record.image_id}"
    )
    say = {
        ImageStatus.COMPLETED: st.success,
        ImageStatus.REJECTED: st.warning,
        ImageStatus.FAILED: st.error,
    }.get(record.status, st.info)
    say(state_sentence(record))
    if record.status not in (ImageStatus.COMPLETED, ImageStatus.REJECTED):
        st.button("Refresh", key="refresh", icon=":material/refresh:")
    outputs(record)
    timeline(record)
    events(service, record)


def outputs(record: ImageRecord) -> None:
    picture = picture_words(record.metadata)
    if not (record.thumbnail_keys or picture or record.archive_key):
        return
    st.subheader("The image", anchor=False)
    if record.thumbnail_keys:
        left, right = st.columns([1, 2])
        with left:
            show_image(
                image_bytes(record.thumbnail_keys[-1]),
                placeholder=record.placeholder,
                width=256,
                alt=upload_alt(record),
                key=record.thumbnail_keys[-1],
            )
    else:
        right = st.container()
    lines = []
    if picture:
        lines.append(f"- The upload is {picture}.")
    images = container().image_store
    if record.processed_key:
        url = images.url_for(record.processed_key)
        lines.append(f"- Processed for the portal: [the optimized image]({url}).")
    if record.thumbnail_keys:
        links = ", ".join(
            f"[{key.rsplit('/', 1)[-1].split('.')[0]} px]({images.url_for(key)})"
            for key in record.thumbnail_keys
        )
        lines.append(f"- Thumbnails: {links}.")
    if record.archive_key:
        lines.append("- The upload is archived as it came, in the pipeline's archive.")
    right.markdown("\n".join(lines))
    if camera := exif_lines(record.metadata):
        with right.expander("Camera details"):
            st.markdown("\n".join(f"- {line}" for line in camera))


def timeline(record: ImageRecord) -> None:
    """Every try of every stage, as bars of their durations and as lines."""
    st.subheader("Stages", anchor=False)
    if not record.history:
        st.caption("No stage has run yet.")
        return
    labels = [
        f"{number}. {stage_words(attempt.stage)}"
        for number, attempt in enumerate(record.history, start=1)
    ]
    series = [outcome for outcome in Outcome if any(a.outcome is outcome for a in record.history)]
    data: dict[str, list[str] | list[float]] = {"Try": labels}
    for outcome in series:
        data[OUTCOME_WORDS[outcome]] = [
            round(a.seconds * 1000, 1) if a.outcome is outcome else 0.0 for a in record.history
        ]
    st.bar_chart(
        data,
        x="Try",
        y=[OUTCOME_WORDS[outcome] for outcome in series],
        color=[OUTCOME_COLORS[outcome] for outcome in series],
        horizontal=True,
        sort=False,
        x_label="",
        y_label="milliseconds",
        height=80 + 32 * len(labels),
        alt=f"How long each stage of {record.file_name} took",
    )
    lines = []
    for label, attempt in zip(labels, record.history, strict=True):
        note = f"  \n  {escape_markdown(attempt.message)}" if attempt.message else ""
        lines.append(
            f"- **{label}** · {OUTCOME_WORDS[attempt.outcome].lower()} · "
            f"{unbroken(duration_words(attempt.seconds))} · {clock_time(attempt.at)}{note}"
        )
    st.markdown("\n".join(lines))


def events(service: UploadService, record: ImageRecord) -> None:
    st.subheader("Events", anchor=False)
    found = service.events(record.image_id)
    if found is None:
        st.caption(
            "On AWS the pipeline's events go to Amazon EventBridge, which keeps no history to "
            "read back here; the stages above come from the image's record."
        )
        return
    if not found:
        st.caption("No event about this image yet: it is waiting for a worker.")
        return
    st.markdown("\n".join(f"- {clock_time(event.time)} · {event_words(event)}" for event in found))
    st.caption("Newest first.")


# --- The dead-letter queue -------------------------------------------------------------------


def dead_letters(service: UploadService) -> None:
    dead = service.queue_depth().dead
    if dead == 0:
        st.info(
            "The dead-letter queue is empty: no image is waiting to be tried again after a failure."
        )
        return
    letters = service.dead_letters(limit=LETTERS_SHOWN)
    names = {image_of(letter): letter_name(letter) for letter in letters}
    if dead == 1:
        st.markdown(
            "1 image failed after its retries and waits here. Fix the cause (it says what "
            "failed), then redrive it: it is processed again from the first stage."
        )
    else:
        st.markdown(
            f"{dead:,} images failed after their retries and wait here, oldest first. Fix the "
            "cause (each says what failed), then redrive them: each is processed again from "
            "the first stage."
        )
    if dead > len(letters):
        st.caption(f"Showing the oldest {len(letters)}; redrive them to see the rest.")
    if dead > 1:
        with st.popover(f"Redrive all {dead:,}", icon=":material/replay:", key="ask_all"):
            st.markdown(f"Put all {dead:,} images back in the queue?")
            if st.button("Yes, redrive all", key="redrive_all", type="primary"):
                redriven(service.redrive(None), names)
    for letter in letters:
        name = names[image_of(letter)]
        # Keyed by its image and itself: a script finds an image's letters by the class
        # `st-key-letter_{image}_`, and an image redriven and failed again has two.
        with st.container(border=True, key=f"letter_{image_of(letter)}_{letter.message_id}"):
            st.markdown(f"**{name}**")
            st.caption(
                f"Set aside {unbroken(local_time(letter.dead_at))} after "
                f"{plural(letter.receive_count, 'try', 'tries')}"
            )
            st.markdown(letter_reason(letter))
            image_id = image_id_in(letter.body)
            with st.container(horizontal=True):
                ask = st.popover(
                    "Redrive", icon=":material/replay:", key=f"ask_{letter.message_id}"
                )
                with ask:
                    st.markdown(f"Put {name} back in the queue?")
                    if st.button(
                        "Yes, redrive", key=f"redrive_{letter.message_id}", type="primary"
                    ):
                        redriven(service.redrive([letter.message_id]), names)
                if image_id is not None and st.button("Open", key=f"see_{letter.message_id}"):
                    open_record(image_id)


def image_of(letter: DeadLetter) -> str:
    """The image a dead letter is about, as a redrive reports it."""
    return image_id_in(letter.body) or letter.message_id


def redriven(result: Redrive, names: dict[str, str]) -> None:
    """Say what the redrive did (`names`: file names by image), on the page drawn after it."""
    if result.redriven:
        shown = [names.get(image_id, image_id) for image_id in result.redriven]
        st.session_state[NOTICE] = (
            f"Back in the queue: {', '.join(shown)}. A worker processes "
            f"{'it' if len(shown) == 1 else 'them'} again now."
        )
    else:
        st.session_state[NOTICE] = (
            "Already redriven (from another tab, perhaps): nothing was queued twice."
        )
    st.rerun()


with page("Image pipeline", Role.TEACHER) as teacher:
    uploads = container().uploads
    uploads.authorize(teacher)
    if notice := st.session_state.pop(NOTICE, None):
        st.success(notice)
    queue_line(uploads)
    selected = st.query_params.get(SELECTED)
    if selected:
        detail(uploads, selected)
    else:
        records_tab, letters_tab = st.tabs(
            ["Uploads", "Dead letters"], key="tab", bind="query-params"
        )
        if records_tab.open:
            with records_tab:
                st.button("Refresh", key="refresh", icon=":material/refresh:")
                status, days = filters(uploads)
                record_list(uploads, status, days)
        if letters_tab.open:
            with letters_tab:
                dead_letters(uploads)
