"""The key-term check: what it flags in an answer that reuses the reference's words, what not."""

from __future__ import annotations

import pytest

from eduportal.domain.key_term_check import FLAG_PENALTY, check_key_terms, penalised

PHOTOSYNTHESIS = "Plants take in carbon dioxide and release oxygen during photosynthesis."


def test_a_copy_and_a_fuller_or_shorter_answer_are_not_flagged() -> None:
    assert check_key_terms(PHOTOSYNTHESIS, PHOTOSYNTHESIS) == ()
    assert check_key_terms(PHOTOSYNTHESIS, "They release oxygen.") == ()
    assert check_key_terms(PHOTOSYNTHESIS, PHOTOSYNTHESIS + " This happens in the leaves.") == ()


def test_a_replaced_content_word_is_named_for_the_teacher() -> None:
    assert check_key_terms(
        "Plants release oxygen during photosynthesis.",
        "Plants capture oxygen during photosynthesis.",
    ) == ("needs a look: 'release' became 'capture'",)


@pytest.mark.parametrize(
    "answer",
    [
        "Plants take in carbon dioxyde and relese oxygen durring photosynthesis.",
        "plants take in carbon dioxide and released oxygen in photosynthesis",
        "Plants take in carbon dioxide and release oxygen during photosynthesis",
    ],
)
def test_misspellings_inflections_and_case_are_forgiven(answer: str) -> None:
    assert check_key_terms(PHOTOSYNTHESIS, answer) == ()


def test_a_known_synonym_is_not_a_replacement() -> None:
    assert check_key_terms("The Pacific is a big ocean.", "The Pacific is a large ocean.") == ()


def test_numbers_must_match_exactly() -> None:
    assert check_key_terms(
        "The three interior angles of a triangle always add up to 180 degrees.",
        "The three interior angles of a triangle always add up to 360 degrees.",
    ) == ("needs a look: '180' became '360'",)


def test_a_short_word_one_letter_away_is_another_word() -> None:
    assert check_key_terms("The sun heats the sea.", "The son heats the sea.") == (
        "needs a look: 'sun' became 'son'",
    )


def test_an_opposite_is_called_one() -> None:
    assert check_key_terms(
        "When demand rises and supply stays the same, the price usually goes up.",
        "When demand rises and supply stays the same, the price usually goes down.",
    ) == ("needs a look: 'up' became its opposite, 'down'",)


def test_an_added_or_dropped_negation_is_flagged() -> None:
    reference = "A simile compares two things using the words 'like' or 'as'."
    assert check_key_terms(
        reference, "A simile compares two things without using the words 'like' or 'as'."
    ) == ("needs a look: the answer says 'without' where the reference does not",)
    assert check_key_terms(
        "Red blood cells have no nucleus.", "Red blood cells have a nucleus."
    ) == ("needs a look: the answer leaves out the reference's 'no'",)


def test_yes_for_no_is_flagged() -> None:
    flags = check_key_terms(
        "No. Sound needs a medium such as air to travel through.",
        "Yes. Sound needs a medium such as air to travel through.",
    )
    assert flags == ("needs a look: the answer says 'yes' where the reference says 'no'",)


def test_two_parts_that_trade_places_are_flagged() -> None:
    assert check_key_terms(
        "Red blood cells carry oxygen from the lungs to the rest of the body.",
        "Red blood cells carry oxygen from the rest of the body to the lungs.",
    ) == ("needs a look: 'lungs' and 'rest body' swapped places",)


@pytest.mark.parametrize(
    "answer",
    [
        "During photosynthesis, plants take in carbon dioxide and release oxygen.",
        "Carbon dioxide is taken in by plants during photosynthesis, and oxygen is released.",
    ],
)
def test_putting_a_part_first_or_turning_passive_is_not_a_swap(answer: str) -> None:
    assert check_key_terms(PHOTOSYNTHESIS, answer) == ()


def test_an_answer_in_other_words_is_left_to_the_embedding() -> None:
    """Under a third of the reference's content words reused: nothing to compare word by word."""
    assert (
        check_key_terms(PHOTOSYNTHESIS, "During photosynthesis a plant absorbs CO2 and gives O2.")
        == ()
    )
    assert check_key_terms(PHOTOSYNTHESIS, "Paris is the capital of France.") == ()


def test_each_flag_takes_a_share_of_the_score_up_to_two_flags() -> None:
    assert penalised(80.0, ()) == 80.0
    assert penalised(80.0, ("a",)) == pytest.approx(80.0 * (1 - FLAG_PENALTY))
    assert penalised(80.0, ("a", "b")) == pytest.approx(80.0 * (1 - 2 * FLAG_PENALTY))
    assert penalised(80.0, ("a", "b", "c")) == penalised(80.0, ("a", "b"))
