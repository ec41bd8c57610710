"""Assignment titles: proposed from the text's first sentence, editable, bounded."""

from __future__ import annotations

import pytest

from eduportal.domain.assignments import (
    MAX_TITLE_CHARS,
    Assignment,
    QuestionAnswer,
    propose_title,
    validate_title,
)
from eduportal.domain.errors import ValidationError


@pytest.mark.parametrize(
    ("text", "title"),
    [
        ("The cell is small. It has parts.", "The cell is small"),
        ("  Why do   leaves fall?  Because autumn comes.", "Why do leaves fall"),
        ("No full stop at all", "No full stop at all"),
        (
            "Photosynthesis happens in the chloroplast of a plant cell, where chlorophyll "
            "absorbs sunlight and makes glucose.",
            "Photosynthesis happens in the chloroplast of a plant cell, where…",
        ),
    ],
)
def test_the_proposal_is_the_first_sentence_cut_at_a_word(text: str, title: str) -> None:
    assert propose_title(text) == title


def test_a_title_is_trimmed_and_bounded() -> None:
    assert validate_title("  Cells \n 101 ") == "Cells 101"
    assert validate_title("x" * MAX_TITLE_CHARS) == "x" * MAX_TITLE_CHARS
    for bad in ("", "   ", "x" * (MAX_TITLE_CHARS + 1)):
        with pytest.raises(ValidationError):
            validate_title(bad)


def test_documents_without_a_title_get_the_proposal() -> None:
    """Assignments saved before titles existed read back with one."""
    qa = QuestionAnswer("q1", "What?", "That.")
    document = Assignment("a1", "t", "Old text here. More.", (qa,)).to_document()
    del document["title"]
    assert Assignment.from_document(document).title == "Old text here"
