"""The processing pipeline in a teacher's words: statuses, stages, and what happened to an image.

Records and events are written for machines (`PROCESSING`, `extract_metadata`, `Image Stage
Failed`); the Image pipeline page says each as a sentence. User-given text (file names, and
the sentences errors carry) is escaped, so it shows as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from eduportal.domain.errors import ValidationError
from eduportal.domain.image_records import ImageRecord, ImageStatus, Outcome, Stage
from eduportal.domain.messages import upload_key_in
from eduportal.ports import DeadLetter, Event
from eduportal.ui.listing import escape_markdown
from eduportal.ui.wording import duration_words, plural, size_words

STATUS_WORDS: Final = {
    ImageStatus.UPLOADED: "Uploaded",
    ImageStatus.PROCESSING: "Processing",
    ImageStatus.COMPLETED: "Completed",
    ImageStatus.REJECTED: "Rejected",
    ImageStatus.FAILED: "Failed",
}
_COLORS: Final = {
    ImageStatus.UPLOADED: "gray",
    ImageStatus.PROCESSING: "blue",
    ImageStatus.COMPLETED: "green",
    ImageStatus.REJECTED: "orange",
    ImageStatus.FAILED: "red",
}
OUTCOME_WORDS: Final = {
    Outcome.COMPLETED: "Completed",
    Outcome.RETRYING: "Temporary failure",
    Outcome.REJECTED: "Rejected",
    Outcome.FAILED: "Failed",
}
"""How one try of a stage ended; also the chart's series, in this order. A temporary failure
is one retried after a pause; the last try of a stage that failed for good reads failed."""


def status_badge(status: ImageStatus, words: str | None = None) -> str:
    """A coloured badge (Markdown) saying the status, or `words` in its colour."""
    return f":{_COLORS[status]}-badge[{words or STATUS_WORDS[status]}]"


def stage_words(stage: Stage | str) -> str:
    """ "Extract metadata" for `extract_metadata`."""
    return str(stage).replace("_", " ").capitalize()


def letter_name(letter: DeadLetter) -> str:
    """The file a dead letter is about, escaped, from either message the queue carries (a job,
    or an upload's event that never got through); "an upload" when it names none."""
    try:
        key = upload_key_in(letter.body)
    except ValidationError:
        return "an upload"
    return escape_markdown(key.rsplit("/", 1)[-1])


def state_sentence(record: ImageRecord) -> str:
    """Where the image stands, and what it means for whoever reads the page."""
    status = record.status
    if status is ImageStatus.COMPLETED:
        last = {a.stage: a.seconds for a in record.history if a.outcome is Outcome.COMPLETED}
        worked = sum(last.values())  # each stage's last run: a redriven image ran some twice
        total = max(record.updated_at - record.uploaded_at, 0.0)
        return (
            f"Completed: its five stages took {duration_words(worked)}, and it was ready "
            f"{duration_words(total)} after it was uploaded."
        )
    if status is ImageStatus.REJECTED:
        reason = escape_markdown(record.reason or "the file is not an image we can use")
        return f"Rejected: {reason}  \nA rejected file is not tried again: the file is at fault."
    if status is ImageStatus.FAILED and record.failure is not None:
        failure = record.failure
        return (
            f"Failed at {stage_words(failure.stage).lower()} after "
            f"{plural(failure.attempts, 'try', 'tries')}: “{escape_markdown(failure.message)}”  \n"
            "It waits in the dead-letter queue: once the cause is fixed, redrive it from the "
            "Dead letters tab."
        )
    if status is ImageStatus.PROCESSING:
        done = len(record.stages_done)
        return f"Being processed: {done} of {len(Stage)} stages done. Refresh to follow it."
    again = " again (redriven)" if record.run > 1 else ""
    return f"Waiting for a worker to take it up{again}. Refresh to follow it."


def picture_words(metadata: Mapping[str, Any]) -> str | None:
    """ "1600 by 1200 pixels, JPEG, RGB" (with a multiplication sign) for what the upload
    turned out to be; None when the pipeline did not get that far."""
    if "width" not in metadata or "height" not in metadata:
        return None
    words = [f"{metadata['width']} \u00d7 {metadata['height']} pixels"]
    words += [str(metadata[name]) for name in ("format", "mode") if metadata.get(name)]
    if metadata.get("animated"):
        words.append("animated")
    return ", ".join(words)


def upload_alt(record: ImageRecord) -> str:
    """Alt text for an upload's thumbnail from all the pipeline knows of it (nothing looks
    at what it shows): "Uploaded photo.jpg, 1600 x 1200 pixels, 2.1 MB" (a multiplication
    sign for the x)."""
    picture = (
        f"{record.metadata['width']} \u00d7 {record.metadata['height']} pixels, "
        if ("width" in record.metadata and "height" in record.metadata)
        else ""
    )
    return f"Uploaded {record.file_name}, {picture}{size_words(record.size_bytes)}"


def exif_lines(metadata: Mapping[str, Any]) -> list[str]:
    """The EXIF summary as lines, "Make: CameraMaker" (location is never in it)."""
    exif = metadata.get("exif")
    if not isinstance(exif, Mapping):
        return []
    return [f"{stage_words(name)}: {escape_markdown(str(value))}" for name, value in exif.items()]


def event_words(event: Event) -> str:
    """One event of an image's log as a sentence."""
    detail = event.detail
    stage = stage_words(str(detail.get("stage", "a stage")))
    message = escape_markdown(str(detail.get("message") or detail.get("reason") or ""))
    seconds = detail.get("seconds")
    took = duration_words(seconds) if isinstance(seconds, int | float) else None
    kind = event.detail_type
    if kind == "Image Processing Started":
        return f"Processing started (run {detail.get('run', 1)})"
    if kind == "Image Stage Completed":
        return f"{stage} completed" + (f" in {took}" if took else "")
    if kind == "Image Stage Failed":  # how long it took is on the stage's line
        if detail.get("outcome") == Outcome.RETRYING.value:
            return f"{stage} failed with an error that may pass: {message}"
        if detail.get("outcome") == Outcome.REJECTED.value:
            return f"{stage} refused the file: {message}"
        return f"{stage} failed: {message}"
    if kind == "Image Processing Completed":
        return "Processing completed"
    if kind == "Image Rejected":
        return f"Rejected: {message}"
    if kind == "Image Processing Failed":
        tries = plural(int(detail.get("attempts", 1)), "try", "tries")
        return f"Failed at {stage.lower()} after {tries}: {message}"
    return escape_markdown(kind)


def letter_reason(letter: DeadLetter) -> str:
    """Why a message was set aside, as the queue keeps it ("resize: the sentence")."""
    stage, _, message = letter.reason.partition(": ")
    if message and stage in {s.value for s in Stage}:
        return f"Failed at {stage_words(stage).lower()}: {escape_markdown(message)}"
    return escape_markdown(letter.reason)
