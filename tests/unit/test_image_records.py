"""Image records of the processing pipeline: statuses only move forward, outputs have fixed keys."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.domain.errors import ConflictError, ValidationError
from eduportal.domain.image_records import (
    FINAL,
    DayRange,
    ImageRecord,
    ImageStatus,
    Outcome,
    Stage,
    StageAttempt,
    StageFailure,
    may_move,
    sources_of,
    upload_day,
)
from eduportal.domain.keys import (
    archive_key,
    image_id_for_key,
    processed_key,
    thumbnail_key,
    upload_key,
)

FORWARD = list(ImageStatus)  # declared in pipeline order: UPLOADED first, finals last


def uploaded(image_id: str = "img-1") -> ImageRecord:
    return ImageRecord(
        image_id=image_id,
        key=upload_key(image_id, "photo.png"),
        status=ImageStatus.UPLOADED,
        uploaded_at=100.0,
        size_bytes=2048,
        content_type="image/png",
        updated_at=100.0,
    )


@pytest.mark.parametrize(("current", "target"), list(itertools.product(ImageStatus, ImageStatus)))
def test_statuses_only_move_forward_except_an_operators_redrive(
    current: ImageStatus, target: ImageStatus
) -> None:
    redrive = (current, target) == (ImageStatus.FAILED, ImageStatus.UPLOADED)
    taking_up_again = current is target is ImageStatus.PROCESSING  # a redelivered message
    backwards = FORWARD.index(target) < FORWARD.index(current)
    if may_move(current, target):
        assert redrive or taking_up_again or not backwards
    if current in FINAL:
        assert may_move(current, target) == redrive


def test_the_pipeline_path_and_the_conditions_a_repository_checks() -> None:
    assert may_move(ImageStatus.UPLOADED, ImageStatus.PROCESSING)
    for final in FINAL:
        assert may_move(ImageStatus.PROCESSING, final)
        assert not may_move(ImageStatus.UPLOADED, final)  # never without processing
    assert sources_of(ImageStatus.PROCESSING) == {ImageStatus.UPLOADED, ImageStatus.PROCESSING}
    assert sources_of(ImageStatus.UPLOADED) == {ImageStatus.FAILED}
    assert sources_of(ImageStatus.COMPLETED) == {ImageStatus.PROCESSING}


def test_a_forbidden_move_is_a_conflict_in_a_sentence() -> None:
    done = uploaded().moved_to(ImageStatus.PROCESSING, 101.0).moved_to(ImageStatus.COMPLETED, 102.0)
    with pytest.raises(ConflictError) as refused:
        done.moved_to(ImageStatus.PROCESSING, 103.0)
    assert refused.value.user_message == "This image is completed: it cannot become processing."
    assert done.updated_at == 102.0


def done(stage: Stage, at: float) -> StageAttempt:
    return StageAttempt(stage, Outcome.COMPLETED, at, 0.5)


def test_a_stage_done_twice_keeps_its_first_time_and_both_tries() -> None:
    record = uploaded().with_attempt(done(Stage.RESIZE, 101.0))
    record = record.with_attempt(StageAttempt(Stage.VALIDATE, Outcome.RETRYING, 102.0, 0.1, "x"))
    record = record.with_attempt(done(Stage.VALIDATE, 103.0)).with_attempt(done(Stage.RESIZE, 150))
    assert record.stages_done == ((Stage.VALIDATE, 103.0), (Stage.RESIZE, 101.0))
    assert [a.outcome for a in record.history].count(Outcome.COMPLETED) == 3
    assert record.updated_at == 150


def test_the_history_keeps_the_latest_tries() -> None:
    record = uploaded()
    for n in range(150):
        record = record.with_attempt(done(Stage.VALIDATE, 200.0 + n))
    assert len(record.history) == 100
    assert record.history[0].at == 250.0


@given(
    stages=st.lists(st.sampled_from(list(Stage)), unique=True),
    metadata=st.dictionaries(st.sampled_from(["width", "height"]), st.integers(1, 5000)),
    failed=st.booleans(),
)
def test_a_record_survives_its_document(
    stages: list[Stage], metadata: dict[str, int], failed: bool
) -> None:
    record = uploaded()
    for n, stage in enumerate(stages):
        record = record.with_attempt(done(stage, 200.0 + n))
    record = record.moved_to(
        ImageStatus.PROCESSING,
        300.0,
        metadata=metadata,
        processed_key=processed_key("img-1"),
        thumbnail_keys=(thumbnail_key("img-1", 128), thumbnail_key("img-1", 256)),
    )
    if failed:
        failure = StageFailure(Stage.RESIZE, "Storage is unavailable.", 3)
        record = record.moved_to(ImageStatus.FAILED, 301.0, failure=failure)
    assert ImageRecord.from_document(record.to_document()) == record


def test_output_keys_are_fixed_by_the_image_id() -> None:
    assert upload_key("img-1", "Class photo.JPG") == "uploads/img-1/Class-photo.JPG"
    assert upload_key("img-1", "C:\\Users\\me\\..\\.hidden.png") == "uploads/img-1/hidden.png"
    assert upload_key("img-1", "../..") == "uploads/img-1/image"
    assert processed_key("img-1") == "processed/img-1.webp"
    assert processed_key("img-1", "png") == "processed/img-1.png"
    assert thumbnail_key("img-1", 128) == "thumbnails/img-1/128.webp"
    assert archive_key("img-1", "uploads/img-1/photo.png") == "archive/img-1/photo.png"
    for bad in ("../etc", "", "a/b"):
        with pytest.raises(ValidationError):
            processed_key(bad)
    with pytest.raises(ValidationError):
        processed_key("img-1", "PNG;")


def test_every_event_for_one_object_names_the_same_image() -> None:
    assert image_id_for_key("uploads/img-1/photo.png") == "img-1"
    other = image_id_for_key("uploads/holiday/photo.png/x")
    assert other == image_id_for_key("uploads/holiday/photo.png/x")
    assert len(other) == 32
    assert image_id_for_key("uploads/photo.png") != image_id_for_key("uploads/photo2.png")
    with pytest.raises(ValidationError):
        image_id_for_key("uploads/../x")


def test_a_day_range_is_read_newest_day_first_and_bounded() -> None:
    days = DayRange("2026-02-27", "2026-03-01")
    assert days.newest_first() == ["2026-03-01", "2026-02-28", "2026-02-27"]
    start, end = days.bounds()
    assert upload_day(start) == "2026-02-27"
    assert upload_day(end) == "2026-03-01"
    assert upload_day(end + 1e-5) == "2026-03-02"
    for first, last, message in (
        ("2026-03-01", "2026-02-27", "The range ends (2026-02-27) before it starts (2026-03-01)."),
        ("2025-01-01", "2026-01-02", "Ask for at most 366 days at a time."),
        ("2026-13-01", "2026-13-01", "'2026-13-01' is not a date: write it as YYYY-MM-DD."),
        ("20260301", "20260301", "'20260301' is not a date: write it as YYYY-MM-DD."),
    ):
        with pytest.raises(ValidationError) as refused:
            DayRange(first, last)
        assert refused.value.user_message == message
