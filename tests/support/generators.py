"""Image generators for tests that must know how often a model was asked: the offline poster
draws (real pictures, real PNGs), and every call is counted, or refused as a failing model."""

from __future__ import annotations

from eduportal.adapters.local.offline_images import OfflineImageGenerator
from eduportal.domain.errors import GenerationError
from eduportal.domain.keys import GENERATION_CACHE_PREFIX, canonical_key
from eduportal.imaging.picture import Picture
from eduportal.ports import ObjectStore


class CountingIllustrator:
    """A model that answers bytes, as Bedrock does: each call is one entry of `prompts`.
    `fingerprint` stands for the model and its settings (another one: another model)."""

    source = "an illustrator whose calls are counted"

    def __init__(self, fingerprint: str = "counting-poster:v1") -> None:
        self.fingerprint = fingerprint
        self.prompts: list[str] = []
        self._poster = OfflineImageGenerator()

    def generate(self, prompt: str) -> bytes:
        self.prompts.append(prompt)
        return self._poster.generate(prompt)


class CountingPainter(CountingIllustrator):
    """`CountingIllustrator` that also hands its picture over undecoded: a `PictureGenerator`,
    as the offline poster is, so creating an assignment takes the picture path."""

    def picture(self, prompt: str) -> Picture:
        self.prompts.append(prompt)
        return self._poster.picture(prompt)


class FailingIllustrator:
    """A model that is down: every call fails."""

    source = "an illustrator that always fails"
    fingerprint = "failing:v1"

    def generate(self, prompt: str) -> bytes:
        raise GenerationError(detail="model unavailable")


def owned_keys(store: ObjectStore) -> list[str]:
    """The store's keys but the generation cache's and the variants of the WebPs listed: the
    objects records and drafts own. A cache entry belongs to no assignment and outlives the
    one it was drawn for; variants are made by a background thread at moments a test cannot
    pin (tests/service/test_image_variants.py has them). A PNG stored because WebP failed has
    no WebP beside it, so it stays."""
    keys = [key for key in store.list_keys() if not key.startswith(GENERATION_CACHE_PREFIX)]
    listed = set(keys)
    return sorted(key for key in keys if canonical_key(key) not in listed)
