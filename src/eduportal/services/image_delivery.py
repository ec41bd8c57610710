"""What the image origin answers for a key and a client's `Accept` (issue 11).

A stored WebP (`domain.keys.is_negotiated`) is answered in the best format the client
decodes (`domain.delivery`): its AVIF variant, the WebP itself, or its JPEG/PNG fallback. A
variant key asked for directly (`x.avif`, `x.jpg`: what the CDN's function asks for) is
answered by that variant. Until the background has made a variant, the best representation
that exists stands in, with a short `Cache-Control` so that browsers and the CDN ask again
soon: the WebP for AVIF, and for a client that decodes neither a JPEG (PNG with alpha) made at
once from the WebP and kept in memory, never WebP.

Missing variants are remembered for a while by the image store (`ImageStore.find`), so most
requests cost no store round trip, and answers already in memory are found without leaving
the event loop (`peek`).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Final

from eduportal.domain.delivery import DeliveryFormat, delivery_format
from eduportal.domain.errors import EduportalError
from eduportal.domain.keys import canonical_key, is_negotiated, variant_key
from eduportal.services.image_store import ImageContent, ImageStore, found
from eduportal.services.read_cache import SingleFlightCache

STAND_IN_CACHE_CONTROL: Final = "max-age=60"
"""For an answer given in place of a variant not made yet: the variant is worth asking for
again within a minute."""
STAND_IN_CACHE_BYTES: Final = 16 * 1024 * 1024

_format_of = lru_cache(maxsize=512)(delivery_format)
"""Browsers send a handful of distinct Accept headers: parsed once each, not per request."""


@dataclass(frozen=True, slots=True)
class _Choice:
    finals: tuple[str, ...]
    """Keys whose object, when present, is the answer (its own caching)."""
    stand_ins: tuple[str, ...]
    """Keys served, briefly cached, when no final one exists."""
    last: str
    """The key read when none of those exists: the image itself."""
    convert: bool = False
    """Convert `last` (a WebP) to JPEG or PNG: the client decodes neither AVIF nor WebP."""

    @property
    def last_stands_in(self) -> bool:
        """`last` answers in a variant's place (briefly cached), not as itself."""
        return bool(self.finals)


class ImageDelivery:
    def __init__(self, images: ImageStore, *, cache_bytes: int = STAND_IN_CACHE_BYTES) -> None:
        self.images = images
        self._converted: SingleFlightCache[tuple[str, str], ImageContent] = SingleFlightCache(
            cache_bytes, sizeof=lambda content: len(content.data) + 512
        )

    def peek(self, key: str, accept: str | None) -> ImageContent | None:
        """The answer when memory holds it, else None: never touches the backend."""
        choice = _choose(key, accept)
        for candidate in choice.finals + choice.stand_ins:
            content = self.images.peek(candidate)
            if content is not None:
                return _briefly(content) if candidate in choice.stand_ins else content
            if not self.images.known_absent(candidate):
                return None
        image = self.images.peek(choice.last)
        if image is None or not choice.last_stands_in:
            return image
        if not choice.convert:
            return _briefly(image)
        converted = self._converted.peek((choice.last, image.etag))
        return None if converted is None else _briefly(converted)

    def read(self, key: str, accept: str | None) -> ImageContent:
        """The answer; never raises: the placeholder stands in for a missing or unreadable
        image (`ImageStore.read_public`)."""
        choice = _choose(key, accept)
        for candidate in choice.finals + choice.stand_ins:
            try:
                stored = self.images.find(candidate)
            except EduportalError:
                continue  # the store failing: the image itself, or its placeholder, answers
            if stored is not None:
                content = found(stored)
                return _briefly(content) if candidate in choice.stand_ins else content
        image = self.images.read_public(choice.last)
        if image.is_placeholder or not choice.last_stands_in:
            return image
        if not choice.convert:
            return _briefly(image)
        converted, _ = self._converted.get(
            (choice.last, image.etag), lambda _: self._convert(image)
        )
        return _briefly(converted)

    def _convert(self, image: ImageContent) -> ImageContent:
        made = self.images.optimizer.stand_in(image.data)
        return ImageContent(
            key=image.key,
            data=made.data,
            content_type=made.content_type,
            etag=f"{image.etag}-{made.extension}",
            cache_control=STAND_IN_CACHE_CONTROL,
            availability=image.availability,
        )


def _choose(key: str, accept: str | None) -> _Choice:
    canonical = canonical_key(key)
    if canonical is not None:  # a variant asked for by its own key (the CDN's function)
        if key.endswith(".avif"):
            return _Choice((key,), (), canonical)
        other = variant_key(canonical, "png" if key.endswith(".jpg") else "jpg")
        return _Choice((key,), (other,), canonical, convert=True)
    if not is_negotiated(key):
        return _Choice((), (), key)
    wanted = _format_of(accept)
    if wanted is DeliveryFormat.AVIF:
        return _Choice((variant_key(key, "avif"),), (), key)
    if wanted is DeliveryFormat.LEGACY:
        return _Choice((variant_key(key, "jpg"), variant_key(key, "png")), (), key, convert=True)
    return _Choice((), (), key)


def _briefly(content: ImageContent) -> ImageContent:
    return replace(content, cache_control=STAND_IN_CACHE_CONTROL)
