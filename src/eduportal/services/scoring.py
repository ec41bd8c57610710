"""Scoring an answer: a calibrated embedding similarity, then the key-term check.

Every engine (the lexical fallback, the offline model, Titan on AWS) is built the same way,
`KeyTermScorer(EmbeddingScorer(embedder, engine, c0))`, so a score means the same thing
whichever produced it: 0 for an unrelated answer, 100 for the reference itself, lowered and
flagged when the answer reuses the reference's words to say something else.
"""

from __future__ import annotations

from eduportal.domain.grading import Score, calibrated_score, cosine_similarity
from eduportal.domain.key_term_check import (
    SHORT_ANSWER_SCORE,
    check_key_terms,
    penalised,
    states_the_short_answer,
)
from eduportal.ports import AnswerScorer, Embedder


class EmbeddingScorer:
    """Cosine similarity between the reference's and the answer's vectors, calibrated to 0-100."""

    def __init__(self, embedder: Embedder, engine: str, unrelated_cosine: float) -> None:
        """`unrelated_cosine` is the engine's median cosine between unrelated references (the
        c0 of `calibrated_score`), measured by `python -m bench.scoring --calibrate`."""
        self.embedder = embedder
        self.engine = engine
        self.unrelated_cosine = unrelated_cosine

    def score(self, reference: str, answer: str) -> Score:
        expected, given = self.embedder.embed([reference, answer])
        similarity = cosine_similarity(expected, given)
        return Score(calibrated_score(similarity, self.unrelated_cosine), self.engine)


class KeyTermScorer:
    """Another scorer's value, lowered for each key-term flag, with the flags for the teacher;
    raised to `SHORT_ANSWER_SCORE` for a term-sized reference stated in a short sentence.

    Embeddings cannot tell "release" from "capture" in an otherwise copied sentence; the check
    can (`eduportal.domain.key_term_check`). It runs after the inner scorer, so a scorer that cannot
    work (a model that did not load) fails before any check is spent on it.
    """

    def __init__(self, scorer: AnswerScorer) -> None:
        self.scorer = scorer

    def score(self, reference: str, answer: str) -> Score:
        scored = self.scorer.score(reference, answer)
        flags = check_key_terms(reference, answer)
        value = penalised(scored.value, flags)
        if not flags and states_the_short_answer(reference, answer):
            value = max(value, SHORT_ANSWER_SCORE)
        return Score(round(value, 1), scored.engine, scored.flags + flags)
