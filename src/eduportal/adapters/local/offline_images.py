"""`ImageGenerator` without a model: an abstract illustration that is a function of the prompt.

The picture cannot depict the prompt, but it can belong to it: the background texture and
palette come from a hash of the whole prompt, and every word of the prompt adds its own shape
(the same word, the same shape, in any prompt), so two assignments on one topic look related
and a changed prompt shows a changed picture. The texture is drawn small and enlarged, which
also makes it smooth like a painted backdrop, and keeps a 1024x1024 picture well under 300 ms.
"""

from __future__ import annotations

import colorsys
import hashlib
import math
import re

from PIL import Image, ImageDraw

from eduportal.imaging.codec import encode
from eduportal.imaging.synthetic import photo_like

SIZE = 1024
"""Nova Canvas's size, so the rest of the pipeline sees the same pictures either way."""
TEXTURE_SIZE = 256
MAX_SHAPES = 12
TEXTURE_SHARE = 0.45

_WORD = re.compile(r"[^\W\d_]{3,}")
_Color = tuple[int, int, int]


SOURCE = (
    "Offline illustration (abstract shapes from the text; upload a picture or use Amazon "
    "Bedrock for a real one)"
)


class OfflineImageGenerator:
    source = SOURCE

    def generate(self, prompt: str) -> bytes:
        digest = _digest(prompt)
        texture = photo_like(TEXTURE_SIZE, TEXTURE_SIZE, seed=int.from_bytes(digest[:8]))
        picture = Image.blend(
            _gradient(_color(digest[8], digest[9]), _color(digest[10], digest[11])),
            texture.resize((SIZE, SIZE), Image.Resampling.BICUBIC),
            TEXTURE_SHARE,
        ).convert("RGBA")
        overlay = Image.new("RGBA", picture.size)
        draw = ImageDraw.Draw(overlay)
        words = dict.fromkeys(word.lower() for word in _WORD.findall(prompt))
        for word in list(words)[:MAX_SHAPES]:
            _draw_shape(draw, _digest(word))
        picture.alpha_composite(overlay)
        return encode(picture.convert("RGB"), "PNG", compress_level=1)


def _digest(text: str) -> bytes:
    return hashlib.sha256(text.encode()).digest()


def _color(hue: int, saturation: int) -> _Color:
    """Saturated colours only: a hash's grey-browns make a muddy picture."""
    red, green, blue = colorsys.hsv_to_rgb(hue / 255, 0.55 + 0.35 * saturation / 255, 0.85)
    return round(red * 255), round(green * 255), round(blue * 255)


def _gradient(top: _Color, bottom: _Color) -> Image.Image:
    column = Image.new("RGB", (1, 2))
    column.putpixel((0, 0), top)
    column.putpixel((0, 1), bottom)
    return column.resize((SIZE, SIZE), Image.Resampling.BILINEAR)


def _draw_shape(draw: ImageDraw.ImageDraw, digest: bytes) -> None:
    x = int.from_bytes(digest[0:2]) % SIZE
    y = int.from_bytes(digest[2:4]) % SIZE
    radius = 60 + digest[4] % 180
    fill = (*_color(digest[5], digest[6]), 150 + digest[7] % 80)
    outline = (255, 255, 255, 200)
    box = (x - radius, y - radius, x + radius, y + radius)
    kind = digest[8] % 4
    if kind == 0:
        draw.ellipse(box, fill=fill, outline=outline, width=4)
    elif kind == 1:
        draw.rounded_rectangle(box, radius=radius // 4, fill=fill, outline=outline, width=4)
    else:
        corners = 3 if kind == 2 else 5 + digest[9] % 3
        turn = digest[10] / 255 * 2 * math.pi
        points = [
            (
                x + radius * math.cos(turn + 2 * math.pi * corner / corners),
                y + radius * math.sin(turn + 2 * math.pi * corner / corners),
            )
            for corner in range(corners)
        ]
        draw.polygon(points, fill=fill, outline=outline, width=4)
