"""Making the AVIF and fallback variants of stored images, off the request path (issue 11).

A variant is made from the stored WebP, never from the request that stored it: a teacher's
save does not wait for AVIF's encoder (0.4-0.7 s an image on the reference machine), and until
a variant exists the origin serves the WebP to AVIF browsers and converts for the rest. Making
one never fails its caller: a failure is logged with the key and the WebP stands; running it
again (`eduportal image variants`) makes what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

from eduportal.domain.errors import EduportalError, NotFoundError
from eduportal.domain.keys import (
    CANONICAL_EXTENSION,
    GENERATED_PREFIX,
    PROCESSED_PREFIX,
    THUMBNAILS_PREFIX,
    canonical_key,
    is_negotiated,
    validate_key,
)
from eduportal.observability import server_timing
from eduportal.services.concurrency import submit
from eduportal.services.image_store import ImageStore

log = logging.getLogger(__name__)

_METADATA_KEPT = ("assignment-id", "teacher-id", "image-id")
"""The image's own metadata its variants carry too: who owns them, for an operator."""


@dataclass(frozen=True, slots=True)
class Made:
    """What one image got: the variant keys written, or the sentence saying why none."""

    key: str
    written: tuple[str, ...]
    error: str | None = None


class ImageVariants:
    def __init__(self, images: ImageStore) -> None:
        self.images = images
        # One thread: AVIF's encoder takes a core for about half a second an image, and the
        # other core stays the requests'.
        self._background = ThreadPoolExecutor(max_workers=1, thread_name_prefix="image-variants")

    def make(self, key: str) -> Made:
        """The variants of the stored WebP `key`, written beside it. Never raises."""
        if not is_negotiated(key):
            return Made(
                key,
                (),
                f"{key[:200]} is not a stored image that has variants: give the key of a WebP "
                "under generated_images/, processed/ or thumbnails/.",
            )
        try:
            # From the store, not the read cache: images no one has asked for yet would
            # push out those being read, and a request's first read would not be its own.
            stored = self.images.store.get(validate_key(key))
            made = self.images.optimizer.variants(stored.data)
            kept = {n: stored.metadata[n] for n in _METADATA_KEPT if n in stored.metadata}
            written = tuple(self.images.store_variant(key, variant, kept) for variant in made)
            if self._current_etag(key) != stored.etag:
                # Replaced or deleted while these were made: they show the old picture, or
                # nothing would ever delete them.
                for doomed in written:
                    self.images.delete(doomed)
                return Made(key, (), "The image was replaced or deleted meanwhile.")
        except EduportalError as exc:  # missing, damaged, storage failing: said, no trace
            log.warning(
                "image variants not made; the WebP is served",
                extra={"key": key, "error": exc.detail},
            )
            return Made(key, (), exc.for_user())
        except Exception:  # an encoder's own error: the WebP stands
            log.warning(
                "image variants not made; the WebP is served", extra={"key": key}, exc_info=True
            )
            return Made(key, (), "The image could not be encoded; the log has the details.")
        log.info("image variants made", extra={"key": key, "variants": list(written)})
        return Made(key, written)

    def _current_etag(self, key: str) -> str | None:
        try:
            return self.images.store.get(key).etag
        except NotFoundError:
            return None

    def in_background(self, keys: Iterable[str]) -> Future[list[Made]]:
        """`make` for each key on the background thread, in the caller's log context but
        outside its request's `Server-Timing` (the request does not wait for it)."""
        chosen = [key for key in keys if is_negotiated(key)]
        return submit(self._background, self._make_detached, chosen)

    def _make_detached(self, keys: list[str]) -> list[Made]:
        with server_timing.detached():
            return [self.make(key) for key in keys]

    def has_variants(self, key: str) -> bool:
        """Whether `key`'s fallback (or any variant) exists: every `make` that succeeds
        writes one, so an image without any was never done or failed."""
        stem = key.removesuffix(CANONICAL_EXTENSION)
        return any(canonical_key(info.key) == key for info in self.images.store.list_objects(stem))

    def stored_images(self) -> Iterator[str]:
        """Every stored WebP that can have variants: generated illustrations, processed
        uploads and both kinds of thumbnails."""
        for prefix in (GENERATED_PREFIX, PROCESSED_PREFIX, THUMBNAILS_PREFIX):
            for info in self.images.store.list_objects(prefix):
                if is_negotiated(info.key):
                    yield info.key
