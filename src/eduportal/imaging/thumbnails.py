"""Thumbnails of an image already optimized (at most 1024 px): small WebPs for lists.

Made from the pipeline's processed image rather than the upload, so each costs a decode of at
most a megapixel whatever was uploaded; the memory is still reserved from the process's decode
gate, like every decode.
"""

from __future__ import annotations

from PIL import Image

from eduportal.domain.errors import ValidationError
from eduportal.imaging.codec import encode
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.probe import DAMAGED, probe

MAX_SOURCE_PIXELS = 4096 * 4096


def thumbnails(
    data: bytes, sizes: tuple[int, ...], *, gate: DecodeGate, quality: int, method: int
) -> dict[int, bytes]:
    """WebP thumbnails fitting `size` x `size` for each size, never upscaled."""
    probed = probe(data, max_bytes=len(data), max_pixels=MAX_SOURCE_PIXELS)
    with gate.reserve(probed.width * probed.height * 4 * 2):
        image = probed.image
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ValidationError(DAMAGED, detail=f"thumbnail source: {exc}") from None
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        made: dict[int, bytes] = {}
        for size in sizes:
            thumb = image.copy()
            thumb.thumbnail((size, size), Image.Resampling.LANCZOS)
            made[size] = encode(thumb, "WEBP", quality=quality, method=method)
        return made
