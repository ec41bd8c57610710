"""An uploaded image's record in the processing pipeline: its status, stages and results.

Pipeline requirement 6: statuses only move forward, `UPLOADED → PROCESSING → COMPLETED |
REJECTED | FAILED`, and an operator's redrive moves `FAILED` back to `UPLOADED`. The rule lives
here; each repository enforces it with a conditional update (the record moves only from a
status the rule allows), so two workers or a late redelivery cannot move a record backwards.

`PROCESSING → PROCESSING` is allowed on purpose: delivery is at least once, and a message
redelivered after a worker died mid-stage (its lease ran out) must be able to take the record
up again. A record that reached a final status is never processed again: a redelivered message
for it does nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any, Final

from eduportal.domain.errors import ConflictError, NotFoundError, ValidationError
from eduportal.domain.images import valid_placeholder
from eduportal.domain.keys import validate_id


class ImageStatus(StrEnum):
    UPLOADED = "UPLOADED"
    PROCESSING = "PROCESSING"
    COMPLETED = "COMPLETED"
    REJECTED = "REJECTED"
    FAILED = "FAILED"


class Stage(StrEnum):
    """The pipeline's stages, in the order they run."""

    VALIDATE = "validate"
    EXTRACT_METADATA = "extract_metadata"
    RESIZE = "resize"
    THUMBNAILS = "thumbnails"
    ARCHIVE = "archive"


THUMBNAIL_SIZES: Final = (128, 256)
"""Thumbnails made of every image, by their longer side in pixels."""
FINAL: Final = frozenset({ImageStatus.COMPLETED, ImageStatus.REJECTED, ImageStatus.FAILED})
_MOVES: Final[dict[ImageStatus, frozenset[ImageStatus]]] = {
    ImageStatus.UPLOADED: frozenset({ImageStatus.PROCESSING}),
    ImageStatus.PROCESSING: frozenset(
        {
            ImageStatus.PROCESSING,
            ImageStatus.COMPLETED,
            ImageStatus.REJECTED,
            ImageStatus.FAILED,
        }
    ),
    ImageStatus.FAILED: frozenset({ImageStatus.UPLOADED}),  # an operator's redrive
    ImageStatus.COMPLETED: frozenset(),
    ImageStatus.REJECTED: frozenset(),
}


def sources_of(target: ImageStatus) -> frozenset[ImageStatus]:
    """The statuses a record may move to `target` from: what a repository's conditional
    update requires the stored status to be."""
    return frozenset(status for status, targets in _MOVES.items() if target in targets)


def may_move(current: ImageStatus, target: ImageStatus) -> bool:
    return target in _MOVES[current]


def upload_day(timestamp: float) -> str:
    """The UTC date an image was uploaded on, `YYYY-MM-DD`: what records are listed by."""
    return datetime.fromtimestamp(timestamp, UTC).date().isoformat()


MAX_DAYS: Final = 366


@dataclass(frozen=True, slots=True)
class DayRange:
    """Upload days from `first` to `last`, both included (UTC `YYYY-MM-DD`). At most a year:
    DynamoDB reads a day range one day at a time."""

    first: str
    last: str

    def __post_init__(self) -> None:
        first, last = _date(self.first), _date(self.last)
        if last < first:
            raise ValidationError(f"The range ends ({self.last}) before it starts ({self.first}).")
        if (last - first).days >= MAX_DAYS:
            raise ValidationError(f"Ask for at most {MAX_DAYS} days at a time.")

    @classmethod
    def one(cls, day: str) -> DayRange:
        return cls(day, day)

    def bounds(self) -> tuple[float, float]:
        """The range as epoch seconds: from the first day's midnight (UTC) to the last
        moment before the day after the last."""
        start = datetime.combine(_date(self.first), datetime.min.time(), UTC).timestamp()
        after = datetime.combine(_date(self.last) + timedelta(days=1), datetime.min.time(), UTC)
        return start, after.timestamp() - 1e-6

    def newest_first(self) -> list[str]:
        first, last = _date(self.first), _date(self.last)
        return [(last - timedelta(days=n)).isoformat() for n in range((last - first).days + 1)]


def _date(text: str) -> date:
    try:
        if len(text) == 10:
            return date.fromisoformat(text)
    except ValueError:
        pass
    raise ValidationError(f"{text[:40]!r} is not a date: write it as YYYY-MM-DD.")


def no_such_image(image_id: str) -> NotFoundError:
    return NotFoundError("There is no such image.", detail=f"image record {image_id}")


def moved_meanwhile(image_id: str, stored: ImageStatus, target: ImageStatus) -> ConflictError:
    """A conditional update that found the record in a status `target` may not follow."""
    return ConflictError(
        f"This image is {stored.value.lower()}: it cannot become {target.value.lower()}.",
        detail=f"image {image_id}: stored {stored.value}, {target.value} refused",
    )


class Outcome(StrEnum):
    """How one try of a stage ended."""

    COMPLETED = "completed"
    RETRYING = "retrying"
    """Failed with an error that may pass: it is tried again after a pause."""
    REJECTED = "rejected"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class StageAttempt:
    """One try of one stage, as the record's history keeps it: what an operator reads to see
    where time went and what failed."""

    stage: Stage
    outcome: Outcome
    at: float
    """When the try ended."""
    seconds: float
    message: str | None = None

    @property
    def started_at(self) -> float:
        """When the try began: a timeline places each try from here to `at`."""
        return self.at - self.seconds

    def as_dict(self) -> dict[str, Any]:
        return {
            "stage": self.stage.value,
            "outcome": self.outcome.value,
            "at": self.at,
            "seconds": self.seconds,
            "message": self.message,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> StageAttempt:
        return cls(
            Stage(item["stage"]),
            Outcome(item["outcome"]),
            float(item["at"]),
            float(item["seconds"]),
            item.get("message"),
        )


MAX_HISTORY: Final = 100
"""Tries kept per record: a record stays small (DynamoDB items are at most 400 KB) however
often a flaky backend made a stage retry; the oldest go first."""


@dataclass(frozen=True, slots=True)
class StageFailure:
    """Why a record is `FAILED`: the stage, the error's sentence and how often it was tried."""

    stage: Stage
    message: str
    attempts: int

    def as_dict(self) -> dict[str, Any]:
        return {"stage": self.stage.value, "message": self.message, "attempts": self.attempts}


@dataclass(frozen=True, slots=True)
class ImageRecord:
    image_id: str
    key: str
    """Where the upload is stored (`uploads/...`)."""
    status: ImageStatus
    uploaded_at: float
    size_bytes: int
    content_type: str
    updated_at: float
    run: int = 1
    """Which processing run this is: 1, and one more for each redrive. Names the run (a
    Step Functions execution) so a duplicate start of one run is refused."""
    history: tuple[StageAttempt, ...] = ()
    """Every try of every stage, in order (a stage run again after a redelivery appears
    twice)."""
    processed_key: str | None = None
    thumbnail_keys: tuple[str, ...] = ()
    archive_key: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    """Width, height, format, mode and an EXIF summary without GPS."""
    reason: str | None = None
    """Why the image was `REJECTED`, in a sentence for the uploader."""
    failure: StageFailure | None = None
    placeholder: str | None = None
    """The processed image's tiny preview (`ImageFigures.placeholder`), painted before it and
    its thumbnails arrive; None until it is resized, and for records made before."""

    def __post_init__(self) -> None:
        validate_id(self.image_id, "image id")

    @property
    def file_name(self) -> str:
        """What the upload was stored as (the key's last part): what a person knows it by."""
        return self.key.rsplit("/", 1)[-1]

    def moved_to(self, status: ImageStatus, now: float, **changes: Any) -> ImageRecord:
        """This record in `status` (with `changes`); a move the rule forbids is a conflict."""
        if not may_move(self.status, status):
            raise moved_meanwhile(self.image_id, self.status, status)
        return replace(self, status=status, updated_at=now, **changes)

    @property
    def stages_done(self) -> tuple[tuple[Stage, float], ...]:
        """Each completed stage with the time it first completed, in pipeline order."""
        first: dict[Stage, float] = {}
        for attempt in self.history:
            if attempt.outcome is Outcome.COMPLETED:
                first.setdefault(attempt.stage, attempt.at)
        return tuple((stage, first[stage]) for stage in Stage if stage in first)

    def given_up(self, stage: Stage) -> tuple[StageAttempt, ...]:
        """The history with `stage`'s last try marked failed when it was left `retrying`: no
        try came after it, so what the history says of it is that it failed."""
        for index in range(len(self.history) - 1, -1, -1):
            attempt = self.history[index]
            if attempt.stage is stage:
                if attempt.outcome is Outcome.RETRYING:
                    failed = replace(attempt, outcome=Outcome.FAILED)
                    return (*self.history[:index], failed, *self.history[index + 1 :])
                break
        return self.history

    def with_attempt(self, attempt: StageAttempt) -> ImageRecord:
        history = (*self.history, attempt)[-MAX_HISTORY:]
        return replace(self, history=history, updated_at=attempt.at)

    def to_document(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "key": self.key,
            "status": self.status.value,
            "uploaded_at": self.uploaded_at,
            "size_bytes": self.size_bytes,
            "content_type": self.content_type,
            "updated_at": self.updated_at,
            "run": self.run,
            "history": [attempt.as_dict() for attempt in self.history],
            "processed_key": self.processed_key,
            "thumbnail_keys": list(self.thumbnail_keys),
            "archive_key": self.archive_key,
            "metadata": self.metadata,
            "reason": self.reason,
            "failure": self.failure.as_dict() if self.failure else None,
            "placeholder": self.placeholder,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> ImageRecord:
        failure = doc.get("failure")
        return cls(
            image_id=str(doc["image_id"]),
            key=str(doc["key"]),
            status=ImageStatus(doc["status"]),
            uploaded_at=float(doc["uploaded_at"]),
            size_bytes=int(doc["size_bytes"]),
            content_type=str(doc["content_type"]),
            updated_at=float(doc["updated_at"]),
            run=int(doc.get("run", 1)),
            history=tuple(StageAttempt.from_dict(item) for item in doc.get("history", [])),
            processed_key=doc.get("processed_key"),
            thumbnail_keys=tuple(doc.get("thumbnail_keys", [])),
            archive_key=doc.get("archive_key"),
            metadata=dict(doc.get("metadata") or {}),
            reason=doc.get("reason"),
            failure=StageFailure(
                Stage(failure["stage"]), str(failure["message"]), int(failure["attempts"])
            )
            if failure
            else None,
            placeholder=valid_placeholder(doc.get("placeholder")),
        )
