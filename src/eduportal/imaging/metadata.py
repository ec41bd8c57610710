"""What an image says about itself: size, format, mode and a summary of its EXIF, never GPS.

Read from the header alone (no pixel is decoded), so it is cheap whatever the image's size.
The EXIF summary keeps the tags a teacher or an operator may want (camera, lens, exposure,
when it was taken, the orientation, the software) and drops the rest: location above all,
since an uploaded photo's GPS position would say where a pupil lives, and maker notes, which
are large and opaque.
"""

from __future__ import annotations

from typing import Any, Final

from PIL import ExifTags, Image

from eduportal.imaging.probe import ProbedImage

_BASE_TAGS: Final = {
    ExifTags.Base.Make: "make",
    ExifTags.Base.Model: "model",
    ExifTags.Base.Software: "software",
    ExifTags.Base.DateTime: "modified",
    ExifTags.Base.Orientation: "orientation",
    ExifTags.Base.Artist: "artist",
    ExifTags.Base.Copyright: "copyright",
}
_PHOTO_TAGS: Final = {
    ExifTags.Base.DateTimeOriginal: "taken",
    ExifTags.Base.ExposureTime: "exposure_seconds",
    ExifTags.Base.FNumber: "f_number",
    ExifTags.Base.ISOSpeedRatings: "iso",
    ExifTags.Base.FocalLength: "focal_length_mm",
    ExifTags.Base.LensModel: "lens",
}
_MAX_TEXT: Final = 200


def describe(probed: ProbedImage) -> dict[str, Any]:
    """`width`, `height`, `format`, `mode`, `animated` and `exif` (the summary; empty when the
    image has none)."""
    image = probed.image
    return {
        "width": probed.width,
        "height": probed.height,
        "format": probed.format,
        "mode": image.mode,
        "animated": bool(getattr(image, "is_animated", False)),
        "exif": exif_summary(image),
    }


def exif_summary(image: Image.Image) -> dict[str, str | float | int]:
    try:
        exif = image.getexif()
        photo = exif.get_ifd(ExifTags.IFD.Exif)
    except (OSError, SyntaxError, ValueError, TypeError, KeyError):
        return {}  # unreadable EXIF is no EXIF: the picture itself may still be fine
    summary: dict[str, str | float | int] = {}
    for tags, source in ((_BASE_TAGS, exif), (_PHOTO_TAGS, photo)):
        for tag, name in tags.items():
            value = _plain(source.get(tag))
            if value is not None:
                summary[name] = value
    return summary


def _plain(value: object) -> str | float | int | None:
    """A JSON value for an EXIF one: text trimmed, rationals as floats, tuples as their first
    value (ISO is sometimes a list); bytes and anything odd dropped."""
    if isinstance(value, tuple | list):
        value = value[0] if value else None
    if isinstance(value, str):
        text = value.replace("\x00", "").strip()
        return text[:_MAX_TEXT] or None
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value)  # type: ignore[arg-type]  # IFDRational and friends
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    return round(number, 6) if number == number and abs(number) != float("inf") else None
