"""The whole pipeline on the embedded default, as `make run` wires it: an upload announced by
the store, recorded and queued through the event bus, run by a worker with the local runner
(pipeline requirements 1 to 6)."""

from __future__ import annotations

import io
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from eduportal.adapters.local.sqlite_events import SqliteEventBus, SqliteNotifier
from eduportal.config import load_settings
from eduportal.domain.errors import StorageUnavailableError
from eduportal.domain.image_records import ImageStatus, Outcome, Stage
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL, Lifecycle
from eduportal.domain.keys import variant_key
from eduportal.imaging.optimize import SSIM_TARGET
from eduportal.imaging.quality import ssim
from eduportal.wiring import Container, build
from tests.support.flaky_store import FlakyStore
from tests.support.images import decode, gps_exif, gradient, photograph


def pipeline(tmp_path: Path, **parts: Any) -> Container:
    settings = load_settings(
        storage="local",
        data_dir=tmp_path / "data",
        generators="offline",
        pipeline_retry_seconds=0.01,
        queue_visibility_seconds=5,
    )
    return build(settings, **parts)


def photo_jpeg() -> bytes:
    out = io.BytesIO()
    gradient(1600, 1200).save(out, "JPEG", quality=90, exif=gps_exif())
    return out.getvalue()


def upload(container: Container, data: bytes, name: str = "photo.jpg") -> str:
    record = container.uploads.upload(
        data, file_name=name, content_type="image/jpeg", uploader="teacher1"
    )
    assert record.status is ImageStatus.UPLOADED
    return record.image_id


def drain(container: Container) -> Mapping[str, int]:
    return container.worker().run(drain=True).runs


def test_an_upload_is_processed_into_every_output(tmp_path: Path) -> None:
    container = pipeline(tmp_path)
    original = photo_jpeg()
    image_id = upload(container, original)
    assert container.queue.depth().waiting == 1

    assert drain(container) == {"COMPLETED": 1}
    record = container.uploads.get(image_id)
    assert record.status is ImageStatus.COMPLETED
    assert [stage for stage, _ in record.stages_done] == list(Stage)
    assert [a.outcome for a in record.history] == [Outcome.COMPLETED] * 5
    store = container.stored_objects
    assert record.processed_key == f"processed/{image_id}.webp"
    processed = Image.open(io.BytesIO(store.get(record.processed_key).data))
    assert (processed.format, processed.size) == ("WEBP", (1024, 768))
    assert record.thumbnail_keys == (
        f"thumbnails/{image_id}/128.webp",
        f"thumbnails/{image_id}/256.webp",
    )
    sizes = [Image.open(io.BytesIO(store.get(k).data)).size for k in record.thumbnail_keys]
    assert sizes == [(128, 96), (256, 192)]
    assert record.archive_key == f"archive/{image_id}/photo.jpg"
    assert container.archive_store.get(record.archive_key).data == original
    assert container.archive_store.get_lifecycle(record.archive_key) is Lifecycle.AUTO
    assert record.metadata == {
        "width": 1600,
        "height": 1200,
        "format": "JPEG",
        "mode": "RGB",
        "animated": False,
        "exif": {"make": "CameraMaker"},
    }

    notifier = container.notifier
    assert isinstance(notifier, SqliteNotifier)
    sent = [n.notification for n in notifier.notifications(limit=20, image_id=image_id)]
    assert [n.attributes.get("stage") for n in sent[1:]] == [s.value for s in reversed(Stage)]
    summary = sent[0].message
    assert sent[0].attributes["status"] == "COMPLETED"
    assert summary["processed_key"] == record.processed_key
    assert set(summary["stage_seconds"]) == {stage.value for stage in Stage}
    bus = container.events
    assert isinstance(bus, SqliteEventBus)
    types = [event.detail_type for event in reversed(bus.events_for(image_id, limit=20))]
    assert types == [
        "Image Processing Started",
        *["Image Stage Completed"] * 5,
        "Image Processing Completed",
    ]


def test_what_is_not_an_image_is_rejected_at_once_with_its_reason(tmp_path: Path) -> None:
    container = pipeline(tmp_path)
    image_id = upload(container, b"%PDF-1.7 not a picture at all", name="homework.png")
    assert drain(container) == {"REJECTED": 1}
    record = container.uploads.get(image_id)
    assert record.status is ImageStatus.REJECTED
    assert record.reason is not None and "not an image we can read" in record.reason
    assert [(a.stage, a.outcome) for a in record.history] == [(Stage.VALIDATE, Outcome.REJECTED)]
    assert list(container.stored_objects.list_keys("processed/")) == []
    assert container.queue.depth().dead == 0


def test_a_transient_failure_is_retried_and_then_passes(tmp_path: Path) -> None:
    flaky = FlakyStore(tmp_path / "data", "thumbnails/", failures=2)
    container = pipeline(tmp_path, stored_objects=flaky)
    image_id = upload(container, photo_jpeg())
    assert drain(container) == {"COMPLETED": 1}
    outcomes = [(a.stage, a.outcome) for a in container.uploads.get(image_id).history]
    assert outcomes.count((Stage.THUMBNAILS, Outcome.RETRYING)) == 2


def test_a_stage_failing_after_its_retries_fails_the_image_into_the_dead_letters(
    tmp_path: Path,
) -> None:
    flaky = FlakyStore(tmp_path / "data", "thumbnails/", failures=4)  # 1 try + 3 retries
    container = pipeline(tmp_path, stored_objects=flaky)
    image_id = upload(container, photo_jpeg())
    assert drain(container) == {"FAILED": 1}
    record = container.uploads.get(image_id)
    assert record.status is ImageStatus.FAILED
    assert record.failure is not None
    assert (record.failure.stage, record.failure.attempts) == (Stage.THUMBNAILS, 4)
    tries = [a.outcome for a in record.history if a.stage is Stage.THUMBNAILS]
    assert tries == [Outcome.RETRYING] * 3 + [Outcome.FAILED]  # no retry followed the last
    (letter,) = container.uploads.dead_letters()
    assert letter.body == {"image_id": image_id, "key": record.key}
    notifier = container.notifier
    assert isinstance(notifier, SqliteNotifier)
    latest = notifier.notifications(limit=1, image_id=image_id)[0].notification
    assert latest.attributes == {"status": "FAILED", "outcome": "failed", "stage": "thumbnails"}
    assert latest.subject == f"Image {image_id} failed at thumbnails (photo.jpg)"

    redriven = container.uploads.redrive()  # the cause is gone: the store works again
    assert redriven.redriven == (image_id,)
    assert container.uploads.get(image_id).status is ImageStatus.UPLOADED
    assert container.uploads.redrive([letter.message_id]).not_found == (letter.message_id,)
    assert drain(container) == {"COMPLETED": 1}
    record = container.uploads.get(image_id)
    assert (record.status, record.run, record.failure) == (ImageStatus.COMPLETED, 2, None)


def test_a_redelivered_message_for_a_settled_image_does_nothing(tmp_path: Path) -> None:
    container = pipeline(tmp_path)
    image_id = upload(container, photo_jpeg())
    key = container.uploads.get(image_id).key
    container.queue.send({"image_id": image_id, "key": key})  # a duplicate delivery
    assert drain(container) == {"COMPLETED": 1, "SETTLED": 1}
    assert len(container.uploads.get(image_id).history) == 5


def test_an_unavailable_store_refuses_the_upload_and_records_nothing(tmp_path: Path) -> None:
    broken = FlakyStore(tmp_path / "data", "uploads/", failures=1)
    container = pipeline(tmp_path, stored_objects=broken)
    with pytest.raises(StorageUnavailableError):
        upload(container, photo_jpeg())
    assert container.uploads.find() == []
    assert container.queue.depth().waiting == 0


def test_a_processed_upload_gets_its_variants_in_the_thumbnails_stage(tmp_path: Path) -> None:
    # Issue 11: a photograph's AVIF (smaller than its WebP) and JPEG, for the image and each
    # thumbnail, at the SSIM target against the WebP they were made from.
    container = pipeline(tmp_path)
    photo = io.BytesIO()
    photograph("chelsea").save(photo, "JPEG", quality=92)
    image_id = upload(container, photo.getvalue())
    assert drain(container) == {"COMPLETED": 1}
    record = container.uploads.get(image_id)
    store = container.stored_objects
    assert record.processed_key is not None
    for key in (record.processed_key, *record.thumbnail_keys):
        webp = store.get(key)
        seen = decode(webp.data).convert("RGB")
        jpeg = store.get(variant_key(key, "jpg"))
        assert jpeg.content_type == "image/jpeg"
        assert jpeg.cache_control == IMMUTABLE_CACHE_CONTROL
        assert ssim(seen, decode(jpeg.data).convert("RGB")) >= SSIM_TARGET
        assert float(jpeg.metadata["ssim"]) >= SSIM_TARGET
        assert jpeg.metadata["image-id"] == image_id
    avif = store.get(variant_key(record.processed_key, "avif"))
    assert avif.content_type == "image/avif"
    assert len(avif.data) < len(store.get(record.processed_key).data)
    assert ssim(decode(store.get(record.processed_key).data), decode(avif.data)) >= SSIM_TARGET


def test_variants_that_cannot_be_made_never_fail_the_image(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Every write of the processed image's variants refused: the image completes, its WebP
    # stands, the log says why.
    flaky = FlakyStore(
        tmp_path / "data", "processed/", failures=100, suffixes=(".avif", ".jpg", ".png")
    )
    container = pipeline(tmp_path, stored_objects=flaky)
    image_id = upload(container, photo_jpeg())
    with caplog.at_level("WARNING"):
        assert drain(container) == {"COMPLETED": 1}
    record = container.uploads.get(image_id)
    assert record.status is ImageStatus.COMPLETED
    assert [a.outcome for a in record.history] == [Outcome.COMPLETED] * 5
    assert flaky.failures < 100  # they were tried
    assert list(flaky.list_keys(f"processed/{image_id}")) == [record.processed_key]
    assert any("variants not made" in r.message for r in caplog.records)
