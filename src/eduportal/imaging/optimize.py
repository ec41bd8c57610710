"""Requirement 6: every image the portal keeps is WebP, at most 1024 px, without metadata.

Steps, in this order because each depends on the one before:
1. probe: refuse oversized or non-image input from the header (a `ValidationError`);
2. decode, with JPEG's DCT scaling (`draft`) so big photos decode at a fraction of the cost;
3. apply the EXIF orientation, since the EXIF block is about to be stripped;
4. bring every mode (palette, LA, CMYK, 16-bit, ICC-tagged) to sRGB `RGB` or `RGBA`;
5. fit within `max_dimension` keeping the aspect ratio, never upscaling;
6. encode WebP without EXIF, XMP or ICC.
When steps 2-6 fail on an image whose header was fine, the original bytes are returned with
`optimized=False` and a warning is logged (requirement 6.4): losing the teacher's image would be
worse than storing it unoptimized.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import Image, ImageCms, ImageOps

from eduportal.domain.images import ImageFigures, compression_ratio
from eduportal.imaging.probe import ProbedImage, probe

log = logging.getLogger(__name__)

WEBP_METHOD: Final = 4
"""libwebp's effort (0 fast .. 6 slow), libwebp's default. `make bench` on real photographs:
methods 0-2 encode in 0.4-0.6 of the time but give 3-29 % more bytes at lower SSIM (2 is the
one to try if encoding CPU ever binds); 5 and 6 take 1.2x and 3.3x the time, and the 1-5 %
they save mostly comes with lower SSIM (figures in bench/README.md)."""

_SIXTEEN_BIT_MODES: Final = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I"})
_RGB_MODES: Final = frozenset({"1", "L", "CMYK", "YCbCr", "LAB", "HSV", "RGB", "RGBX"})
_ALPHA_MODES: Final = frozenset({"LA", "La", "PA", "RGBa", "RGBA"})
_SRGB: Final = ImageCms.createProfile("sRGB")


@dataclass(frozen=True, slots=True)
class OptimizedImage:
    data: bytes
    content_type: str
    extension: str
    figures: ImageFigures
    original_format: str
    optimized: bool
    """False when optimization failed and `data` is the original (requirement 6.4)."""
    fallback_reason: str | None = None


class ImageOptimizer:
    def __init__(
        self,
        *,
        max_dimension: int = 1024,
        quality: int = 85,
        method: int = WEBP_METHOD,
        max_bytes: int = 25 * 1024 * 1024,
        max_pixels: int = 50_000_000,
    ) -> None:
        self.max_dimension = max_dimension
        self.quality = quality
        self.method = method
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels

    def optimize(self, data: bytes) -> OptimizedImage:
        probed = probe(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        try:
            image = self._prepare(probed)
            out = io.BytesIO()
            image.save(out, "WEBP", quality=self.quality, method=self.method, exif=b"", xmp=b"")
        except (OSError, ValueError, SyntaxError, MemoryError, Image.DecompressionBombError) as exc:
            return self._fallback(data, probed, exc)
        encoded = out.getvalue()
        return OptimizedImage(
            data=encoded,
            content_type="image/webp",
            extension="webp",
            figures=ImageFigures(
                original_size_bytes=len(data),
                optimized_size_bytes=len(encoded),
                compression_ratio=compression_ratio(len(data), len(encoded)),
                format="webp",
                dimensions=f"{image.width}x{image.height}",
            ),
            original_format=probed.format.lower(),
            optimized=True,
        )

    def fitted_size(self, width: int, height: int) -> tuple[int, int]:
        """The largest size within the bound with the same aspect ratio; never larger."""
        scale = min(1.0, self.max_dimension / width, self.max_dimension / height)
        if scale >= 1.0:
            return width, height
        return max(1, round(width * scale)), max(1, round(height * scale))

    def _prepare(self, probed: ProbedImage) -> Image.Image:
        image = probed.image
        if probed.format in ("JPEG", "MPO"):
            # Decode at the smallest DCT scale that still covers the target: 2-8x less work.
            image.draft("RGB", (self.max_dimension, self.max_dimension))
        image.load()
        # In place: a copy of an image with nothing to rotate costs a full-size buffer.
        ImageOps.exif_transpose(image, in_place=True)
        image = _to_srgb(image)
        size = self.fitted_size(image.width, image.height)
        if size != image.size:
            image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        return image

    def _fallback(self, data: bytes, probed: ProbedImage, exc: BaseException) -> OptimizedImage:
        reason = f"{type(exc).__name__}: {exc}"
        log.warning(
            "image optimization failed; keeping the original",
            extra={"original_format": probed.format, "reason": reason, "bytes": len(data)},
        )
        return OptimizedImage(
            data=data,
            content_type=probed.mime_type,
            extension=probed.extension,
            figures=ImageFigures(
                original_size_bytes=len(data),
                optimized_size_bytes=len(data),
                compression_ratio=0.0,
                format=probed.format.lower(),
                dimensions=f"{probed.width}x{probed.height}",
            ),
            original_format=probed.format.lower(),
            optimized=False,
            fallback_reason=reason,
        )


def _to_srgb(image: Image.Image) -> Image.Image:
    """Any decoded mode to 8-bit sRGB `RGB`, or `RGBA` when some pixel is not opaque."""
    icc = image.info.get("icc_profile")
    if image.mode in _SIXTEEN_BIT_MODES or image.mode == "F":
        image = _to_eight_bit_gray(image)
    if image.mode == "P":
        image = image.convert("RGBA" if "transparency" in image.info else "RGB")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        image = _apply_icc(image, icc)
    # Each convert copies the whole image, so none is made to the mode it already has.
    if image.mode in _ALPHA_MODES:
        if image.mode != "RGBA":
            image = image.convert("RGBA")
        if image.getchannel("A").getextrema() == (255, 255):
            image = image.convert("RGB")
    elif image.mode not in _RGB_MODES:
        raise ValueError(f"unsupported image mode {image.mode}")
    elif image.mode != "RGB":
        image = image.convert("RGB")
    return image


def _to_eight_bit_gray(image: Image.Image) -> Image.Image:
    """Scale 16-bit (and float) samples to 0-255; Pillow's own convert would clip them."""
    pixels = np.asarray(image).astype(np.float64)
    peak = float(pixels.max(initial=0.0))
    if image.mode == "F" and peak <= 1.0:
        pixels *= 255.0
    elif peak > 255.0:
        pixels /= 257.0
    return Image.fromarray(np.clip(np.rint(pixels), 0, 255).astype(np.uint8), "L")


def _apply_icc(image: Image.Image, icc: bytes) -> Image.Image:
    """Convert from the embedded profile to sRGB, since the profile itself is stripped."""
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return image
        out_mode = "RGBA" if image.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(image, source, _SRGB, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        log.info("ignoring an unusable ICC profile", extra={"reason": str(exc)})
        return image
    return converted or image
