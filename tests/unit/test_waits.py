"""How long to wait, and over what span, as refusals say it."""

from __future__ import annotations

import pytest

from eduportal.domain.waits import span_words, wait_words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (0.2, "1 second"),
        (45, "45 seconds"),
        (89.5, "90 seconds"),
        (90, "2 minutes"),
        (719.1, "12 minutes"),
        (3600, "60 minutes"),
        (5400, "2 hours"),
    ],
)
def test_waits_are_rounded_up_in_a_readable_unit(seconds: float, words: str) -> None:
    assert wait_words(seconds) == words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (1, "second"),
        (60, "minute"),
        (3600, "hour"),
        (86_400, "day"),
        (900, "15 minutes"),
        (10_800, "3 hours"),
        (90, "90 seconds"),
    ],
)
def test_a_window_is_named_exactly(seconds: int, words: str) -> None:
    assert span_words(seconds) == words
