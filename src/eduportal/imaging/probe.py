"""Look at an image's header, and refuse what we will not decode, before touching any pixel.

The byte limit and the pixel limit (decompression bombs: a 50 kB PNG can claim 100 000 x
100 000 pixels) are both checked here, from the header alone.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from typing import Final

from PIL import Image, UnidentifiedImageError

from eduportal.domain.errors import ValidationError
from eduportal.domain.sizes import too_large

ACCEPTED_FORMATS: Final = ("PNG", "JPEG", "WEBP", "GIF", "BMP", "TIFF", "AVIF")
"""Formats we decode (JPEG includes MPO, as phones write it). Pillow reads more (EPS, for one,
runs Ghostscript): we do not offer them."""

EXTENSIONS: Final = {"JPEG": "jpg", "MPO": "jpg", "TIFF": "tiff"}

FILE_EXTENSIONS: Final = ("png", "jpg", "jpeg", "webp", "gif", "bmp", "tif", "tiff", "avif")
"""The file name endings of `ACCEPTED_FORMATS`, for pickers that filter by name."""

DAMAGED: Final = (
    "The image file is damaged or incomplete and cannot be read. "
    "Please export it again and upload the new file."
)
"""For a header, or later the pixel data, that does not decode completely."""


@dataclass(frozen=True, slots=True)
class ProbedImage:
    image: Image.Image
    """Opened lazily: only the header has been read."""
    format: str
    width: int
    height: int
    mime_type: str

    @property
    def extension(self) -> str:
        return EXTENSIONS.get(self.format, self.format.lower())


def probe(data: bytes, *, max_bytes: int, max_pixels: int) -> ProbedImage:
    check_bytes(data, max_bytes=max_bytes)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data), formats=ACCEPTED_FORMATS)
    except UnidentifiedImageError:
        raise ValidationError(
            "This file is not an image we can read. Please use PNG, JPEG, WebP, GIF, BMP, "
            "TIFF or AVIF.",
        ) from None
    except Image.DecompressionBombError as exc:
        raise _too_many_pixels(max_pixels, detail=str(exc)) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ValidationError(DAMAGED, detail=f"header unreadable: {exc}") from None
    return probe_image(image, image.format or "UNKNOWN", max_pixels=max_pixels)


def probe_image(image: Image.Image, fmt: str, *, max_pixels: int) -> ProbedImage:
    """`image` (opened from bytes of format `fmt`, or drawn in memory) if it has pixels and
    not too many of them."""
    width, height = image.size
    if width < 1 or height < 1:
        raise ValidationError("The image has no pixels.")
    if width * height > max_pixels:
        raise _too_many_pixels(max_pixels, detail=f"{width}x{height} exceeds {max_pixels} pixels")
    return ProbedImage(image, fmt, width, height, Image.MIME.get(fmt, "application/octet-stream"))


def check_bytes(data: bytes, *, max_bytes: int) -> None:
    """Refuse an empty file or one over the byte limit."""
    if not data:
        raise ValidationError("The file is empty.")
    if len(data) > max_bytes:
        raise ValidationError(too_large("The image", len(data), max_bytes))


def _too_many_pixels(max_pixels: int, *, detail: str) -> ValidationError:
    return ValidationError(
        f"The image has too many pixels; the most we accept is {max_pixels / 1e6:.0f} megapixels.",
        detail=detail,
    )
