"""What the portal records about an image it stored."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from enum import StrEnum
from typing import Final

IMMUTABLE_CACHE_CONTROL: Final = "max-age=31536000, immutable"
"""Stored objects never change under a key, so browsers and CloudFront may keep them a year."""

PLACEHOLDER_PREFIX: Final = "data:image/webp;base64,"
MAX_PLACEHOLDER_CHARS: Final = 600
"""A placeholder's longest data URI: with the rest of an object's metadata it stays well
inside S3's 2 KB of user metadata, and it is sent with every assignment in a list."""
_PLACEHOLDER: Final = re.compile(
    re.escape(PLACEHOLDER_PREFIX) + r"[A-Za-z0-9+/]+={0,2}", flags=re.ASCII
)


class Lifecycle(StrEnum):
    """The `lifecycle` object tag: S3 lifecycle rules filter on `auto` (ARCHITECTURE.md)."""

    AUTO = "auto"
    PERMANENT = "permanent"


class UploadStatus(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    PENDING = "pending"
    NO_IMAGE = "no_image"


class EncodingMode(StrEnum):
    """How a stored WebP was encoded (`imaging.encoding_choice`)."""

    LOSSY = "lossy"
    LOSSLESS = "lossless"
    NEAR_LOSSLESS = "near-lossless"
    """Colours reduced to a palette of 256, then encoded losslessly."""


@dataclass(frozen=True, slots=True)
class ImageFigures:
    """The optimization figures kept as `image_metadata` on the assignment document.

    `compression_ratio` is the fraction of bytes saved (0.5 = half the size), the reading the
    design's example gives; it is negative when the output is larger than the input.
    """

    original_size_bytes: int
    optimized_size_bytes: int
    compression_ratio: float
    format: str
    dimensions: str
    quality: int | None = None
    """WebP's quality setting of a lossy encoding; None for a lossless one, and for records
    made before the optimizer chose a quality per image."""
    mode: str | None = None
    """An `EncodingMode` value; None before encodings were recorded."""
    ssim: float | None = None
    """Luma SSIM of the stored pixels against the fitted source (1.0 for lossless); None when
    a fixed quality was used (`EDUPORTAL_SSIM_TARGET=off`), which measures nothing."""
    placeholder: str | None = None
    """A tiny WebP of the image as a `data:` URI (`imaging.lqip`), painted blurred before
    the image arrives; None for records made before, and when none could be made."""

    def as_dict(self) -> dict[str, int | float | str | None]:
        return asdict(self)

    def encoding_metadata(self) -> dict[str, str]:
        """The encoding and the placeholder as object metadata (S3's `x-amz-meta-*`), so the
        figures of an image stored by another process (the pipeline's) can be read back from
        the object: the figures its bytes and header cannot tell."""
        found = {
            "encoding": self.mode,
            "webp-quality": self.quality,
            "ssim": self.ssim,
            "placeholder": self.placeholder,
        }
        return {name: str(value) for name, value in found.items() if value is not None}

    def with_encoding(self, metadata: Mapping[str, str]) -> ImageFigures:
        """These figures with what `encoding_metadata` wrote into `metadata`."""
        quality, ssim = metadata.get("webp-quality"), metadata.get("ssim")
        return replace(
            self,
            mode=metadata.get("encoding"),
            quality=int(quality) if quality and quality.isdigit() else None,
            ssim=_number(ssim),
            placeholder=valid_placeholder(metadata.get("placeholder")),
        )


def valid_placeholder(text: str | None) -> str | None:
    """`text` when it is a placeholder as `imaging.lqip` makes them, else None: it is written
    into pages' CSS, so whatever else metadata or a document holds is no placeholder."""
    if text is None or len(text) > MAX_PLACEHOLDER_CHARS or not _PLACEHOLDER.fullmatch(text):
        return None
    return text


def _number(text: str | None) -> float | None:
    try:
        return float(text) if text is not None else None
    except ValueError:
        return None


def compression_ratio(original_size: int, optimized_size: int) -> float:
    if original_size <= 0:
        return 0.0
    return round(1 - optimized_size / original_size, 4)
