"""The scoring evaluation set (tests/data/scoring_eval.json) and the figures judged on it.

Shared by the tests that hold the offline scorer to its targets and by `bench/scoring.py`,
which reports the same figures for every engine, so the two can never measure differently.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from eduportal.domain.grading import Score, cosine_similarity
from eduportal.ports import AnswerScorer, Embedder

EVAL_SET: Final = Path(__file__).resolve().parents[1] / "data" / "scoring_eval.json"
KINDS: Final = ("copy", "paraphrase", "partial", "wrong_same_words", "misspelled", "off_topic")
CORRECT: Final = ("copy", "paraphrase", "misspelled")
INCORRECT: Final = ("wrong_same_words", "off_topic")
"""Partial answers are in neither: right as far as they go, so no threshold is wrong for them."""


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    subject: str
    question: str
    reference: str
    answers: dict[str, str]
    """One student answer per kind in `KINDS`."""


@dataclass(frozen=True, slots=True)
class Evaluation:
    scores: dict[str, dict[str, Score]]
    """Per question id, per kind."""

    def values(self, kinds: Iterable[str]) -> list[float]:
        return [by_kind[kind].value for by_kind in self.scores.values() for kind in kinds]

    @property
    def auc(self) -> float:
        """ROC AUC of correct kinds against incorrect kinds."""
        return roc_auc(self.values(CORRECT), self.values(INCORRECT))

    @property
    def paraphrase_beats_wrong(self) -> float:
        """Share of questions whose paraphrase scores above its wrong near-copy."""
        wins = [s["paraphrase"].value > s["wrong_same_words"].value for s in self.scores.values()]
        return sum(wins) / len(wins)

    def mean(self, kind: str) -> float:
        return statistics.mean(self.values([kind]))

    def engines(self) -> set[str]:
        return {score.engine for by_kind in self.scores.values() for score in by_kind.values()}


def load_questions(path: Path = EVAL_SET) -> list[Question]:
    """The questions of the evaluation set, or of another file in its format."""
    data = json.loads(path.read_text(encoding="utf-8"))
    return [Question(**question) for question in data["questions"]]


def evaluate(
    scorer: AnswerScorer | Callable[[str, str], Score], questions: list[Question]
) -> Evaluation:
    score = scorer if callable(scorer) else scorer.score
    return Evaluation(
        {q.id: {kind: score(q.reference, q.answers[kind]) for kind in KINDS} for q in questions}
    )


def roc_auc(positives: list[float], negatives: list[float]) -> float:
    """The chance that a random positive scores above a random negative (ties count half)."""
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def median_unrelated_cosine(embedder: Embedder, questions: list[Question]) -> float:
    """c0 for `calibrated_score`: the median cosine between references of questions on
    different subjects (same-subject pairs may share a topic, so they are left out)."""
    vectors = embedder.embed([q.reference for q in questions])
    return statistics.median(
        cosine_similarity(vectors[i], vectors[j])
        for i in range(len(questions))
        for j in range(i + 1, len(questions))
        if questions[i].subject != questions[j].subject
    )


def unrelated_pairs(questions: list[Question]) -> int:
    return sum(
        questions[i].subject != questions[j].subject
        for i in range(len(questions))
        for j in range(i + 1, len(questions))
    )
