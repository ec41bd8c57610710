"""The pure rules of generation that costs less: what identifies a cached illustration, where
it lives, and the sentences a teacher past an allowance reads."""

from __future__ import annotations

import pytest

from eduportal.domain.errors import ValidationError
from eduportal.domain.keys import (
    GENERATION_CACHE_PREFIX,
    generation_cache_key,
    is_private_key,
    validate_key,
)
from eduportal.services.generation import Generation, cache_key, normalized_prompt, refusal

DIGEST = "ab" * 32


def test_a_prompt_is_nfc_with_whitespace_collapsed_and_trimmed_and_keeps_its_case() -> None:
    assert normalized_prompt("  Cells\n\n divide.\tDNA  copies. ") == "Cells divide. DNA copies."
    assert normalized_prompt("cafe\u0301 au lait") == "caf\u00e9 au lait"
    assert normalized_prompt("Turkey\u00a0borders Greece") == "Turkey borders Greece"
    assert normalized_prompt("Turkey") != normalized_prompt("turkey")


def test_the_key_is_a_hash_of_the_prompt_and_the_generator() -> None:
    key = cache_key("Cells divide.", "model-a")
    assert key.startswith(GENERATION_CACHE_PREFIX) and key.endswith(".png")
    assert validate_key(key) == key
    assert cache_key("Cells divide.", "model-a") == key
    assert cache_key("Cells divide.", "model-b") != key
    assert cache_key("Cells divide!", "model-a") != key
    assert "Cells" not in key  # the text is not readable from the key


def test_cache_keys_take_only_a_digest_and_are_never_served() -> None:
    assert generation_cache_key(DIGEST) == f"generation_cache/{DIGEST}.png"
    for bad in ("../etc/passwd", DIGEST.upper(), DIGEST[:-1]):
        with pytest.raises(ValidationError):
            generation_cache_key(bad)
    assert is_private_key(generation_cache_key(DIGEST))
    assert is_private_key("drafts/0123456789abcdef/x")
    assert not is_private_key("generated_images/a1.webp")


def test_the_refusals_say_how_many_over_what_span_and_when_the_next_may_be() -> None:
    assert refusal(Generation.IMAGES, 30, 3600, 719.1) == (
        "You have generated 30 illustrations in the last hour, the most allowed. "
        "You can generate another in 12 minutes."
    )
    assert refusal(Generation.QUESTIONS, 60, 86_400, 5000) == (
        "You have generated 60 sets of questions in the last day, the most allowed. "
        "You can generate more in 84 minutes."
    )
    assert refusal(Generation.IMAGES, 1, 900, 30).startswith(
        "You have generated 1 illustration in the last 15 minutes"
    )
    assert "1 set of questions" in refusal(Generation.QUESTIONS, 1, 60, 1)
