"""A subject and a search as teachers type them: trimmed, bounded, empty meaning none."""

from __future__ import annotations

import pytest

from eduportal.domain.assignments import (
    MAX_SEARCH_CHARS,
    MAX_SUBJECT_CHARS,
    Assignment,
    QuestionAnswer,
    validate_search,
    validate_subject,
)
from eduportal.domain.errors import ValidationError


def test_a_subject_is_one_trimmed_line_and_empty_means_none() -> None:
    assert validate_subject("  Marine \n biology ") == "Marine biology"
    assert validate_subject("x" * MAX_SUBJECT_CHARS) == "x" * MAX_SUBJECT_CHARS
    assert validate_subject("") is None
    assert validate_subject(" \t ") is None


def test_a_long_subject_is_refused_with_a_sentence() -> None:
    with pytest.raises(ValidationError) as caught:
        validate_subject("x" * (MAX_SUBJECT_CHARS + 1))
    assert caught.value.user_message == f"A subject has at most {MAX_SUBJECT_CHARS} characters."


def test_a_search_is_trimmed_and_empty_means_none() -> None:
    assert validate_search("  50% of_cells ") == "50% of_cells"
    assert validate_search("") is None
    assert validate_search("   ") is None
    assert validate_search(None) is None
    assert validate_search("x" * MAX_SEARCH_CHARS) == "x" * MAX_SEARCH_CHARS


@pytest.mark.parametrize(
    ("search", "sentence"),
    [
        ("x" * (MAX_SEARCH_CHARS + 1), f"A search has at most {MAX_SEARCH_CHARS} characters."),
        ("cell\x00", "A search is one line of text, without control characters."),
        ("two\nlines", "A search is one line of text, without control characters."),
    ],
)
def test_a_search_out_of_bounds_is_refused_with_a_sentence(search: str, sentence: str) -> None:
    with pytest.raises(ValidationError) as caught:
        validate_search(search)
    assert caught.value.user_message == sentence


def test_a_subject_round_trips_and_old_documents_have_none() -> None:
    qa = QuestionAnswer("q1", "What?", "That.")
    assignment = Assignment("a1", "t", "Text.", (qa,), subject="Biology")
    assert Assignment.from_document(assignment.to_document()).subject == "Biology"
    document = assignment.to_document()
    del document["subject"]
    assert Assignment.from_document(document).subject is None
