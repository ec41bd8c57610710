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
import re
import zlib
from collections import Counter
from collections.abc import Sequence

import numpy as np

from eduportal.adapters.local.offline_questions import STOPWORDS

DIMENSIONS = 512
TRIGRAM_WEIGHT = 0.35
NEGATION = "not"
NEGATION_WEIGHT = 2.5
"""One word that flips a statement must weigh more than one word that adds a detail."""

_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)?")
_SIBILANT_PLURALS = ("sses", "shes", "ches", "xes", "zes")
_NEGATIONS = frozenset(
    {
        "no",
        "not",
        "nor",
        "never",
        "none",
        "cannot",
        "can't",
        "don't",
        "doesn't",
        "didn't",
        "isn't",
        "aren't",
        "wasn't",
        "weren't",
        "won't",
    }
)
_DOUBLED = frozenset("bdgmnprt")
"""Consonants English doubles before -ing/-ed ("running", "stopped")."""

_SYNONYMS = (
    "big large huge enormous great",
    "small little tiny",
    "fast quick rapid swift",
    "slow sluggish",
    "start begin commence",
    "end finish stop",
    "make create produce generate",
    "help assist aid",
    "buy purchase",
    "show demonstrate display",
    "use utilize employ",
    "get obtain acquire receive gain",
    "give provide supply",
    "need require",
    "keep store retain",
    "kid child",
    "happy glad joyful",
    "sad unhappy",
    "smart intelligent clever",
    "important significant essential vital crucial",
    "many numerous",
    "energy power",
    "car automobile vehicle",
    "house home dwelling",
    "mistake error",
    "answer reply response",
    "ask question",
    "allow permit let",
    "build construct",
    "change alter modify",
    "choose select pick",
    "die perish",
    "grow increase rise",
    "decrease reduce decline",
    "eat consume",
    "hard difficult",
    "easy simple",
    "look see observe watch",
    "method way approach",
    "part portion piece",
    "plant vegetation",
    "place location",
    "talk speak",
    "think believe",
    "try attempt",
    "whole entire",
)


def stem(word: str) -> str:
    """Suffix stripping just good enough that a word's inflections share one feature."""
    if word.endswith("ies") and len(word) > 4:
        word = word[:-3] + "y"
    elif word.endswith("ing") and len(word) > 5:
        word = _undouble(word[:-3])
    elif word.endswith("ed") and len(word) > 4:
        word = _undouble(word[:-2])
    elif (word.endswith("ly") and len(word) > 4) or word.endswith(_SIBILANT_PLURALS):
        word = word[:-2]
    elif word.endswith("s") and len(word) > 3 and not word.endswith(("ss", "us", "is")):
        word = word[:-1]
    return word[:-1] if word.endswith("e") and len(word) > 3 else word


def _undouble(word: str) -> str:
    if len(word) > 2 and word[-1] == word[-2] and word[-1] in _DOUBLED:
        return word[:-1]
    return word


_CANONICAL = {stem(word): stem(group.split()[0]) for group in _SYNONYMS for word in group.split()}


def terms(text: str) -> list[str]:
    """The stemmed, synonym-folded content words; function words only when there is nothing
    else, so that "to be or not to be" still has a vector."""
    words = [word.removesuffix("'s") for word in _WORD.findall(text.lower().replace("\u2019", "'"))]
    content = [word for word in words if word not in STOPWORDS or word in _NEGATIONS] or words
    return [
        NEGATION if word in _NEGATIONS else _CANONICAL.get(stemmed, stemmed)
        for word, stemmed in zip(content, map(stem, content), strict=True)
    ]


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
