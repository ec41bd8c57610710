"""Answering: score with the configured scorer, keep each student's best, rank the top five.

The reveal rule lives here, so every face enforces it the same way: a student sees a
question's reference answer only after answering it at least once, and answers given after
that are scored and logged but never raise the student's best score or leaderboard place.
Otherwise reading the answer and pasting it back would be worth 100 and first place.
"""

from __future__ import annotations

from dataclasses import dataclass

from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import ForbiddenError, ValidationError
from eduportal.domain.grading import (
    LEADERBOARD_SIZE,
    MAX_ANSWER_CHARS,
    AnswerRecord,
    LeaderboardEntry,
    QuestionProgress,
)
from eduportal.ports import (
    AnswerRepository,
    AnswerScorer,
    AnswerSuggester,
    AssignmentRepository,
    Clock,
    Suggestions,
)
from eduportal.services.accounts import require_role


@dataclass(frozen=True, slots=True)
class AnswerResult:
    score: float
    engine: str
    """The scorer that scored this answer (`Score.engine`)."""
    best_score: float
    leaderboard: list[LeaderboardEntry]
    suggestions: Suggestions
    counted: bool
    """False when the student had revealed the reference answer: scored, not kept as best."""


class GradingService:
    def __init__(
        self,
        assignments: AssignmentRepository,
        answers: AnswerRepository,
        scorer: AnswerScorer,
        suggester: AnswerSuggester,
        clock: Clock,
    ) -> None:
        self.assignments = assignments
        self.answers = answers
        self.scorer = scorer
        self.suggester = suggester
        self.clock = clock

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
        score = self.scorer.score(reference, text)
        counts = not self.answers.progress(assignment_id, question_id, student.username).revealed
        best = self.answers.record(
            AnswerRecord(
                assignment_id=assignment_id,
                question_id=question_id,
                student_id=student.username,
                answer=text,
                score=score.value,
                submitted_at=self.clock.now(),
                engine=score.engine,
                flags=score.flags,
            ),
            counts=counts,
        )
        return AnswerResult(
            score=score.value,
            engine=score.engine,
            best_score=best,
            leaderboard=self.answers.leaderboard(assignment_id, question_id, LEADERBOARD_SIZE),
            suggestions=self.suggester.suggest(text),
            counted=counts,
        )

    def leaderboards(
        self, assignment_id: str, question_id: str | None = None
    ) -> dict[str, list[LeaderboardEntry]]:
        """The top five of every question, in question order, or of `question_id` alone."""
        assignment = self.assignments.get(assignment_id)
        if question_id is not None:
            ids = [assignment.question(question_id).id]
        else:
            ids = [qa.id for qa in assignment.question_answers]
        return {qid: self.answers.leaderboard(assignment_id, qid, LEADERBOARD_SIZE) for qid in ids}

    def progress(self, student: Account, assignment_id: str, question_id: str) -> QuestionProgress:
        """The student's own progress on one question (without the teacher's flags)."""
        return self.answers.progress(assignment_id, question_id, student.username).for_student()

    def progress_by_question(
        self, student: Account, assignment_id: str
    ) -> dict[str, QuestionProgress]:
        """`progress` on every question of the assignment, in question order; an unanswered
        one has no attempts and no best score."""
        question_ids = [qa.id for qa in self.assignments.get(assignment_id).question_answers]
        found = self.answers.student_progress(student.username, assignment_id)
        answered = found.get(assignment_id, {})
        return {
            qid: answered[qid].for_student() if qid in answered else QuestionProgress()
            for qid in question_ids
        }

    def reveal(self, viewer: Account, assignment_id: str, question_id: str) -> str:
        """The reference answer: teachers always; students after one attempt, from then on
        with their later answers no longer counting."""
        reference = self.assignments.get(assignment_id).question(question_id).answer
        if viewer.role is Role.TEACHER:
            return reference
        progress = self.answers.progress(assignment_id, question_id, viewer.username)
        if progress.attempts == 0:
            raise ForbiddenError(
                "Answer this question once before you look at the reference answer.",
                detail=f"{viewer.username} asked for {assignment_id}/{question_id} unanswered",
            )
        self.answers.mark_revealed(assignment_id, question_id, viewer.username, self.clock.now())
        return reference
