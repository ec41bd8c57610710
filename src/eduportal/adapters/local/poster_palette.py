"""The colours of a text's poster: a hash of the text picks the hues, fixed rules keep it legible.

A hash gives every text its own colours (two assignments side by side are told apart at a
glance) and the same colours every time. Only the hues come from the hash: lightness and
saturation are fixed so that every text on the poster keeps a WCAG contrast of at least 4.5
with what it is drawn on, whichever hues come out. Light text stands on a dark background;
dark text stands on light chips.
"""

from __future__ import annotations

import colorsys
import hashlib
from dataclasses import dataclass

Color = tuple[int, int, int]

MIN_CONTRAST = 4.5
"""WCAG AA for normal text: the smallest text on the poster is the caption."""
HUE_START, HUE_SPAN = 0.33, 0.72
"""From green round to red: dark oranges and yellows come out as brown and olive."""
CHIP_HUE_STEP = 0.09
"""Neighbouring hues: chips that belong together without looking alike."""


@dataclass(frozen=True, slots=True)
class Palette:
    background_top: Color
    background_bottom: Color
    shapes: tuple[Color, ...]
    """Decorations behind the text; as dark as the background, so text over them stays legible."""
    headline: Color
    """Text drawn straight on the background."""
    accent: Color
    chips: tuple[tuple[Color, Color], ...]
    """(fill, text) pairs, one per chip hue."""


def palette_for(text: str) -> Palette:
    digest = hashlib.sha256(text.encode()).digest()
    hue = HUE_START + HUE_SPAN * int.from_bytes(digest[:2]) / 65536
    drift = (digest[2] / 255 - 0.5) * 0.2
    return Palette(
        background_top=_hsv(hue, 0.70, 0.34),
        background_bottom=_hsv(hue + 0.04, 0.80, 0.16),
        shapes=tuple(_hsv(hue + 0.04 * step, 0.55, 0.40) for step in (-1, 1, 2)),
        headline=_hsv(hue, 0.06, 1.0),
        accent=_hsv(hue + 0.5, 0.55, 1.0),
        chips=tuple(
            (_hsv(chip_hue, 0.30, 0.97), _hsv(chip_hue, 0.85, 0.30))
            for chip_hue in (hue + 0.5 + drift + CHIP_HUE_STEP * step for step in range(-2, 3))
        ),
    )


def contrast(first: Color, second: Color) -> float:
    """WCAG 2 contrast ratio, 1 (none) to 21 (black on white)."""
    lighter, darker = sorted((_luminance(first), _luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def _hsv(hue: float, saturation: float, value: float) -> Color:
    red, green, blue = colorsys.hsv_to_rgb(hue % 1.0, saturation, value)
    return round(red * 255), round(green * 255), round(blue * 255)


def _luminance(color: Color) -> float:
    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in color)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue
