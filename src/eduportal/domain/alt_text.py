"""Alt text: the sentence a screen reader says in place of an assignment's image.

WCAG's practice, which every describer follows and the teacher may refine: one short sentence
of what the image shows and why it matters for the assignment, without "image of" (the reader
already says it is an image). `SUGGESTED_ALT_CHARS` bounds what a describer writes (screen
readers read alt text in one breath, and long ones are cut by some); `MAX_ALT_CHARS` bounds
what a teacher may save, with room for a detail a describer would not give.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from eduportal.domain.errors import ValidationError

MAX_ALT_CHARS: Final = 300
SUGGESTED_ALT_CHARS: Final = 150


class ImageOrigin(StrEnum):
    """How the image came to the assignment: what a describer may honestly assume of it."""

    GENERATED = "generated"
    """Drawn by the portal's image generator from the assignment's text."""
    UPLOADED = "uploaded"
    """The teacher's own file: nothing is known of it but its bytes and its name."""


@dataclass(frozen=True, slots=True)
class ImageContext:
    """What the portal knows about an image besides its bytes, for describing it."""

    title: str
    prompt: str
    """The assignment's text, from which a generated image was drawn."""
    answers: tuple[str, ...] = ()
    """The questions' answers: the terms the questions ask about, what the image matters for."""
    origin: ImageOrigin = ImageOrigin.GENERATED


def validate_alt_text(text: str) -> str | None:
    """One line, trimmed, within `MAX_ALT_CHARS`; empty means none (the page's sentence)."""
    text = " ".join(text.split())
    if len(text) > MAX_ALT_CHARS:
        raise ValidationError(
            f"An image description has at most {MAX_ALT_CHARS} characters; "
            f"this one has {len(text)}. One short sentence is best for screen readers."
        )
    return text or None
