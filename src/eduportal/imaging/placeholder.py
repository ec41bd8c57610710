"""The image shown wherever a stored image is missing or cannot be read (requirements 3.3, 9.2).

Drawn once per process, in memory, so it can be served even when storage is down.
"""

from __future__ import annotations

import functools

from PIL import Image, ImageDraw, ImageFont

from eduportal.imaging.codec import encode

PLACEHOLDER_CONTENT_TYPE = "image/webp"


@functools.cache
def placeholder_image(width: int = 640, height: int = 480) -> bytes:
    image = Image.new("RGB", (width, height), (236, 239, 243))
    draw = ImageDraw.Draw(image)
    cx, cy, unit = width // 2, height // 2 - height // 10, min(width, height) // 8
    frame = (cx - 2 * unit, cy - int(1.5 * unit), cx + 2 * unit, cy + int(1.5 * unit))
    draw.rounded_rectangle(
        frame, radius=unit // 4, outline=(160, 168, 180), width=max(2, unit // 12)
    )
    draw.polygon(
        [
            (frame[0] + unit // 3, frame[3] - unit // 3),
            (cx - unit // 3, cy),
            (cx + unit // 2, frame[3] - unit // 3),
        ],
        fill=(180, 188, 200),
    )
    draw.ellipse((cx + unit // 2, cy - unit, cx + unit, cy - unit // 2), fill=(180, 188, 200))
    font = ImageFont.load_default(size=max(12, height // 18))
    draw.text(
        (cx, frame[3] + unit // 2), "Image unavailable", fill=(90, 98, 110), font=font, anchor="mt"
    )
    return encode(image, "WEBP", quality=80)
