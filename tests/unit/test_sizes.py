"""Refusing a file for its size never says it is as large as the limit."""

from __future__ import annotations

import pytest

from eduportal.domain.sizes import too_large


@pytest.mark.parametrize(
    ("size", "limit", "sentence"),
    [
        (30_000_000, 25_000_000, "The file is 30.0 MB; the largest we accept is 25.0 MB."),
        (2_010_000, 2_000_000, "The file is 2.01 MB; the largest we accept is 2.00 MB."),
        (2_000_400, 2_000_000, "The file is 2,000,400 bytes; the largest we accept is "
         "2,000,000 bytes."),
        (26_214_401, 26_214_400, "The file is 26,214,401 bytes; the largest we accept is "
         "26,214,400 bytes."),
    ],
)  # fmt: skip
def test_the_two_sizes_are_said_apart(size: int, limit: int, sentence: str) -> None:
    assert too_large("The file", size, limit) == sentence
