"""Requirement 6: every image the portal keeps is WebP, at most 1024 px, without metadata.

Steps, in this order because each depends on the one before:
1. probe: refuse oversized or non-image input from the header (a `ValidationError`);
2. decode, with JPEG's DCT scaling (`draft`) so big photos decode at a fraction of the cost;
3. apply the EXIF orientation, since the EXIF block is about to be stripped;
4. bring every mode (palette, LA, CMYK, 16-bit, ICC-tagged) to sRGB `RGB` or `RGBA`;
5. fit within `max_dimension` keeping the aspect ratio, never upscaling;
6. encode WebP without EXIF, XMP or ICC.

Requirement 6.4 ("upload the original and log a warning") is read as follows. Damaged input is
invalid input: input that does not decode completely (Pillow raises for a truncated PNG, JPEG,
GIF, TIFF or WebP, and for corrupt PNG data) is refused with a clear sentence and never
stored, since storing it byte for byte would publish whatever it carries, GPS EXIF included.
The fallback applies only to an image that decoded fully and then failed to encode as WebP:
the decoded, sRGB-converted and fitted image is stored re-encoded losslessly as PNG
(`optimized=False`) and a warning logged. Even then what is stored carries no EXIF, XMP, ICC
or text chunks. A PNG whose pixel data is complete but whose trailer (IEND, a CRC) is missing
or broken decodes completely and is accepted. A JPEG whose entropy-coded data is corrupt but
complete decodes with visible blocks: libjpeg reports that only as a warning Pillow does not
surface.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from typing import Final

import numpy as np
from PIL import Image, ImageCms, ImageOps

from eduportal.domain.errors import BusyError, ValidationError
from eduportal.domain.images import ImageFigures, compression_ratio
from eduportal.imaging.codec import encode
from eduportal.imaging.probe import DAMAGED, ProbedImage, probe

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

UNPROCESSABLE: Final = (
    "We could not process this image. Please save it as PNG or JPEG and upload it again."
)
_OUT_OF_MEMORY: Final = "The server is short of memory right now. Please try again in a minute."


@dataclass(frozen=True, slots=True)
class OptimizedImage:
    data: bytes
    content_type: str
    extension: str
    figures: ImageFigures
    original_format: str
    optimized: bool
    """False when WebP encoding failed and `data` is the image as lossless PNG (6.4)."""
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
            try:
                encoded = encode(
                    image, "WEBP", quality=self.quality, method=self.method, exif=b"", xmp=b""
                )
            except (OSError, ValueError) as exc:
                return _fallback(data, probed, image, exc)
        except MemoryError as exc:
            # Trying later, with other images done, may succeed.
            raise BusyError(_OUT_OF_MEMORY, detail=f"out of memory: {exc!r}") from None
        return OptimizedImage(
            data=encoded,
            content_type="image/webp",
            extension="webp",
            figures=_figures(data, encoded, "webp", image),
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
        """Decode completely, then orient, convert and fit; failures become user sentences."""
        image = probed.image
        if probed.format in ("JPEG", "MPO"):
            # Decode at the smallest DCT scale that still covers the target: 2-8x less work.
            image.draft("RGB", (self.max_dimension, self.max_dimension))
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ValidationError(DAMAGED, detail=f"decoding failed: {exc}") from None
        try:
            # In place: a copy of an image with nothing to rotate costs a full-size buffer.
            ImageOps.exif_transpose(image, in_place=True)
            image = _to_srgb(image)
            size = self.fitted_size(image.width, image.height)
            if size != image.size:
                image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=3.0)
        except (OSError, SyntaxError, ValueError) as exc:
            raise ValidationError(UNPROCESSABLE, detail=f"converting failed: {exc}") from None
        image.info = {}  # nothing of the source's metadata may reach an encoder
        return image


def _fallback(
    data: bytes, probed: ProbedImage, image: Image.Image, exc: BaseException
) -> OptimizedImage:
    """Requirement 6.4 for an image that decoded fully: lossless PNG, without any metadata."""
    reason = f"{type(exc).__name__}: {exc}"
    try:
        encoded = encode(image, "PNG")
    except (OSError, ValueError) as second:
        raise ValidationError(
            UNPROCESSABLE, detail=f"WebP failed ({reason}); PNG failed ({second!r})"
        ) from None
    log.warning(
        "image optimization failed; storing it as PNG without metadata",
        extra={"original_format": probed.format, "reason": reason, "bytes": len(data)},
    )
    return OptimizedImage(
        data=encoded,
        content_type="image/png",
        extension="png",
        figures=_figures(data, encoded, "png", image),
        original_format=probed.format.lower(),
        optimized=False,
        fallback_reason=reason,
    )


def _figures(data: bytes, encoded: bytes, fmt: str, image: Image.Image) -> ImageFigures:
    return ImageFigures(
        original_size_bytes=len(data),
        optimized_size_bytes=len(encoded),
        compression_ratio=compression_ratio(len(data), len(encoded)),
        format=fmt,
        dimensions=f"{image.width}x{image.height}",
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
