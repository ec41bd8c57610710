"""Scoring by embedding similarity alone: the fallback every engine can give."""

from __future__ import annotations

from eduportal.domain.grading import Score, cosine_similarity, score_from_similarity
from eduportal.ports import Embedder


class EmbeddingScorer:
    """Cosine similarity between the reference's and the answer's vectors, as 0-100."""

    def __init__(self, embedder: Embedder, engine: str) -> None:
        self.embedder = embedder
        self.engine = engine

    def score(self, reference: str, answer: str) -> Score:
        expected, given = self.embedder.embed([reference, answer])
        return Score(score_from_similarity(cosine_similarity(expected, given)), self.engine)
