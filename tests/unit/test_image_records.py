"""Image records of the processing pipeline: statuses only move forward, outputs have fixed keys."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.domain.errors import ConflictError, ValidationError
from eduportal.domain.image_records import (
    FINAL,
    ImageRecord,
    ImageStatus,
    Stage,
    StageFailure,
    may_move,
    sources_of,
)
from eduportal.domain.keys import archive_key, processed_key, thumbnail_key, upload_key

FORWARD = list(ImageStatus)  # declared in pipeline order: UPLOADED first, finals last


def uploaded(image_id: str = "img-1") -> ImageRecord:
    return ImageRecord(
        image_id=image_id,
        key=upload_key(image_id, "png"),
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


def test_a_stage_done_twice_keeps_its_first_time() -> None:
    record = uploaded().with_stage_done(Stage.VALIDATE, 101.0)
    assert record.with_stage_done(Stage.VALIDATE, 150.0) == record
    assert record.stages_done == ((Stage.VALIDATE, 101.0),)


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
        record = record.with_stage_done(stage, 200.0 + n)
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
    assert upload_key("img-1", "jpg") == "uploads/img-1.jpg"
    assert processed_key("img-1") == "processed/img-1.webp"
    assert thumbnail_key("img-1", 128) == "thumbnails/img-1-128.webp"
    assert archive_key("img-1", "png") == "archive/img-1.png"
    for bad in ("../etc", "", "a/b"):
        with pytest.raises(ValidationError):
            processed_key(bad)
    with pytest.raises(ValidationError):
        upload_key("img-1", "PNG;")
