"""Scorers composed in the services: calibration, the key-term check on top, the fallback."""

from __future__ import annotations

import pytest

from eduportal.domain.errors import GenerationError, ModelUnavailableError
from eduportal.domain.grading import Score, calibrated_score
from eduportal.domain.key_term_check import FLAG_PENALTY, SHORT_ANSWER_SCORE
from eduportal.services.fallback_scorer import FallbackScorer
from eduportal.services.scoring import KeyTermScorer

REFERENCE = "Plants release oxygen during photosynthesis."


class FixedScorer:
    """Says `value` of every answer, or raises `error`; counts its calls."""

    def __init__(self, engine: str, value: float = 80.0, error: Exception | None = None):
        self.engine, self.value, self.error = engine, value, error
        self.calls = 0

    def score(self, reference: str, answer: str) -> Score:
        self.calls += 1
        if self.error is not None:
            raise self.error
        return Score(self.value, self.engine, ("from the inner scorer",))


@pytest.mark.parametrize(
    ("similarity", "expected"),
    [(1.0, 100.0), (0.2, 0.0), (0.1, 0.0), (-0.3, 0.0), (0.6, 50.0), (0.99, 98.8)],
)
def test_the_unrelated_cosine_maps_to_0_and_identity_to_100(
    similarity: float, expected: float
) -> None:
    assert calibrated_score(similarity, unrelated_cosine=0.2) == expected


def test_the_check_lowers_and_flags_what_the_inner_scorer_said() -> None:
    scorer = KeyTermScorer(FixedScorer("usem3"))
    same = scorer.score(REFERENCE, REFERENCE)
    assert same == Score(80.0, "usem3", ("from the inner scorer",))
    wrong = scorer.score(REFERENCE, "Plants capture oxygen during photosynthesis.")
    assert wrong.engine == "usem3"
    assert wrong.value == round(80.0 * (1 - FLAG_PENALTY), 1)
    assert wrong.flags == ("from the inner scorer", "needs a look: 'release' became 'capture'")


@pytest.mark.parametrize(
    ("reference", "answer", "floor"),
    [
        ("Veins", "The veins carry it back", True),
        ("carbon dioxide", "plants take in carbon dioxide", True),
        ("1215", "It was sealed in 1215.", True),
        ("Veins", "The vains", True),  # a misspelling still names it
        ("Veins", "Not the veins", False),  # a negation the reference does not have
        ("Veins", "The arteries", False),
        ("Veins", "It could be " + "many things, " * 5 + "or the veins", False),  # too long
        (REFERENCE, "Oxygen is what plants release during photosynthesis.", False),  # a sentence
    ],
)
def test_a_short_reference_stated_in_a_short_sentence_scores_at_least_the_floor(
    reference: str, answer: str, floor: bool
) -> None:
    """A cloze's answer is a term; a student who writes it in a sentence is right."""
    scored = KeyTermScorer(FixedScorer("usem3", value=30.0)).score(reference, answer)
    assert (scored.value == SHORT_ANSWER_SCORE) is floor


def test_the_fallback_takes_over_for_good_when_the_model_cannot_load() -> None:
    primary = FixedScorer("usem3", error=ModelUnavailableError(detail="not installed"))
    fallback = FixedScorer("lexical", value=60.0)
    scorer = FallbackScorer(primary, fallback, fallback_engine="lexical")
    assert [scorer.score(REFERENCE, REFERENCE).engine for _ in range(3)] == ["lexical"] * 3
    assert primary.calls == 1 and fallback.calls == 3


def test_any_other_failure_of_the_model_is_that_answers_failure() -> None:
    primary = FixedScorer("titan", error=GenerationError("We couldn't score the answer."))
    fallback = FixedScorer("lexical")
    scorer = FallbackScorer(primary, fallback, fallback_engine="lexical")
    for _ in range(2):
        with pytest.raises(GenerationError):
            scorer.score(REFERENCE, REFERENCE)
    assert primary.calls == 2 and fallback.calls == 0
