"""The image store service over the real local adapter."""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.errors import NotFoundError, StorageUnavailableError, ValidationError
from eduportal.domain.images import Lifecycle, UploadStatus
from eduportal.domain.keys import NO_IMAGE
from eduportal.imaging.codec import encode
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.imaging.placeholder import placeholder_image
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.ports import ObjectInfo, PutReceipt, StoredObject
from eduportal.services.image_store import Availability, ImageStore
from tests.support.flaky_store import FlakyStore
from tests.support.images import (
    decode,
    gps_exif,
    gradient,
    photograph,
    png,
    png_chunk_types,
    png_with_metadata,
)

JsonLog = Callable[[], list[dict[str, Any]]]


@pytest.fixture
def images(local_store: LocalObjectStore) -> ImageStore:
    return ImageStore(
        local_store, ImageOptimizer(), PrometheusMetrics(), public_url="http://127.0.0.1:8000/"
    )


def test_store_generated_returns_key_url_figures_status_and_attempts(images: ImageStore) -> None:
    stored = images.store_generated("a1", png(photograph("astronaut")), teacher_id="t1")
    assert stored.key == "generated_images/a1.webp"
    etag = images.fetch(stored.key).etag
    assert stored.url == f"http://127.0.0.1:8000/images/generated_images/a1.webp?v={etag[:12]}"
    assert stored.upload_status is UploadStatus.SUCCESS
    assert stored.attempts == 1
    assert stored.optimized
    assert stored.figures.format == "webp"
    assert stored.as_dict()["image_metadata"] == stored.figures.as_dict()
    assert images.fetch(stored.key).content_type == "image/webp"


def test_urls_use_cloudfront_when_configured(local_store: LocalObjectStore) -> None:
    cdn = ImageStore(
        local_store,
        ImageOptimizer(),
        PrometheusMetrics(),
        public_url="http://x",
        cdn_domain="d111.cloudfront.net",
    )
    assert cdn.url_for("generated_images/a1.webp") == (
        "https://d111.cloudfront.net/generated_images/a1.webp"
    )
    assert cdn.url_for(NO_IMAGE) is None


def test_an_image_replaced_under_its_key_gets_a_new_url(images: ImageStore) -> None:
    first = images.store_generated("a1", SMALL_PNG, teacher_id="t")
    second = images.store_generated("a1", png(photograph("coffee")), teacher_id="t")
    assert first.key == second.key and first.url != second.url
    assert images.fetch(second.key).data[8:12] == b"WEBP"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_a_truncated_image_is_refused_and_nothing_is_stored(
    images: ImageStore, local_store: LocalObjectStore, fmt: str
) -> None:
    """Issue 6: a truncated upload was stored byte for byte, its GPS EXIF served publicly."""
    source = encode(photograph("chelsea"), fmt, exif=gps_exif())
    with pytest.raises(ValidationError) as caught:
        images.store_generated("a2", source[: len(source) // 2], teacher_id="t1")
    assert "damaged or incomplete" in caught.value.user_message
    assert list(local_store.list_keys()) == []


def test_a_failed_webp_encode_stores_a_png_without_metadata(
    images: ImageStore, local_store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Property 19: Optimization fallback, end to end
    def fail(image: Image.Image, fp: object, filename: str | bytes) -> None:
        raise OSError("encoder error")

    monkeypatch.setitem(Image.SAVE, "WEBP", fail)
    stored = images.store_generated("a2", png_with_metadata(gradient(60, 40)), teacher_id="t1")
    assert stored.key == "generated_images/a2.png"
    assert not stored.optimized
    kept = local_store.get(stored.key)
    assert png_chunk_types(kept.data) == [b"IHDR", b"IDAT", b"IEND"]
    assert b"CameraMaker" not in kept.data
    assert kept.content_type == "image/png"
    assert kept.metadata["optimized"] == "false"


def test_refused_input_stores_nothing(images: ImageStore, local_store: LocalObjectStore) -> None:
    with pytest.raises(ValidationError):
        images.store_generated("a3", b"not an image", teacher_id="t1")
    assert list(local_store.list_keys()) == []


# Property 3: Naming convention consistency
@given(assignment_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", fullmatch=True))
def test_keys_follow_generated_images_assignment_id_webp(
    images: ImageStore, assignment_id: str
) -> None:
    stored = images.store_generated(assignment_id, SMALL_PNG, teacher_id="t")
    assert stored.key == f"generated_images/{assignment_id}.webp"


@given(assignment_id=st.text(min_size=0, max_size=80).filter(lambda s: not _valid_id(s)))
def test_invalid_assignment_ids_are_refused(images: ImageStore, assignment_id: str) -> None:
    with pytest.raises(ValidationError):
        images.store_generated(assignment_id, SMALL_PNG, teacher_id="t")


def _valid_id(value: str) -> bool:
    import re

    return re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}", value) is not None


SMALL_PNG = png(photograph("chelsea").resize((40, 30)))


# Property 9: Missing image graceful handling
@given(key=st.text(max_size=120))
def test_reading_any_missing_or_malformed_key_gives_the_placeholder(
    images: ImageStore, key: str
) -> None:
    content = images.read(key)
    assert content.is_placeholder
    assert content.availability is Availability.MISSING
    assert content.data == placeholder_image()
    assert content.cache_control == "no-store"


def test_no_image_sentinel_reads_as_placeholder_and_fetch_raises(images: ImageStore) -> None:
    assert images.read(NO_IMAGE).availability is Availability.MISSING
    with pytest.raises(NotFoundError):
        images.fetch(NO_IMAGE)


def test_placeholder_is_a_real_image() -> None:
    assert decode(placeholder_image()).size == (640, 480)


def test_delete_evicts_the_cache(images: ImageStore) -> None:
    stored = images.store_generated("a4", SMALL_PNG, teacher_id="t")
    assert not images.read(stored.key).is_placeholder
    images.delete(stored.key)
    assert images.read(stored.key).availability is Availability.MISSING
    images.delete(NO_IMAGE)


def test_mark_permanent_sets_the_lifecycle(
    images: ImageStore, local_store: LocalObjectStore
) -> None:
    stored = images.store_generated("a5", SMALL_PNG, teacher_id="t")
    images.mark_permanent(stored.key)
    assert local_store.get_lifecycle(stored.key) is Lifecycle.PERMANENT


class CountingStore:
    """The real local store, counting its reads; a read can be held until `release` is set,
    so concurrent readers are known to overlap it."""

    def __init__(self, inner: LocalObjectStore, *, held: bool = False) -> None:
        self.inner = inner
        self.backend = inner.backend
        self.gets = 0
        self.release = threading.Event()
        if not held:
            self.release.set()
        self._lock = threading.Lock()

    def get(self, key: str) -> StoredObject:
        with self._lock:
            self.gets += 1
        assert self.release.wait(timeout=30), "the test never released the read"
        return self.inner.get(key)

    def put(self, key: str, data: bytes, **kwargs: Any) -> PutReceipt:
        return self.inner.put(key, data, **kwargs)

    def head(self, key: str) -> ObjectInfo:
        return self.inner.head(key)

    def delete(self, key: str) -> None:
        self.inner.delete(key)

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None:
        self.inner.set_lifecycle(key, lifecycle)

    def get_lifecycle(self, key: str) -> Lifecycle:
        return self.inner.get_lifecycle(key)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        return self.inner.list_keys(prefix)

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self.inner.list_objects(prefix)

    def check(self) -> None:
        self.inner.check()


def waiting_in_the_cache(threads: list[threading.Thread]) -> int:
    """How many of `threads` are parked on a shared load (a `Future.result` call)."""
    frames = sys._current_frames()
    parked = 0
    for thread in threads:
        frame = frames.get(thread.ident or -1)
        while frame is not None and frame.f_code.co_name != "result":
            frame = frame.f_back
        parked += frame is not None
    return parked


def read_concurrently(
    images: ImageStore, store: CountingStore, key: str, readers: int
) -> list[Availability]:
    """`readers` threads read `key` at once; the one backend read is held until every other
    reader is waiting for it, so the overlap is certain rather than likely."""
    results: list[Availability] = []
    lock = threading.Lock()

    def reader() -> None:
        availability = images.read(key).availability
        with lock:
            results.append(availability)

    threads = [threading.Thread(target=reader) for _ in range(readers)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 30
    while waiting_in_the_cache(threads) < readers - 1 and time.monotonic() < deadline:
        time.sleep(0.005)
    store.release.set()
    for thread in threads:
        thread.join()
    return results


def test_fifty_concurrent_readers_of_one_uncached_key_cause_one_backend_read(
    local_store: LocalObjectStore,
) -> None:
    local_store.put(
        "generated_images/hot.webp", SMALL_PNG, content_type="image/png", cache_control="max-age=1"
    )
    counting = CountingStore(local_store, held=True)
    metrics = PrometheusMetrics()
    images = ImageStore(counting, ImageOptimizer(), metrics, public_url="http://x")
    results = read_concurrently(images, counting, "generated_images/hot.webp", 50)
    assert results == [Availability.FOUND] * 50
    assert counting.gets == 1
    assert metrics.value("image_cache_misses_total") == 1
    images.read("generated_images/hot.webp")
    assert counting.gets == 1


def test_concurrent_readers_of_a_missing_key_share_one_failed_read(
    local_store: LocalObjectStore,
) -> None:
    counting = CountingStore(local_store, held=True)
    images = ImageStore(counting, ImageOptimizer(), PrometheusMetrics(), public_url="http://x")
    results = read_concurrently(images, counting, "generated_images/none.webp", 50)
    assert results == [Availability.MISSING] * 50
    assert counting.gets == 1


def test_the_cache_is_bounded_by_bytes(local_store: LocalObjectStore) -> None:
    counting = CountingStore(local_store)
    images = ImageStore(
        counting, ImageOptimizer(), PrometheusMetrics(), public_url="http://x", cache_bytes=3000
    )
    for name in ("a", "b"):
        local_store.put(f"k/{name}.bin", b"x" * 2000, content_type="x/y", cache_control="c")
    images.read("k/a.bin")
    images.read("k/b.bin")  # evicts a: both do not fit in 3000 bytes
    images.read("k/a.bin")
    assert counting.gets == 3


def test_metadata_is_ascii_safe_for_s3(images: ImageStore, local_store: LocalObjectStore) -> None:
    stored = images.store_generated("a7", SMALL_PNG, teacher_id="Zoë Ünal")
    metadata: Mapping[str, str] = local_store.get(stored.key).metadata
    assert all(value.isascii() for value in metadata.values())
    assert metadata["teacher-id"] == "Zo%C3%AB %C3%9Cnal"


def test_local_store_rejects_symlinks_out_of_the_data_dir(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path / "data")
    outside = tmp_path / "secret.txt"
    outside.write_text("secret")
    (tmp_path / "data" / "objects" / "generated_images").mkdir(parents=True)
    (tmp_path / "data" / "objects" / "generated_images" / "evil.webp").symlink_to(outside)
    with pytest.raises(NotFoundError):
        store.get("generated_images/evil.webp")


def flaky_images(store: LocalObjectStore) -> ImageStore:
    return ImageStore(store, ImageOptimizer(), PrometheusMetrics(), public_url="http://127.0.0.1")


def test_a_thumbnail_that_cannot_be_written_takes_the_others_along(tmp_path: Path) -> None:
    """The thumbnails are written side by side, all or none; the image stands alone."""
    store = FlakyStore(tmp_path / "data", "generated_images/a8/256", failures=1)
    stored = flaky_images(store).store_generated("a8", SMALL_PNG, teacher_id="t1")
    assert stored.thumbnail_keys == ()
    assert list(store.list_keys()) == [stored.key]


def test_an_image_that_cannot_be_written_leaves_no_thumbnails(tmp_path: Path) -> None:
    """The thumbnails are made while the image is written, and stored only after it."""
    store = FlakyStore(tmp_path / "data", "generated_images/a9.webp", failures=1)
    with pytest.raises(StorageUnavailableError):
        flaky_images(store).store_generated("a9", SMALL_PNG, teacher_id="t1")
    assert list(store.list_keys()) == []
