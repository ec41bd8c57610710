"""What the portal records about an image it stored."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Final

IMMUTABLE_CACHE_CONTROL: Final = "max-age=31536000, immutable"
"""Stored objects never change under a key, so browsers and CloudFront may keep them a year."""


class Lifecycle(StrEnum):
    """The `lifecycle` object tag: S3 lifecycle rules filter on `auto` (ARCHITECTURE.md)."""

    AUTO = "auto"
    PERMANENT = "permanent"


class UploadStatus(StrEnum):
    SUCCESS = "success"
    FAILED = "failed"
    PENDING = "pending"
    NO_IMAGE = "no_image"


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

    def as_dict(self) -> dict[str, int | float | str]:
        return asdict(self)


def compression_ratio(original_size: int, optimized_size: int) -> float:
    if original_size <= 0:
        return 0.0
    return round(1 - optimized_size / original_size, 4)
