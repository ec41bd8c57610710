"""Answering: score by embedding similarity, keep each student's best, rank the top five."""

from __future__ import annotations

import time
from dataclasses import dataclass

from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import ValidationError
from eduportal.domain.grading import (
    LEADERBOARD_SIZE,
    MAX_ANSWER_CHARS,
    AnswerRecord,
    LeaderboardEntry,
    cosine_similarity,
    score_from_similarity,
)
from eduportal.ports import (
    AnswerRepository,
    AnswerSuggester,
    AssignmentRepository,
    Embedder,
    Suggestions,
)
from eduportal.services.accounts import require_role


@dataclass(frozen=True, slots=True)
class AnswerResult:
    score: float
    best_score: float
    leaderboard: list[LeaderboardEntry]
    suggestions: Suggestions


class GradingService:
    def __init__(
        self,
        assignments: AssignmentRepository,
        answers: AnswerRepository,
        embedder: Embedder,
        suggester: AnswerSuggester,
    ) -> None:
        self.assignments = assignments
        self.answers = answers
        self.embedder = embedder
        self.suggester = suggester

    def answer(
        self, student: Account, assignment_id: str, question_id: str, answer: str
    ) -> AnswerResult:
        """Score `answer`, always recorded under the signed-in student, never another name."""
        require_role(student, Role.STUDENT)
        text = answer.strip()
        if not text:
            raise ValidationError("Please write an answer first.")
        if len(text) > MAX_ANSWER_CHARS:
            raise ValidationError(f"Answers are limited to {MAX_ANSWER_CHARS} characters.")
        reference = self.assignments.get(assignment_id).question(question_id).answer
        expected, given = self.embedder.embed([reference, text])
        score = score_from_similarity(cosine_similarity(expected, given))
        best = self.answers.record(
            AnswerRecord(
                assignment_id=assignment_id,
                question_id=question_id,
                student_id=student.username,
                answer=text,
                score=score,
                submitted_at=time.time(),
            )
        )
        return AnswerResult(
            score=score,
            best_score=best,
            leaderboard=self.leaderboard(assignment_id, question_id),
            suggestions=self.suggester.suggest(text),
        )

    def leaderboard(self, assignment_id: str, question_id: str) -> list[LeaderboardEntry]:
        self.assignments.get(assignment_id).question(question_id)
        return self.answers.leaderboard(assignment_id, question_id, LEADERBOARD_SIZE)

    def best_score(self, student: Account, assignment_id: str, question_id: str) -> float | None:
        return self.answers.best_score(assignment_id, question_id, student.username)

    def reveal(self, assignment_id: str, question_id: str) -> str:
        """The reference answer, shown to a student who asks for it."""
        return self.assignments.get(assignment_id).question(question_id).answer
