"""How the pages say things: counts, times in the reader's zone, and images in teacher words.

Pages speak to teachers and students, not operators: "image: success" and "webp, 87,666
bytes" become a sentence, and the figures move into a details box for whoever wants them.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import streamlit as st

from eduportal.domain.assignments import Assignment
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


def local_time(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, reader_zone())
    return f"{moment.day} {moment:%b %Y, %H:%M}"


def local_day(timestamp: float) -> str:
    moment = datetime.fromtimestamp(timestamp, reader_zone())
    return f"{moment.day} {moment:%b %Y}"


def image_words(assignment: Assignment) -> str:
    """The illustration's state as a teacher would say it."""
    return {
        UploadStatus.SUCCESS: "with an illustration",
        UploadStatus.NO_IMAGE: "no illustration",
        UploadStatus.PENDING: "illustration being saved",
        UploadStatus.FAILED: "the illustration could not be saved",
    }[assignment.s3_upload_status]


def score_words(score: float) -> str:
    """Scores on their scale, whole points: "73 / 100"."""
    return f"{round(score)} / 100"
