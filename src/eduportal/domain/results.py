"""Results: an assignment's table of students by questions for its teacher, and a student's
own results across assignments.

Both are built from the best answers the repositories keep (`QuestionProgress`), restricted
to the assignment's current questions: answers to questions since removed by an edit no longer
count, here as on the leaderboard.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from eduportal.domain.assignments import Assignment, QuestionAnswer
from eduportal.domain.grading import QuestionProgress


@dataclass(frozen=True, slots=True)
class StudentScores:
    """One student on one assignment: the questions they answered, by question id."""

    student_id: str
    progress: Mapping[str, QuestionProgress]
    """Answered questions only, in the assignment's order."""

    @property
    def answered(self) -> int:
        return len(self.progress)

    @property
    def total(self) -> float:
        """The best (effective) scores added up, over the questions answered."""
        return round(sum(p.best_score or 0.0 for p in self.progress.values()), 1)

    @property
    def average(self) -> float | None:
        """Over the questions answered, not over all: a question left out is not a zero,
        since nothing says the student was asked to answer every one."""
        return round(self.total / self.answered, 1) if self.answered else None


@dataclass(frozen=True, slots=True)
class AssignmentResults:
    """An assignment's results for its teacher: one row per student who answered."""

    assignment_id: str
    title: str
    questions: tuple[QuestionAnswer, ...]
    students: tuple[StudentScores, ...]
    """Ordered by user name; a student with no answer has no row (there is no enrolment)."""

    @classmethod
    def of(
        cls, assignment: Assignment, progress: Mapping[str, Mapping[str, QuestionProgress]]
    ) -> AssignmentResults:
        """From `AnswerRepository.assignment_progress` (student -> question -> progress)."""
        rows = (
            _scores(student, assignment, by_question) for student, by_question in progress.items()
        )
        return cls(
            assignment_id=assignment.assignment_id,
            title=assignment.title,
            questions=assignment.question_answers,
            students=tuple(sorted((row for row in rows if row.answered), key=_by_name)),
        )


@dataclass(frozen=True, slots=True)
class StudentResult:
    """A student's own results on one assignment they answered."""

    assignment_id: str
    title: str
    question_ids: tuple[str, ...]
    """Every question of the assignment, in order, answered or not."""
    scores: StudentScores

    @classmethod
    def of(
        cls, assignment: Assignment, student_id: str, progress: Mapping[str, QuestionProgress]
    ) -> StudentResult:
        """From one assignment's entry of `AnswerRepository.student_progress`."""
        return cls(
            assignment_id=assignment.assignment_id,
            title=assignment.title,
            question_ids=tuple(qa.id for qa in assignment.question_answers),
            scores=_scores(student_id, assignment, progress),
        )


def _scores(
    student_id: str, assignment: Assignment, progress: Mapping[str, QuestionProgress]
) -> StudentScores:
    current = {qa.id: progress[qa.id] for qa in assignment.question_answers if qa.id in progress}
    return StudentScores(student_id, current)


def _by_name(row: StudentScores) -> str:
    return row.student_id
