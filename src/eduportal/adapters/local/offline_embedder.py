"""`Embedder` without a model: hashed words and character trigrams, compared by cosine.

Grading asks one thing of an embedding: an answer that says what the reference says, in other
words, should land nearer to it than an answer about something else. Shared content words carry
most of that; crude stemming and a small synonym table let "produces" meet "produced" and
"big" meet "large"; character trigrams give partial credit for spelling variants. Function
words are left out, or every pair of English sentences would look alike, except negations,
which are folded into one heavy feature so that "has no nucleus" stays apart from "has a
nucleus". Features are hashed with CRC-32 (not Python's `hash`, which changes per process) so
vectors are stable everywhere.
"""

from __future__ import annotations

import math
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np

from eduportal.adapters.local.function_words import STOPWORDS
from eduportal.domain.words import NEGATIONS, WORD, canonical

ENGINE = "lexical"
"""The engine name stored with every answer this embedder scored."""
UNRELATED_COSINE = 0.019
"""Median cosine between the references of questions on different subjects in
tests/data/scoring_eval.json, measured with `python -m bench.scoring --calibrate`: hashed
features rarely collide, so unrelated sentences are nearly orthogonal."""
DIMENSIONS = 512
TRIGRAM_WEIGHT = 0.35
NEGATION = "not"
NEGATION_WEIGHT = 2.5
"""One word that flips a statement must weigh more than one word that adds a detail."""


def terms(text: str) -> list[str]:
    """The stemmed, synonym-folded content words; function words only when there is nothing
    else, so that "to be or not to be" still has a vector."""
    words = [word.removesuffix("'s") for word in WORD.findall(text.lower().replace("\u2019", "'"))]
    content = [word for word in words if word not in STOPWORDS or word in NEGATIONS] or words
    return [NEGATION if word in NEGATIONS else canonical(word) for word in content]


class OfflineEmbedder:
    def __init__(self, dimensions: int = DIMENSIONS) -> None:
        self.dimensions = dimensions

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        """Sublinear term frequency per hashed feature, L2-normalized; zero for empty text."""
        words = Counter(terms(text))
        trigrams = Counter(
            padded[start : start + 3]
            for padded in (f"#{word}#" for word in words.elements())
            for start in range(len(padded) - 2)
        )
        features = [
            ("w:" + word, count, NEGATION_WEIGHT if word == NEGATION else 1.0)
            for word, count in words.items()
        ]
        features += [("c:" + gram, count, TRIGRAM_WEIGHT) for gram, count in trigrams.items()]
        vector = np.zeros(self.dimensions)
        for feature, count, weight in features:
            digest = zlib.crc32(feature.encode())
            sign = 1.0 if digest & 0x8000_0000 else -1.0
            vector[digest % self.dimensions] += sign * weight * (1.0 + math.log(count))
        norm = float(np.linalg.norm(vector))
        return (vector / norm).tolist() if norm else vector.tolist()
