"""A decoded image to 8-bit sRGB `RGB` (or `RGBA` when some pixel is not opaque) at its output
size, without a full-size intermediate.

Converting first and resizing after, as Pillow's calls invite, holds the decoded image, each
converted copy and Pillow's premultiplied copy of an RGBA image at full size at once: a 16-bit
49-megapixel image took 1.2 GB that way, mostly float64 copies. Here the decoded image is
converted one band of rows at a time and each band is box-reduced as soon as it is converted,
so only one band's temporaries exist next to the decoded image and the (reduced) result.
Every conversion is pixel by pixel, and box reduction averages blocks of whole rows that a
band never splits, so the result is exactly what converting the whole image first gives.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from functools import partial
from typing import Final, cast

import numpy as np
from PIL import ExifTags, Image, ImageCms

from eduportal.imaging.decode_budget import BAND_PIXELS, SIXTEEN_BIT_MODES, DecodePlan

log = logging.getLogger(__name__)

Converter = Callable[[Image.Image], Image.Image]

_SRGB: Final = ImageCms.createProfile("sRGB")
_ICC_MODES: Final = frozenset({"RGB", "RGBA", "CMYK"})
_TO_RGBA: Final = frozenset({"LA", "La", "PA", "RGBa"})
_TO_RGB: Final = frozenset({"1", "CMYK", "YCbCr", "LAB", "HSV", "RGBX"})
_ORIENTATIONS: Final = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}
"""EXIF orientation -> the transposition that displays the image upright (as ImageOps)."""


def fit_to_srgb(image: Image.Image, plan: DecodePlan) -> Image.Image:
    """The decoded `image`, converted to sRGB, fitted to `plan.output_size` and oriented.

    Takes ownership of `image`: its memory is released as soon as the reduced copy exists.
    The result carries no metadata (`info` is empty), so no encoder can copy any of it.
    Orientation is applied last, to the small image: rotating first would copy the decoded
    image whole, and the result differs only by rounding (a few levels at most).
    """
    orientation = _orientation(image)
    convert = _converter(image)
    # Pillow resizes RGBA premultiplied; premultiplying each band spares a full-size copy.
    premultiply = plan.working_mode == "RGBA" and plan.resizes
    if convert is None and plan.factor == (1, 1) and not premultiply:
        fitted = image
        opaque = plan.working_mode != "RGBA" or _min_alpha(image) == 255
    else:
        fitted, opaque = _in_bands(image, plan, convert, premultiply=premultiply)
        image.close()
    if plan.resizes:
        width, height = plan.size
        box = (0.0, 0.0, width / plan.factor[0], height / plan.factor[1])
        resized = fitted.resize(plan.output_size, Image.Resampling.LANCZOS, box=box)
        fitted.close()
        fitted = resized
    fitted = _final_mode(fitted, opaque=opaque)
    if orientation in _ORIENTATIONS:
        fitted = fitted.transpose(_ORIENTATIONS[orientation])
    fitted.info = {}
    return fitted


def _in_bands(
    image: Image.Image, plan: DecodePlan, convert: Converter | None, *, premultiply: bool
) -> tuple[Image.Image, bool]:
    """Convert and box-reduce `image` band by band; also whether every pixel is opaque.

    Bands are whole multiples of the reduction's rows, so no block is split between two.
    """
    fitted = Image.new("RGBa" if premultiply else plan.working_mode, plan.reduced_size)
    alpha = plan.working_mode == "RGBA"
    opaque = True
    width, height = image.size
    fy = plan.factor[1]
    rows = max(fy, BAND_PIXELS // width // fy * fy)
    for top in range(0, height, rows):
        band = image.crop((0, top, width, min(height, top + rows)))
        if convert is not None:
            band = convert(band)
        if alpha:
            opaque = opaque and _min_alpha(band) == 255
        if premultiply:
            band = band.convert("RGBa")
        if plan.factor != (1, 1):
            band = band.reduce(plan.factor)
        fitted.paste(band, (0, top // fy))
    return fitted, opaque


def _orientation(image: Image.Image) -> int | None:
    """The EXIF orientation; None without one, or when the EXIF block is unreadable: the
    pixels are sound and the block is about to be dropped anyway."""
    try:
        value = image.getexif().get(ExifTags.Base.Orientation)
    except (SyntaxError, OSError, ValueError):
        return None
    return value if isinstance(value, int) else None


def _final_mode(image: Image.Image, *, opaque: bool) -> Image.Image:
    """`RGB`, or `RGBA` when some pixel is not opaque: what every encoder takes as it is."""
    if image.mode == "RGBa":
        image = image.convert("RGBA")
    if image.mode == "L" or (image.mode == "RGBA" and opaque):
        return image.convert("RGB")
    return image


def _min_alpha(image: Image.Image) -> int:
    low, _ = cast("tuple[int, int]", image.getchannel("A").getextrema())  # one band: a pair
    return low


def _converter(image: Image.Image) -> Converter | None:
    """What turns a band of `image` into 8-bit sRGB `L`, `RGB` or `RGBA`; None: nothing to do."""
    mode = image.mode
    if mode in SIXTEEN_BIT_MODES:
        return partial(_to_eight_bit_gray, peak=_peak(image), is_float=mode == "F")
    steps: list[Converter] = []
    if mode == "P":
        target = "RGBA" if "transparency" in image.info else "RGB"
        steps.append(lambda band: band.convert(target))
        mode = target
    icc = image.info.get("icc_profile")
    if icc and mode in _ICC_MODES:
        transform = _icc_transform(icc, mode)
        if transform is not None:
            steps.append(transform.apply)
            mode = "RGBA" if mode == "RGBA" else "RGB"
    if mode in _TO_RGBA:
        steps.append(lambda band: band.convert("RGBA"))
    elif mode in _TO_RGB:
        steps.append(lambda band: band.convert("RGB"))
    elif mode not in ("L", "RGB", "RGBA"):
        raise ValueError(f"unsupported image mode {mode}")
    if not steps:
        return None

    def convert(band: Image.Image) -> Image.Image:
        for step in steps:
            band = step(band)
        return band

    return convert


def _peak(image: Image.Image) -> float:
    """The largest sample (at least 0), from Pillow's extrema: no copy of the pixels."""
    _, high = cast("tuple[float, float]", image.getextrema())  # one band: a pair
    return max(float(high), 0.0)


def _to_eight_bit_gray(band: Image.Image, *, peak: float, is_float: bool) -> Image.Image:
    """Scale 16-bit (and float) samples to 0-255 by the image's peak; Pillow's convert clips.

    Integer samples are rounded in integer arithmetic, `(v + 128) // 257`, which equals
    `rint(v / 257)` for every integer (no quotient ends in exactly .5). Only this band is
    ever widened, and in place.
    """
    pixels = np.asarray(band)
    if is_float:
        scaled = pixels.astype(np.float64)
        if peak <= 1.0:
            scaled *= 255.0
        elif peak > 255.0:
            scaled /= 257.0
        np.rint(scaled, out=scaled)
    elif peak > 255.0:
        scaled = pixels.astype(np.int64)
        scaled += 128
        scaled //= 257
    else:
        return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8))
    np.clip(scaled, 0, 255, out=scaled)
    return Image.fromarray(scaled.astype(np.uint8))


def _icc_transform(icc: bytes, mode: str) -> ImageCms.ImageCmsTransform | None:
    """From the embedded profile to sRGB, since the profile itself is stripped.

    None when the profile is sRGB already or unusable (then the pixels are taken as sRGB).
    """
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        if "srgb" in ImageCms.getProfileDescription(source).lower().replace(" ", ""):
            return None
        out_mode = "RGBA" if mode == "RGBA" else "RGB"
        return ImageCms.buildTransform(source, _SRGB, mode, out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError) as exc:
        log.info("ignoring an unusable ICC profile", extra={"reason": str(exc)})
        return None
