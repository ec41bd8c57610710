"""Results: an assignment's table for its teacher, the teacher's score overrides, and each
student's own results.

Only the teacher who created an assignment sees its results and changes its scores: the
table shows every student's answers, the scorer's flags and the teacher's own overrides.

An override is the teacher's judgement of the answer that holds the student's best score. It
becomes the best score the student sees and the leaderboard ranks by. A later answer that
counts and scores higher becomes the best answer, without the override; a lower one leaves it
(the override judged the answer it was set on, not the ones after it). Clearing it returns the
best score to the scorer's best counted answer, including any given while it stood. Answers
after revealing the reference answer never count, so never replace an override either.
"""

from __future__ import annotations

import logging

from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import NotFoundError
from eduportal.domain.grading import QuestionProgress, validate_score
from eduportal.domain.results import AssignmentResults, StudentResult
from eduportal.observability.logging import log_context
from eduportal.ports import AnswerRepository, AssignmentRepository, Clock
from eduportal.services.accounts import require_role
from eduportal.services.assignments import authored

log = logging.getLogger(__name__)


class ResultsService:
    def __init__(
        self, assignments: AssignmentRepository, answers: AnswerRepository, clock: Clock
    ) -> None:
        self.assignments = assignments
        self.answers = answers
        self.clock = clock

    def results(self, teacher: Account, assignment_id: str) -> AssignmentResults:
        """Every student who answered, by name, with their best answer to each question."""
        assignment = authored(self.assignments, teacher, assignment_id, to="see its results")
        return AssignmentResults.of(assignment, self.answers.assignment_progress(assignment_id))

    def override(
        self,
        teacher: Account,
        assignment_id: str,
        question_id: str,
        student_id: str,
        score: float,
    ) -> QuestionProgress:
        """Set the student's best score on the question to `score` (0-100); return the result."""
        return self._override(teacher, assignment_id, question_id, student_id, score)

    def clear_override(
        self, teacher: Account, assignment_id: str, question_id: str, student_id: str
    ) -> QuestionProgress:
        """Take the teacher's score away again; nothing changes where there is none."""
        return self._override(teacher, assignment_id, question_id, student_id, None)

    def student_results(self, student: Account) -> list[StudentResult]:
        """The signed-in student's results on every assignment they answered, newest first.

        Flags are left out: they are for the teacher (see `Score.flags`).
        """
        require_role(student, Role.STUDENT)
        found = []
        for assignment_id, progress in self.answers.student_progress(student.username).items():
            try:
                assignment = self.assignments.get(assignment_id)
            except NotFoundError:
                continue  # deleted after the answers were read; they go with it
            visible = {qid: each.for_student() for qid, each in progress.items()}
            result = StudentResult.of(assignment, student.username, visible)
            if result.scores.answered:
                found.append((assignment.created_at, result))
        return [result for _, result in sorted(found, key=_newest_first)]

    def _override(
        self,
        teacher: Account,
        assignment_id: str,
        question_id: str,
        student_id: str,
        score: float | None,
    ) -> QuestionProgress:
        assignment = authored(self.assignments, teacher, assignment_id, to="change its scores")
        assignment.question(question_id)  # an unknown question is refused as in answering
        if score is not None:
            score = validate_score(score)
        before, after = self.answers.override(
            assignment_id,
            question_id,
            student_id,
            score,
            by=teacher.username,
            at=self.clock.now(),
        )
        if after != before:
            with log_context(user=teacher.username, assignment_id=assignment_id):
                log.info(
                    "score overridden" if score is not None else "score override cleared",
                    extra={
                        "question_id": question_id,
                        "student": student_id,
                        "old_score": before.best_score,
                        "new_score": after.best_score,
                    },
                )
        return after


def _newest_first(item: tuple[float, StudentResult]) -> tuple[float, str]:
    created_at, result = item
    return -created_at, result.assignment_id
