"""Uploads into the processing pipeline, and what an operator does with its records.

An upload is stored under `uploads/{image_id}/{name}` and its record written `UPLOADED` at
once, so the uploader can follow it by id straight away; the pipeline takes it from there
(the store's "Object Created" event reaches the queue). When the store refuses the upload the
uploader gets its error and no record is written (pipeline requirement 6.4). Whether the bytes
are an image is not decided here: the pipeline's validation decides it from the bytes, and
rejects what is not.

A redrive moves the record `FAILED → UPLOADED` (a new run) before the job goes back into the
queue: the other order would let a worker find the record still FAILED and drop the job.
Redriving twice queues once, since the dead letter is gone after the first.

Who may upload and read records (`authorize`): teachers. The records are the operators' view
of the pipeline, every teacher's uploads together (a record does not say who uploaded it), so
a student, who should not see everyone's uploads, may do neither.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Final
from urllib.parse import quote

from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import ConflictError, NotFoundError, ValidationError
from eduportal.domain.image_records import MAX_DAYS, DayRange, ImageRecord, ImageStatus, upload_day
from eduportal.domain.keys import upload_key, validate_id
from eduportal.domain.messages import image_id_in
from eduportal.domain.sizes import too_large
from eduportal.observability.logging import log_context
from eduportal.ports import (
    Clock,
    DeadLetter,
    Event,
    EventLog,
    ImageRecordRepository,
    ObjectStore,
    Queue,
    QueueDepth,
)
from eduportal.services.accounts import require_role

log = logging.getLogger(__name__)

UPLOAD_CACHE_CONTROL: Final = "no-cache"
MAX_PAGE: Final = 200
MAX_OFFSET: Final = 1_000_000
"""Deeper than anyone pages; bounded so an absurd offset is a sentence, not a database error."""
MAX_EVENTS: Final = 100


@dataclass(frozen=True, slots=True)
class Redrive:
    redriven: tuple[str, ...]
    """Image ids whose jobs went back into the queue."""
    not_found: tuple[str, ...] = ()
    """Dead-letter ids asked for that were not there (already redriven)."""


@dataclass(frozen=True, slots=True)
class StatusCount:
    """How many records have a status, counted up to a cap: counting needs reading them."""

    status: ImageStatus
    count: int
    more: bool = False
    """True when there are more than `count` (the cap)."""


def status_named(text: str) -> ImageStatus:
    """A status as a person or a query string writes it, in any case."""
    try:
        return ImageStatus(text.strip().upper())
    except ValueError:
        names = ", ".join(status.value for status in ImageStatus)
        raise ValidationError(f"{text[:40]!r} is not a status: use one of {names}.") from None


def upload_days(
    *, on: str | None = None, since: str | None = None, until: str | None = None, today: str
) -> DayRange | None:
    """The upload days a listing asks for: one day (`on`), or from `since` to `until`; `until`
    defaults to `today`, and `since` to the longest range before `until`. None: any day."""
    if on is not None and (since is not None or until is not None):
        raise ValidationError("Give one date, or a range (since, until), not both.")
    if on is not None:
        return DayRange.one(on)
    if since is None and until is None:
        return None
    last = until or today
    first = since or (_day(last) - timedelta(days=MAX_DAYS - 1)).isoformat()
    return DayRange(first, last)


def _day(text: str) -> date:
    DayRange.one(text)  # the sentence for a malformed date
    return date.fromisoformat(text)


def new_image_id(now: float) -> str:
    """Time-sortable like assignment ids: `{milliseconds}-{random}`."""
    return f"{int(now * 1000):013d}-{secrets.token_hex(4)}"


class UploadService:
    def __init__(
        self,
        store: ObjectStore,
        records: ImageRecordRepository,
        queue: Queue,
        record_upload: Callable[[str], ImageRecord],
        clock: Clock,
        *,
        max_bytes: int,
        event_log: EventLog | None = None,
    ) -> None:
        """`record_upload` is the pipeline's record writer (`Intake.record_upload`): one
        writer for the uploader and the event, so both write the same record. `event_log`
        is None where the event bus keeps no history (EventBridge)."""
        self._store = store
        self._records = records
        self._queue = queue
        self._record_upload = record_upload
        self._clock = clock
        self._max_bytes = max_bytes
        self._event_log = event_log

    def authorize(self, account: Account) -> None:
        """`ForbiddenError` unless `account` may upload into the pipeline and read its
        records: teachers (see the module's note)."""
        require_role(account, Role.TEACHER)

    def upload(
        self, data: bytes, *, file_name: str, content_type: str | None, uploader: str
    ) -> ImageRecord:
        if not data:
            raise ValidationError("The file is empty.")
        if len(data) > self._max_bytes:
            raise ValidationError(too_large("The file", len(data), self._max_bytes))
        image_id = new_image_id(self._clock.now())
        key = upload_key(image_id, file_name)
        with log_context(user=uploader, image_id=image_id):
            self._store.put(
                key,
                data,
                content_type=content_type or "application/octet-stream",
                cache_control=UPLOAD_CACHE_CONTROL,
                metadata={
                    "uploaded-by": quote(uploader, safe=" @._-"),
                    "file-name": quote(file_name),
                },
            )
            record = self._record_upload(key)
            log.info("image uploaded", extra={"key": key})
        return record

    def get(self, image_id: str) -> ImageRecord:
        """`ValidationError` for what cannot be an image id, `NotFoundError` for an unknown one."""
        return self._records.get(validate_id(image_id, "image id"))

    def find(
        self,
        *,
        status: ImageStatus | None = None,
        days: DayRange | None = None,
        limit: int = 50,
        offset: int = 0,
    ) -> list[ImageRecord]:
        if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(
                f"Ask for 1 to {MAX_PAGE} records, from offset 0 to {MAX_OFFSET:,}."
            )
        return self._records.list(status=status, days=days, limit=limit, offset=offset)

    def today(self) -> str:
        """Today's upload day (UTC), what a listing of recent uploads starts from."""
        return upload_day(self._clock.now())

    def counts(self, days: DayRange | None = None) -> list[StatusCount]:
        """How many records of `days` have each status, in the order statuses are reached;
        past `MAX_PAGE` of one status only that there are more (the repositories count by
        reading, and an operator needs "many" there, not the figure)."""
        counted = []
        for status in ImageStatus:
            found = len(self._records.list(status=status, days=days, limit=MAX_PAGE + 1))
            counted.append(StatusCount(status, min(found, MAX_PAGE), found > MAX_PAGE))
        return counted

    def events(self, image_id: str, limit: int = MAX_EVENTS) -> list[Event] | None:
        """The events published about an image, newest first; None where the event bus keeps
        no history to read back (EventBridge), which is not the same as none published."""
        if self._event_log is None:
            return None
        return self._event_log.events_for(validate_id(image_id, "image id"), limit)

    def queue_depth(self) -> QueueDepth:
        return self._queue.depth()

    def dead_letters(self, *, limit: int = 50, offset: int = 0) -> list[DeadLetter]:
        return self._queue.dead_letters(limit=limit, offset=offset)

    def redrive(self, dead_letter_ids: list[str] | None = None) -> Redrive:
        """Each dead letter named (all of them with None) back into the queue."""
        if dead_letter_ids is None:
            wanted = _all(self._queue)
        else:
            known = {letter.message_id: letter for letter in _all(self._queue)}
            wanted = [known[i] for i in dead_letter_ids if i in known]
        redriven = []
        for letter in wanted:
            self._reopen(letter)
            if self._queue.redrive(letter.message_id):
                redriven.append(image_id_in(letter.body) or letter.message_id)
        asked: set[str] = set(dead_letter_ids or ())
        missing = tuple(sorted(asked - {letter.message_id for letter in wanted}))
        return Redrive(tuple(redriven), missing)

    def _reopen(self, letter: DeadLetter) -> None:
        """FAILED → UPLOADED with the next run number; any other status stays as it is (a
        record a later delivery completed, or one a first redrive already reopened)."""
        image_id = image_id_in(letter.body)
        if image_id is None:
            return
        try:
            record = self._records.get(image_id)
        except NotFoundError:
            return
        if record.status is not ImageStatus.FAILED:
            return
        reopened = record.moved_to(
            ImageStatus.UPLOADED, self._clock.now(), run=record.run + 1, failure=None
        )
        with suppress(ConflictError):  # moved by someone else meanwhile: their move stands
            self._records.move(reopened)


def _all(queue: Queue) -> list[DeadLetter]:
    letters: list[DeadLetter] = []
    while page := queue.dead_letters(limit=MAX_PAGE, offset=len(letters)):
        letters += page
        if len(page) < MAX_PAGE:
            break
    return letters
