"""The image record repository's contract (pipeline requirements 5 and 6), on every database
(SQLite, MongoDB, DynamoDB).

Statuses only move forward, checked by the database in the same write as the change: the
tests move records from threads at once and from stale copies, as workers and redeliveries do.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from eduportal.domain.errors import ConflictError, NotFoundError
from eduportal.domain.image_records import (
    DayRange,
    ImageRecord,
    ImageStatus,
    Outcome,
    Stage,
    StageAttempt,
)
from eduportal.domain.keys import upload_key
from eduportal.ports import ImageRecordRepository
from tests.support.threads import run_together

DAY = 1_795_000_000.0  # 2026-11-18 (UTC)


def uploaded(image_id: str, at: float = DAY) -> ImageRecord:
    return ImageRecord(
        image_id=image_id,
        key=upload_key(image_id, "photo.png"),
        status=ImageStatus.UPLOADED,
        uploaded_at=at,
        size_bytes=4096,
        content_type="image/png",
        updated_at=at,
    )


def test_duplicate_events_for_one_upload_make_one_record(
    image_records: ImageRecordRepository,
) -> None:
    assert image_records.add(uploaded("img-1"))
    assert not image_records.add(replace(uploaded("img-1"), size_bytes=1))
    assert image_records.get("img-1") == uploaded("img-1")
    assert image_records.find_by_key("uploads/img-1/photo.png") == uploaded("img-1")
    assert image_records.find_by_key("uploads/none/photo.png") is None
    with pytest.raises(NotFoundError):
        image_records.get("img-2")


def test_a_record_moves_forward_with_its_stages_and_results(
    image_records: ImageRecordRepository,
) -> None:
    image_records.add(uploaded("img-1"))
    working = image_records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1)
    image_records.move(working)
    working = working.with_attempt(StageAttempt(Stage.VALIDATE, Outcome.COMPLETED, DAY + 2, 0.2))
    image_records.move(working.moved_to(ImageStatus.PROCESSING, DAY + 2))  # progress is a move too
    done = image_records.get("img-1").moved_to(
        ImageStatus.COMPLETED, DAY + 3, processed_key="processed/img-1.webp"
    )
    image_records.move(done)
    assert image_records.get("img-1") == done
    assert image_records.get("img-1").stages_done == ((Stage.VALIDATE, DAY + 2),)


def test_a_stale_copy_cannot_move_a_record_backwards(image_records: ImageRecordRepository) -> None:
    """A late worker holding the record from before it completed: refused by the database."""
    image_records.add(uploaded("img-1"))
    stale = image_records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1)
    image_records.move(stale)
    image_records.move(stale.moved_to(ImageStatus.COMPLETED, DAY + 2))
    with pytest.raises(ConflictError) as refused:
        image_records.move(stale)  # PROCESSING again, from a copy that never saw COMPLETED
    assert "completed" in refused.value.user_message
    assert image_records.get("img-1").status is ImageStatus.COMPLETED
    with pytest.raises(NotFoundError):
        image_records.move(uploaded("img-9").moved_to(ImageStatus.PROCESSING, DAY))


def test_a_redrive_moves_failed_back_to_uploaded_and_nothing_else_does(
    image_records: ImageRecordRepository,
) -> None:
    image_records.add(uploaded("img-1"))
    image_records.move(image_records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1))
    image_records.move(image_records.get("img-1").moved_to(ImageStatus.FAILED, DAY + 2))
    image_records.move(image_records.get("img-1").moved_to(ImageStatus.UPLOADED, DAY + 3))
    assert image_records.get("img-1").status is ImageStatus.UPLOADED
    with pytest.raises(ConflictError):  # UPLOADED may only follow FAILED
        image_records.move(replace(image_records.get("img-1"), status=ImageStatus.UPLOADED))


def test_of_two_workers_finishing_at_once_exactly_one_wins(
    image_records: ImageRecordRepository,
) -> None:
    image_records.add(uploaded("img-1"))
    image_records.move(image_records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1))
    claimed = image_records.get("img-1")
    finals = [ImageStatus.COMPLETED, ImageStatus.FAILED] * 4
    outcomes: list[ImageStatus] = []

    def finish(n: int) -> None:
        try:
            image_records.move(claimed.moved_to(finals[n], DAY + 2 + n))
            outcomes.append(finals[n])
        except ConflictError:
            pass

    assert run_together(finish, len(finals)) == []
    assert len(outcomes) == 1
    assert image_records.get("img-1").status is outcomes[0]


def test_records_are_listed_by_status_and_by_day_newest_first(
    image_records: ImageRecordRepository,
) -> None:
    for n in range(5):
        image_records.add(uploaded(f"img-{n}", at=DAY + n * 3600))
    image_records.add(uploaded("img-next-day", at=DAY + 86_400))
    image_records.move(image_records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 5000))
    newest = [record.image_id for record in image_records.list(limit=3)]
    assert newest == ["img-next-day", "img-4", "img-3"]
    assert [r.image_id for r in image_records.list(limit=10, offset=4)] == ["img-1", "img-0"]
    day = [r.image_id for r in image_records.list(days=DayRange.one("2026-11-18"), limit=10)]
    assert day == ["img-4", "img-3", "img-2", "img-1", "img-0"]
    both_days = DayRange("2026-11-17", "2026-11-19")
    assert [r.image_id for r in image_records.list(days=both_days, limit=2, offset=1)] == [
        "img-4",
        "img-3",
    ]
    assert image_records.list(days=DayRange.one("2026-11-20"), limit=10) == []
    assert [r.image_id for r in image_records.list(status=ImageStatus.PROCESSING, limit=10)] == [
        "img-1"
    ]
    uploaded_that_day = image_records.list(
        status=ImageStatus.UPLOADED, days=DayRange.one("2026-11-18"), limit=10
    )
    assert [r.image_id for r in uploaded_that_day] == ["img-4", "img-3", "img-2", "img-0"]
    later = image_records.list(
        status=ImageStatus.UPLOADED, days=DayRange("2026-11-19", "2026-12-31"), limit=10
    )
    assert [r.image_id for r in later] == ["img-next-day"]
