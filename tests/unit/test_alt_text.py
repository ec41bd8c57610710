"""Alt text offline: what the sentence says of each kind of image, its bound, its limits."""

from __future__ import annotations

import pytest

from eduportal.adapters.local.offline_describer import OfflineImageDescriber
from eduportal.adapters.local.poster import compose
from eduportal.domain.alt_text import (
    MAX_ALT_CHARS,
    SUGGESTED_ALT_CHARS,
    ImageContext,
    ImageOrigin,
    validate_alt_text,
)
from eduportal.domain.errors import ValidationError
from tests.support.texts import TEXT

ANSWERS = ("Mitochondria", "The cell membrane keeps the inside of the cell apart from the outside")


def test_a_poster_is_described_by_the_terms_it_shows_those_asked_about_first() -> None:
    poster = compose(TEXT)
    shown = [label.text for label in (poster.headline, *poster.chips) if label is not None]
    asked = shown[2]
    context = ImageContext("Cells", TEXT, (asked.upper() + ".", *ANSWERS[1:]))

    sentence = OfflineImageDescriber(posters=True).describe(b"", context)

    assert sentence.startswith(f"Poster naming {asked}, ")
    assert sentence.endswith(": key terms of “Cells”.")
    named = sentence.removeprefix("Poster naming ").split(":")[0].replace(" and ", ", ")
    assert all(term in shown for term in named.split(", ")), (sentence, shown)
    assert len(sentence) <= SUGGESTED_ALT_CHARS


def test_a_drawing_is_described_by_what_it_was_asked_to_show() -> None:
    context = ImageContext("Cells", TEXT, ANSWERS)
    sentence = OfflineImageDescriber(posters=False).describe(b"", context)
    assert sentence.startswith("Mitochondria, ")
    assert sentence.endswith(", illustrating “Cells”.")
    assert not sentence.lower().startswith(("image of", "picture of"))
    assert "membrane keeps" not in sentence  # an answer that is a sentence is no term


def test_an_own_picture_is_said_to_be_the_teachers_and_what_it_is_for() -> None:
    context = ImageContext("Cells", TEXT, ANSWERS, ImageOrigin.UPLOADED)
    sentence = OfflineImageDescriber(posters=True).describe(b"", context)
    assert sentence.startswith("The teacher's picture for “Cells”, about Mitochondria")


def test_the_same_context_gives_the_same_sentence() -> None:
    context = ImageContext("Cells", TEXT, ANSWERS)
    describer = OfflineImageDescriber(posters=True)
    assert describer.describe(b"", context) == describer.describe(b"other bytes", context)


@pytest.mark.parametrize("origin", list(ImageOrigin))
@pytest.mark.parametrize("posters", [True, False])
def test_a_long_title_is_cut_at_a_word_within_the_bound(origin: ImageOrigin, posters: bool) -> None:
    title = " ".join(["Photosynthesis"] * 20)
    sentence = OfflineImageDescriber(posters=posters).describe(
        b"", ImageContext(title, TEXT, ANSWERS, origin)
    )
    assert len(sentence) <= SUGGESTED_ALT_CHARS
    assert "Photosynthesis…”" in sentence


def test_without_a_title_the_proposed_one_is_used() -> None:
    sentence = OfflineImageDescriber(posters=False).describe(b"", ImageContext("", TEXT))
    assert sentence.endswith(", illustrating “The mitochondrion is the powerhouse of the cell”.")


def test_a_description_is_one_trimmed_line_and_empty_means_none() -> None:
    assert validate_alt_text("  Two\n cells   dividing. ") == "Two cells dividing."
    assert validate_alt_text(" \n ") is None
    assert validate_alt_text("x" * MAX_ALT_CHARS) == "x" * MAX_ALT_CHARS


def test_a_description_over_the_limit_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValidationError) as refused:
        validate_alt_text("x" * (MAX_ALT_CHARS + 1))
    assert refused.value.user_message == (
        f"An image description has at most {MAX_ALT_CHARS} characters; this one has "
        f"{MAX_ALT_CHARS + 1}. One short sentence is best for screen readers."
    )
