"""The image record repository's contract (pipeline requirements 5 and 6), on every database
(SQLite, MongoDB, DynamoDB).

Statuses only move forward, checked by the database in the same write as the change: the
tests move records from threads at once and from stale copies, as workers and redeliveries do.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from eduportal.domain.errors import ConflictError, NotFoundError
from eduportal.domain.image_records import ImageRecord, ImageStatus, Stage
from eduportal.domain.keys import upload_key
from eduportal.ports import ImageRecordRepository
from tests.support.threads import run_together

DAY = 1_795_000_000.0  # 2026-11-18 (UTC)


@pytest.fixture
def records(image_records: ImageRecordRepository) -> ImageRecordRepository:
    return image_records


def uploaded(image_id: str, at: float = DAY) -> ImageRecord:
    return ImageRecord(
        image_id=image_id,
        key=upload_key(image_id, "png"),
        status=ImageStatus.UPLOADED,
        uploaded_at=at,
        size_bytes=4096,
        content_type="image/png",
        updated_at=at,
    )


def test_duplicate_events_for_one_upload_make_one_record(records: ImageRecordRepository) -> None:
    assert records.add(uploaded("img-1"))
    assert not records.add(replace(uploaded("img-1"), size_bytes=1))
    assert records.get("img-1") == uploaded("img-1")
    assert records.find_by_key("uploads/img-1.png") == uploaded("img-1")
    assert records.find_by_key("uploads/none.png") is None
    with pytest.raises(NotFoundError):
        records.get("img-2")


def test_a_record_moves_forward_with_its_stages_and_results(
    records: ImageRecordRepository,
) -> None:
    records.add(uploaded("img-1"))
    working = records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1)
    records.move(working)
    working = working.with_stage_done(Stage.VALIDATE, DAY + 2)
    records.move(working.moved_to(ImageStatus.PROCESSING, DAY + 2))  # progress is a move too
    done = records.get("img-1").moved_to(
        ImageStatus.COMPLETED, DAY + 3, processed_key="processed/img-1.webp"
    )
    records.move(done)
    assert records.get("img-1") == done
    assert records.get("img-1").stages_done == ((Stage.VALIDATE, DAY + 2),)


def test_a_stale_copy_cannot_move_a_record_backwards(records: ImageRecordRepository) -> None:
    """A late worker holding the record from before it completed: refused by the database."""
    records.add(uploaded("img-1"))
    stale = records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1)
    records.move(stale)
    records.move(stale.moved_to(ImageStatus.COMPLETED, DAY + 2))
    with pytest.raises(ConflictError) as refused:
        records.move(stale)  # PROCESSING again, from a copy that never saw COMPLETED
    assert "completed" in refused.value.user_message
    assert records.get("img-1").status is ImageStatus.COMPLETED
    with pytest.raises(NotFoundError):
        records.move(uploaded("img-9").moved_to(ImageStatus.PROCESSING, DAY))


def test_a_redrive_moves_failed_back_to_uploaded_and_nothing_else_does(
    records: ImageRecordRepository,
) -> None:
    records.add(uploaded("img-1"))
    records.move(records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1))
    records.move(records.get("img-1").moved_to(ImageStatus.FAILED, DAY + 2))
    records.move(records.get("img-1").moved_to(ImageStatus.UPLOADED, DAY + 3))
    assert records.get("img-1").status is ImageStatus.UPLOADED
    with pytest.raises(ConflictError):  # UPLOADED may only follow FAILED
        records.move(replace(records.get("img-1"), status=ImageStatus.UPLOADED))


def test_of_two_workers_finishing_at_once_exactly_one_wins(
    records: ImageRecordRepository,
) -> None:
    records.add(uploaded("img-1"))
    records.move(records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 1))
    claimed = records.get("img-1")
    finals = [ImageStatus.COMPLETED, ImageStatus.FAILED] * 4
    outcomes: list[ImageStatus] = []

    def finish(n: int) -> None:
        try:
            records.move(claimed.moved_to(finals[n], DAY + 2 + n))
            outcomes.append(finals[n])
        except ConflictError:
            pass

    assert run_together(finish, len(finals)) == []
    assert len(outcomes) == 1
    assert records.get("img-1").status is outcomes[0]


def test_records_are_listed_by_status_and_by_day_newest_first(
    records: ImageRecordRepository,
) -> None:
    for n in range(5):
        records.add(uploaded(f"img-{n}", at=DAY + n * 3600))
    records.add(uploaded("img-next-day", at=DAY + 86_400))
    records.move(records.get("img-1").moved_to(ImageStatus.PROCESSING, DAY + 5000))
    newest = [record.image_id for record in records.list(limit=3)]
    assert newest == ["img-next-day", "img-4", "img-3"]
    assert [r.image_id for r in records.list(limit=10, offset=4)] == ["img-1", "img-0"]
    day = [r.image_id for r in records.list(day="2026-11-18", limit=10)]
    assert day == ["img-4", "img-3", "img-2", "img-1", "img-0"]
    assert [r.image_id for r in records.list(status=ImageStatus.PROCESSING, limit=10)] == ["img-1"]
    uploaded_that_day = records.list(status=ImageStatus.UPLOADED, day="2026-11-18", limit=10)
    assert [r.image_id for r in uploaded_that_day] == ["img-4", "img-3", "img-2", "img-0"]
