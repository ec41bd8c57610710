"""A poster of a text's key terms: what the offline illustration draws, since it cannot paint.

A picture that merely belongs to the text (a hash as abstract shapes) tells a student nothing
and could pass for a failed drawing. The key terms of the text (the same ones the offline
questions blank out) say what the assignment is about, so they are the picture: the best one
as a headline, the next ones as chips in rows, on the text's own palette, with a caption that
says plainly what this is. Laying out (`compose`) is kept apart from drawing (`render`) so the
layout can be checked as data: which terms, where, and whether everything fits.
"""

from __future__ import annotations

import hashlib
import io
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib.resources import files

from PIL import Image, ImageDraw, ImageFont

from eduportal.adapters.local.key_terms import key_terms
from eduportal.adapters.local.poster_palette import Color, Palette, palette_for

VERSION = 1
"""Raise it with any change to what a poster of a given text looks like (layout, palette,
font, terms, sizes): the generation cache keeps posters by it (`OfflineImageGenerator.
fingerprint`), and an unchanged version would serve posters drawn the old way."""
WIDTH, HEIGHT = 1024, 768
"""Landscape, like a classroom screen; within the optimizer's 1024x1024 bound."""
MARGIN = 64
CAPTION = "Offline illustration"
CAPTION_SIZE = 22
MAX_TERMS = 9
HEADLINE_SIZES = range(112, 55, -8)
CHIP_SIZES = (44, 40, 36, 34, 32, 30, 30, 30)
CHIP_PAD_X, CHIP_PAD_Y, CHIP_GAP = 22, 12, 18
HEADLINE_GAP = 56
"""Room under the headline for its accent bar."""
SHAPES = 3

_FONT_FILE = "DejaVuSans-Bold.ttf"
"""Bold and wide in coverage (Latin, Greek, Cyrillic), which Pillow's own font is not."""
_MISSING_GLYPH = "\U0010fffd"

Box = tuple[int, int, int, int]


@dataclass(frozen=True, slots=True)
class Label:
    text: str
    size: int
    box: Box
    """(left, top, right, bottom) of the label's background, or of its text when it has none."""


@dataclass(frozen=True, slots=True)
class Shape:
    center: tuple[int, int]
    radius: int
    color: Color


@dataclass(frozen=True, slots=True)
class Poster:
    palette: Palette
    shapes: tuple[Shape, ...]
    headline: Label | None
    """None when the text has no key term a font can draw (another script, or none at all)."""
    chips: tuple[Label, ...]
    caption: Label


def compose(text: str) -> Poster:
    palette = palette_for(text)
    terms = [term for term in key_terms(text, MAX_TERMS * 2) if _drawable(term)]
    headline = _headline(terms)
    if headline is not None:
        terms.remove(headline.text)
    caption = _caption()
    top = headline.box[3] + HEADLINE_GAP if headline else MARGIN
    chips = _chips(terms[: MAX_TERMS - 1], top=top, bottom=caption.box[1] - CHIP_GAP)
    headline, chips = _centred(headline, chips, bottom=caption.box[1])
    return Poster(palette, _shapes(text, palette), headline, chips, caption)


def render(poster: Poster) -> Image.Image:
    picture = background(poster.palette.background_top, poster.palette.background_bottom)
    draw = ImageDraw.Draw(picture)
    for shape in poster.shapes:
        x, y = shape.center
        box = (x - shape.radius, y - shape.radius, x + shape.radius, y + shape.radius)
        draw.ellipse(box, fill=shape.color)
    if poster.headline is not None:
        _draw_headline(draw, poster.headline, poster.palette)
    for index, chip in enumerate(poster.chips):
        fill, ink = poster.palette.chips[index % len(poster.palette.chips)]
        draw.rounded_rectangle(chip.box, radius=(chip.box[3] - chip.box[1]) // 2, fill=fill)
        _draw_centred(draw, chip, ink)
    caption = poster.caption
    draw.rounded_rectangle(caption.box, radius=8, fill=poster.palette.background_bottom)
    _draw_centred(draw, caption, poster.palette.headline)
    return picture


def background(top: Color, bottom: Color) -> Image.Image:
    """The background: `top` fading to `bottom`, row by row.

    A two-pixel column stretched to the poster's full size with BILINEAR. The column is
    stretched to full height first and then widened with NEAREST: Pillow resizes each axis in
    its own pass, and widening a one-pixel-wide image repeats its value exactly, so the
    pixels are the same as one BILINEAR resize to the full size (`test_offline_poster`
    checks), at a seventh of the cost (2.2 ms of a 5 ms poster)."""
    column = Image.new("RGB", (1, 2))
    column.putpixel((0, 0), top)
    column.putpixel((0, 1), bottom)
    tall = column.resize((1, HEIGHT), Image.Resampling.BILINEAR)
    return tall.resize((WIDTH, HEIGHT), Image.Resampling.NEAREST)


def _headline(terms: list[str]) -> Label | None:
    """The best term that fits across the poster at one of the headline sizes."""
    for term in terms:
        for size in HEADLINE_SIZES:
            width = _font(size).getlength(term)
            if width <= WIDTH - 2 * MARGIN:
                left = round((WIDTH - width) / 2)
                return Label(term, size, (left, MARGIN, left + round(width), MARGIN + size))
    return None


def _chips(terms: list[str], *, top: int, bottom: int) -> tuple[Label, ...]:
    """Rows of chips, each row centred, biggest first; a term that would not fit is left out."""
    rows: list[list[tuple[str, int, int]]] = [[]]
    for index, term in enumerate(terms):
        size = CHIP_SIZES[min(index, len(CHIP_SIZES) - 1)]
        width = round(_font(size).getlength(term)) + 2 * CHIP_PAD_X
        if width > WIDTH - 2 * MARGIN:
            continue
        used = sum(chip[2] + CHIP_GAP for chip in rows[-1])
        if rows[-1] and used + width > WIDTH - 2 * MARGIN:
            rows.append([])
        rows[-1].append((term, size, width))
    chips: list[Label] = []
    y = top
    for row in filter(None, rows):
        height = max(size for _, size, _ in row) + 2 * CHIP_PAD_Y
        if y + height > bottom:
            break
        x = (WIDTH - (sum(width for _, _, width in row) + CHIP_GAP * (len(row) - 1))) // 2
        for term, size, width in row:
            chips.append(Label(term, size, (x, y, x + width, y + height)))
            x += width + CHIP_GAP
        y += height + CHIP_GAP
    return tuple(chips)


def _centred(
    headline: Label | None, chips: tuple[Label, ...], *, bottom: int
) -> tuple[Label | None, tuple[Label, ...]]:
    """Headline and chips moved down together, to the middle of the space above `bottom`."""
    labels = [*([headline] if headline else []), *chips]
    if not labels:
        return headline, chips
    top, low = labels[0].box[1], labels[-1].box[3]
    shift = max((bottom - (low - top)) // 2 - top, 0)

    def moved(label: Label) -> Label:
        left, top, right, low = label.box
        return Label(label.text, label.size, (left, top + shift, right, low + shift))

    return (moved(headline) if headline else None), tuple(moved(chip) for chip in chips)


def _caption() -> Label:
    width = round(_font(CAPTION_SIZE).getlength(CAPTION)) + 24
    height = CAPTION_SIZE + 16
    right, low = WIDTH - 24, HEIGHT - 20
    return Label(CAPTION, CAPTION_SIZE, (right - width, low - height, right, low))


def _shapes(text: str, palette: Palette) -> tuple[Shape, ...]:
    """Large soft discs off the corners, placed by the hash: a backdrop, not a message."""
    digest = hashlib.sha256(b"shapes:" + text.encode()).digest()
    corners = ((0, 0), (WIDTH, 0), (0, HEIGHT), (WIDTH, HEIGHT))
    shapes = []
    for index in range(SHAPES):
        corner_x, corner_y = corners[digest[index] % len(corners)]
        jitter_x = digest[index + 4] - 128
        jitter_y = digest[index + 8] - 128
        radius = 180 + digest[index + 12] % 160
        center = (corner_x + jitter_x, corner_y + jitter_y)
        shapes.append(Shape(center, radius, palette.shapes[index % len(palette.shapes)]))
    return tuple(shapes)


def _draw_headline(draw: ImageDraw.ImageDraw, headline: Label, palette: Palette) -> None:
    left, top, right, low = headline.box
    draw.text((left, top), headline.text, font=_font(headline.size), fill=palette.headline)
    middle = (left + right) // 2
    bar = (middle - 60, low + 22, middle + 60, low + 30)
    draw.rounded_rectangle(bar, radius=4, fill=palette.accent)


def _draw_centred(draw: ImageDraw.ImageDraw, label: Label, ink: Color) -> None:
    left, top, right, low = label.box
    centre = ((left + right) / 2, (top + low) / 2)
    draw.text(centre, label.text, font=_font(label.size), fill=ink, anchor="mm")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(_font_file()), size)


@cache
def _font_file() -> bytes:
    return (files("eduportal.adapters.local") / "fonts" / _FONT_FILE).read_bytes()


def _drawable(term: str) -> bool:
    """Whether the font has every letter of `term`: a missing one would show as a box."""
    return all(char.isspace() or _has_glyph(char) for char in term)


@lru_cache(maxsize=4096)
def _has_glyph(char: str) -> bool:
    font = _font(HEADLINE_SIZES[-1])
    return bytes(font.getmask(char)) != bytes(font.getmask(_MISSING_GLYPH))
