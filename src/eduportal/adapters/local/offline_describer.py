"""`ImageDescriber` without a model: alt text from what the portal knows, not from the pixels.

Nothing here looks at the image, so it says only what is known to be true of it. Of the
offline poster, everything: it is the text's key terms written out (`poster.compose` tells
which), so the sentence names the terms the poster shows. Of a model's drawing, what it was
asked to depict: the text's key terms. Of a teacher's own picture, only what it is for. In
each case the terms the questions ask about (their short answers) come first, because they
are why the picture matters to a student. A teacher reads the sentence as a start and edits
it; deterministic, so a regenerated poster gets the same sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from eduportal.adapters.local.key_terms import key_terms
from eduportal.adapters.local.poster import compose
from eduportal.domain.alt_text import SUGGESTED_ALT_CHARS, ImageContext, ImageOrigin
from eduportal.domain.assignments import propose_title

MAX_TERMS: Final = 3
"""More than three terms in one breath is a list, not a description."""
MAX_ASKED_WORDS: Final = 4
"""An answer longer than this is a sentence, not a term the question asks about."""


POSTER: Final = ("Poster naming {terms}: key terms of {title}.", "Poster for {title}.")
DRAWING: Final = ("{terms}, illustrating {title}.", "Illustration for {title}.")
UPLOAD: Final = (
    "The teacher's picture for {title}, about {terms}.",
    "The teacher's picture for {title}.",
)
"""Each as (with the terms, without any): the sentence's frame."""


class OfflineImageDescriber:
    def __init__(self, *, posters: bool) -> None:
        """`posters`: the generated images are the offline posters (wired with the offline
        image generator), not a model's drawings (the fallback of the Bedrock describer)."""
        self.posters = posters

    def describe(self, image: bytes, context: ImageContext) -> str:
        title = context.title.strip() or propose_title(context.prompt)
        asked = _asked_terms(context.answers)
        if context.origin is ImageOrigin.GENERATED and self.posters:
            poster = compose(context.prompt)
            shown = [label.text for label in (poster.headline, *poster.chips) if label]
            return _fit(POSTER, title, _ranked(shown, asked))
        frame = DRAWING if context.origin is ImageOrigin.GENERATED else UPLOAD
        return _fit(frame, title, _ranked([*asked, *key_terms(context.prompt, MAX_TERMS)], asked))


def _asked_terms(answers: Iterable[str]) -> list[str]:
    """The questions' short answers, as terms: "Chlorophyll." -> "Chlorophyll"."""
    terms = (" ".join(answer.split()).strip(" .!?;:,") for answer in answers)
    return [term for term in terms if term and len(term.split()) <= MAX_ASKED_WORDS]


def _ranked(terms: Sequence[str], asked: Sequence[str]) -> list[str]:
    """`terms` without repeats (ignoring case), those the questions ask about first."""
    wanted = {term.casefold() for term in asked}
    unique: dict[str, str] = {}
    for term in terms:
        unique.setdefault(term.casefold(), term)
    return sorted(unique.values(), key=lambda term: term.casefold() not in wanted)[:MAX_TERMS]


def _fit(frame: tuple[str, str], title: str, terms: list[str]) -> str:
    """The frame with as many terms as fit in `SUGGESTED_ALT_CHARS`, else none, and the title
    cut at a word when even that is too long."""
    with_terms, without = frame
    for count in range(len(terms), 0, -1):
        sentence = with_terms.format(title=f"“{title}”", terms=_listed(terms[:count]))
        if len(sentence) <= SUGGESTED_ALT_CHARS:
            return sentence[0].upper() + sentence[1:]
    room = SUGGESTED_ALT_CHARS - len(without.format(title="“…”"))
    if len(title) > room:
        title = title[:room].rsplit(" ", 1)[0].rstrip(",;:") + "…"
    return without.format(title=f"“{title}”")


def _listed(terms: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    return terms[0] if len(terms) == 1 else f"{', '.join(terms[:-1])} and {terms[-1]}"
