"""The image store: the one way the portal writes and reads images (requirements 1, 3, 6, 9).

Writes optimize first (WebP, at most 1024 px) and store under the assignment's key with the
design's metadata. Reads go through a bounded single-flight cache; `read` never raises and
answers with the placeholder when an image is missing or storage fails, while `fetch` raises
the typed error for callers that must know (the CLI, the pipeline).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from urllib.parse import quote

from eduportal.domain.errors import EduportalError, NotFoundError, ValidationError
from eduportal.domain.images import (
    IMMUTABLE_CACHE_CONTROL,
    ImageFigures,
    Lifecycle,
    UploadStatus,
    compression_ratio,
)
from eduportal.domain.keys import (
    NO_IMAGE,
    generated_image_key,
    generated_thumbnail_key,
    is_private_key,
    validate_key,
    variant_key,
    variant_keys,
)
from eduportal.imaging.optimize import ImageOptimizer, OptimizedImage
from eduportal.imaging.picture import Picture
from eduportal.imaging.placeholder import PLACEHOLDER_CONTENT_TYPE, placeholder_image
from eduportal.imaging.probe import probe
from eduportal.imaging.variants import Variant
from eduportal.ports import Metrics, ObjectStore, PutReceipt, StoredObject
from eduportal.services.concurrency import submit
from eduportal.services.read_cache import CacheOutcome, RecentCache, SingleFlightCache

log = logging.getLogger(__name__)

PLACEHOLDER_CACHE_CONTROL = "no-store"
ABSENT_SECONDS = 30.0
"""How long a key found missing is believed missing without asking the store again: the
origin looks for an image's AVIF or JPEG variant on every request, and most images have none
until the background has made it. A variant written by this process is seen at once, one
written by another (the pipeline's worker) within this."""


class Availability(StrEnum):
    FOUND = "found"
    MISSING = "missing"
    UNAVAILABLE = "unavailable"


@dataclass(frozen=True, slots=True)
class StoredImage:
    key: str
    url: str
    figures: ImageFigures
    upload_status: UploadStatus
    attempts: int
    optimized: bool
    thumbnail_keys: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, object]:
        return {
            "key": self.key,
            "url": self.url,
            "upload_status": self.upload_status.value,
            "attempts": self.attempts,
            "optimized": self.optimized,
            "image_metadata": self.figures.as_dict(),
            "thumbnail_keys": list(self.thumbnail_keys),
        }


@dataclass(frozen=True, slots=True)
class ImageContent:
    """What to show for a key: the stored image, or the placeholder and why."""

    key: str
    data: bytes
    content_type: str
    etag: str
    cache_control: str
    availability: Availability

    @property
    def is_placeholder(self) -> bool:
        return self.availability is not Availability.FOUND


class ImageStore:
    def __init__(
        self,
        store: ObjectStore,
        optimizer: ImageOptimizer,
        metrics: Metrics,
        *,
        public_url: str,
        cdn_domain: str | None = None,
        cache_bytes: int = 64 * 1024 * 1024,
    ) -> None:
        self.store = store
        self.optimizer = optimizer
        self.metrics = metrics
        self._public_url = public_url.rstrip("/")
        self._cdn_domain = cdn_domain
        self._cache: SingleFlightCache[str, StoredObject] = SingleFlightCache(
            cache_bytes, sizeof=lambda obj: len(obj.data) + 512
        )
        self._absent: RecentCache[str, bool] = RecentCache(ABSENT_SECONDS, max_entries=65536)
        self._workers = ThreadPoolExecutor(thread_name_prefix="image-store")

    def url_for(self, key: str, version: str | None = None) -> str | None:
        """The CloudFront URL when a CDN is configured, else the origin's `/images/{key}`.

        `version` (the object's ETag) is appended as `?v=`: objects are served as immutable for
        a year, so an image replaced under the same key must get a new URL to be seen.
        """
        if key == NO_IMAGE:
            return None
        validate_key(key)
        base = f"https://{self._cdn_domain}" if self._cdn_domain else f"{self._public_url}/images"
        suffix = f"?v={version[:12]}" if version else ""
        return f"{base}/{key}{suffix}"

    def optimize(self, image: bytes | Picture) -> OptimizedImage:
        """Optimized, with its thumbnails (made beside the encode). A generator's `Picture`
        is taken as pixels (`ImageOptimizer.optimize_picture`): the same result as its
        bytes, without decoding them."""
        started = time.perf_counter()
        if isinstance(image, Picture):
            result = self.optimizer.optimize_picture(image, thumbnails=True)
        else:
            result = self.optimizer.optimize(image, thumbnails=True)
        self.metrics.observe("image_optimize_seconds", time.perf_counter() - started)
        if result.optimized:
            saved = result.figures.original_size_bytes - result.figures.optimized_size_bytes
            self.metrics.increment("image_bytes_saved_total", max(saved, 0))
        else:
            self.metrics.increment("image_optimize_fallbacks_total")
        return result

    def store_generated(
        self, assignment_id: str, image: bytes | Picture, *, teacher_id: str
    ) -> StoredImage:
        """Optimize and store an assignment's image under `generated_images/{id}.{ext}`.

        Raises `ValidationError` for input we refuse, and the typed storage error (carrying the
        attempts made) when the upload fails after its retries; nothing is left half-written.
        """
        return self.store_optimized(assignment_id, self.optimize(image), teacher_id=teacher_id)

    def store_optimized(
        self, assignment_id: str, optimized: OptimizedImage, *, teacher_id: str
    ) -> StoredImage:
        """The upload half of `store_generated`, for callers that report each step.

        The image and its thumbnails are written side by side: each write waits on the disk
        (or S3), not the CPU, so the request waits for the longest rather than the sum. The
        thumbnails come with the optimized image (made from its pixels while it was encoded);
        one without them gets them from its bytes while it is written. A thumbnail that
        cannot be written takes the others along, and an image that cannot be written takes
        its thumbnails along: a failure leaves what writing one after another would leave.
        """
        key = generated_image_key(assignment_id, optimized.extension)
        metadata = {
            "assignment-id": assignment_id,
            "teacher-id": quote(teacher_id, safe=" @._-"),
            "created-at": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "original-format": optimized.original_format,
            "optimized": "true" if optimized.optimized else "false",
        }
        making: Future[dict[int, bytes]] | None = None
        writing: dict[str, Future[PutReceipt]] = {}
        if optimized.thumbnails is None:
            making = submit(self._workers, self._thumbnails, assignment_id, optimized.data)
        else:
            writing = self._write_thumbnails(assignment_id, optimized.thumbnails, metadata)
        try:
            receipt = self._put(
                key,
                optimized.data,
                optimized.content_type,
                metadata | optimized.figures.encoding_metadata(),  # the image's, not theirs
            )
        except BaseException:
            if making is not None:
                wait([making])  # made for nothing, but never left running
            wait(writing.values())
            self._discard_written(writing)
            raise
        if making is not None:
            writing = self._write_thumbnails(assignment_id, making.result(), metadata)
        return StoredImage(
            key=key,
            url=self.url_for(key, receipt.etag) or "",
            figures=optimized.figures,
            upload_status=UploadStatus.SUCCESS,
            attempts=receipt.attempts,
            optimized=optimized.optimized,
            thumbnail_keys=self._thumbnails_written(assignment_id, writing),
        )

    def _put(
        self, key: str, data: bytes, content_type: str, metadata: dict[str, str]
    ) -> PutReceipt:
        receipt = self.store.put(
            key,
            data,
            content_type=content_type,
            cache_control=IMMUTABLE_CACHE_CONTROL,
            metadata=metadata,
        )
        self._cache.evict(key)
        self._absent.forget(key)
        return receipt

    def store_variant(self, key: str, variant: Variant, metadata: Mapping[str, str]) -> str:
        """Write `variant` of the stored WebP `key` beside it (`domain.keys.variant_key`),
        with `metadata` (the image's own, such as its owner) and how the variant was
        encoded; the variant's key. Raises the typed storage errors."""
        written = variant_key(key, variant.extension)
        self._put(written, variant.data, variant.content_type, {**metadata, **variant.metadata()})
        return written

    def _thumbnails(self, assignment_id: str, image: bytes) -> dict[int, bytes]:
        """The sizes the pipeline makes (`THUMBNAIL_SIZES`), from the stored image's bytes,
        so a list of assignments never loads whole illustrations. Without them the list
        shows the image itself: a failure here is logged and costs the thumbnails, never
        the image."""
        try:
            return self.optimizer.thumbnails(image)
        except Exception:  # an encoder's own error as much as ours: the image stands alone
            log.warning(
                "thumbnails not made; lists show the whole image",
                extra={"assignment_id": assignment_id},
                exc_info=True,
            )
            return {}

    def _write_thumbnails(
        self, assignment_id: str, made: Mapping[int, bytes], metadata: dict[str, str]
    ) -> dict[str, Future[PutReceipt]]:
        writing = {}
        for size, data in made.items():
            key = generated_thumbnail_key(assignment_id, size)
            writing[key] = submit(self._workers, self._put, key, data, "image/webp", metadata)
        return writing

    def _thumbnails_written(
        self, assignment_id: str, writing: Mapping[str, Future[PutReceipt]]
    ) -> tuple[str, ...]:
        """All or none: a thumbnail that cannot be written takes the others with it."""
        wait(writing.values())
        failures = [error for put in writing.values() if (error := put.exception()) is not None]
        if not failures:
            return tuple(writing)
        self._discard_written(writing)
        unexpected = [error for error in failures if not isinstance(error, EduportalError)]
        if unexpected:
            raise unexpected[0]
        log.warning(
            "thumbnails not stored; lists show the whole image",
            extra={"assignment_id": assignment_id},
            exc_info=failures[0],
        )
        return ()

    def _discard_written(self, writing: Mapping[str, Future[PutReceipt]]) -> None:
        for key, put in writing.items():
            if put.exception() is None:
                self._delete_quietly(key)

    def stored(self, key: str, *, original_size_bytes: int) -> StoredImage:
        """An image already stored (a pipeline's processed image), described as `store_*`
        describes what it stores: its URL and figures, read from the object and its header.

        Raises `NotFoundError` when it is gone and the typed storage errors."""
        found = self.fetch(key)
        probed = probe(
            found.data, max_bytes=self.optimizer.max_bytes, max_pixels=self.optimizer.max_pixels
        )
        size = len(found.data)
        figures = ImageFigures(
            original_size_bytes=original_size_bytes,
            optimized_size_bytes=size,
            compression_ratio=compression_ratio(original_size_bytes, size),
            format=probed.extension,
            dimensions=f"{probed.width}x{probed.height}",
        ).with_encoding(found.metadata)
        return StoredImage(
            key=key,
            url=self.url_for(key, found.etag) or "",
            figures=figures,
            upload_status=UploadStatus.SUCCESS,
            attempts=found.attempts,
            optimized=probed.format == "WEBP",
        )

    def fetch(self, key: str) -> StoredObject:
        """The stored object, through the cache; raises `NotFoundError` and other typed errors."""
        if key == NO_IMAGE:
            raise NotFoundError(detail="the assignment has no image")
        validate_key(key)
        stored, outcome = self._cache.get(key, self.store.get)
        self.metrics.increment(
            "image_cache_misses_total"
            if outcome is CacheOutcome.LOADED
            else "image_cache_hits_total"
        )
        return stored

    def find(self, key: str) -> StoredObject | None:
        """The stored object through the cache, or None when it is missing, which is then
        believed for `ABSENT_SECONDS`; raises the other typed errors (`fetch`)."""
        if self._absent.get(key):
            return None
        try:
            return self.fetch(key)
        except NotFoundError:
            self._absent.put(key, True)
            return None

    def known_absent(self, key: str) -> bool:
        """Found missing in the last `ABSENT_SECONDS`: never touches the backend."""
        return bool(self._absent.get(key))

    def peek(self, key: str) -> ImageContent | None:
        """The image if it is cached, else None; never touches the backend."""
        stored = self._cache.peek(key)
        if stored is None:
            return None
        self.metrics.increment("image_cache_hits_total")
        return found(stored)

    def read(self, key: str) -> ImageContent:
        """What to show for `key`: never raises; the placeholder stands in for any failure."""
        try:
            stored = self.fetch(key)
        except (NotFoundError, ValidationError):
            return _placeholder(key, Availability.MISSING)
        except EduportalError:
            return _placeholder(key, Availability.UNAVAILABLE)
        except Exception:
            log.exception("unexpected failure reading an image", extra={"key": key})
            return _placeholder(key, Availability.UNAVAILABLE)
        return found(stored)

    def read_public(self, key: str) -> ImageContent:
        """What the image origin serves anyone: a teacher's unsaved draft is theirs alone, so
        its images read as missing (`peek` never holds them: only `read` fills the cache)."""
        if is_private_key(key):
            return _placeholder(key, Availability.MISSING)
        return self.read(key)

    def delete(self, key: str) -> None:
        """The image and its variants (issue 11): nothing of it is left behind."""
        if key == NO_IMAGE:
            return
        validate_key(key)
        for doomed in (*variant_keys(key), key):
            self._delete(doomed)

    def delete_variants(self, keys: Iterable[str]) -> None:
        """The variants of images about to be replaced under their keys, side by side: left,
        they would show AVIF and legacy browsers the old picture. Raises the typed errors."""
        doomed = [variant for key in keys for variant in variant_keys(key)]
        for deleting in [submit(self._workers, self._delete, key) for key in doomed]:
            deleting.result()

    def _delete(self, key: str) -> None:
        self.store.delete(key)
        self._cache.evict(key)

    def _delete_quietly(self, key: str) -> None:
        try:
            self.delete(key)
        except EduportalError:
            log.warning("could not delete an unused object", extra={"key": key})

    def mark_permanent(self, key: str) -> None:
        """Exclude the image from the lifecycle rules (requirement 5.5)."""
        self.set_lifecycle(key, Lifecycle.PERMANENT)

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None:
        validate_key(key)
        self.store.set_lifecycle(key, lifecycle)


def found(stored: StoredObject) -> ImageContent:
    """What to show for an object that was found."""
    return ImageContent(
        key=stored.key,
        data=stored.data,
        content_type=stored.content_type,
        etag=stored.etag,
        cache_control=stored.cache_control or IMMUTABLE_CACHE_CONTROL,
        availability=Availability.FOUND,
    )


def _placeholder(key: str, availability: Availability) -> ImageContent:
    data = placeholder_image()
    return ImageContent(
        key=key,
        data=data,
        content_type=PLACEHOLDER_CONTENT_TYPE,
        etag="",
        cache_control=PLACEHOLDER_CACHE_CONTROL,
        availability=availability,
    )
