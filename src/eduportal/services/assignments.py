"""Assignments: generate, review, save all-or-nothing, list, edit, delete.

Saving is all-or-nothing across two stores that share no transaction: the image is uploaded
first and the record saved second; if saving the record fails, the uploaded image is deleted
again. So no record ever points at a missing object, and no object is left without a record
(except if that clean-up delete fails too, which is logged with the key for an operator, and
the bucket's lifecycle rules would expire it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    QUESTIONS_PER_ASSIGNMENT,
    Assignment,
    QuestionAnswer,
    new_assignment_id,
    numbered,
    validate_prompt,
)
from eduportal.domain.errors import EduportalError, ForbiddenError, ValidationError
from eduportal.domain.images import UploadStatus
from eduportal.observability.logging import log_context
from eduportal.ports import (
    AnswerRepository,
    AssignmentRepository,
    ImageGenerator,
    QuestionGenerator,
)
from eduportal.services.accounts import require_role
from eduportal.services.image_store import ImageStore, StoredImage
from eduportal.services.read_cache import RecentCache

log = logging.getLogger(__name__)

MAX_QUESTIONS = 10
MAX_PAGE = 100


class Step(StrEnum):
    """The slow steps of creating an assignment, reported to the user as they start."""

    GENERATING_QUESTIONS = "Generating questions"
    GENERATING_IMAGE = "Generating the illustration"
    OPTIMIZING = "Optimizing the image"
    UPLOADING = "Uploading the image"
    SAVING = "Saving the assignment"


Progress = Callable[[Step], None]


def _quiet(_: Step) -> None:
    return None


@dataclass(frozen=True, slots=True)
class Page:
    items: list[Assignment]
    total: int
    limit: int
    offset: int


class AssignmentService:
    def __init__(
        self,
        assignments: AssignmentRepository,
        answers: AnswerRepository,
        images: ImageStore,
        questions: QuestionGenerator,
        illustrator: ImageGenerator,
        *,
        cache_seconds: float = 10.0,
    ) -> None:
        self.assignments = assignments
        self.answers = answers
        self.images = images
        self.questions = questions
        self.illustrator = illustrator
        self._recent: RecentCache[str, Assignment] = RecentCache(cache_seconds)

    # -- generation (nothing is stored) ---------------------------------------------------------

    def generate_questions(self, text: str) -> list[QuestionAnswer]:
        pairs = self.questions.generate(validate_prompt(text), QUESTIONS_PER_ASSIGNMENT)
        return numbered(pairs)

    def generate_image(self, text: str) -> bytes:
        return self.illustrator.generate(validate_prompt(text))

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self,
        teacher: Account,
        prompt: str,
        question_answers: Sequence[QuestionAnswer],
        image: bytes | None = None,
        progress: Progress = _quiet,
    ) -> Assignment:
        """Save a reviewed assignment; with `image`, optimize and upload it first.

        Raises the image's `ValidationError` or the storage error after its retries; in both
        cases nothing is saved, and the teacher can retry or save without an image.
        """
        require_role(teacher, Role.TEACHER)
        assignment = Assignment(
            assignment_id=new_assignment_id(),
            teacher_id=teacher.username,
            prompt=validate_prompt(prompt),
            question_answers=_checked_questions(question_answers),
        )
        with log_context(user=teacher.username, assignment_id=assignment.assignment_id):
            stored = self._upload(assignment, image, progress) if image is not None else None
            if stored is not None:
                assignment = _with_image(assignment, stored)
            progress(Step.SAVING)
            try:
                self.assignments.add(assignment)
            except EduportalError:
                if stored is not None:
                    self._discard(stored.key)
                raise
            log.info("assignment created", extra={"has_image": assignment.has_image})
        return assignment

    def create_from_text(
        self, teacher: Account, text: str, *, with_image: bool, progress: Progress = _quiet
    ) -> Assignment:
        """Generate and save in one go (the REST API's `POST /api/assignments`)."""
        require_role(teacher, Role.TEACHER)
        progress(Step.GENERATING_QUESTIONS)
        questions = self.generate_questions(text)
        image = None
        if with_image:
            progress(Step.GENERATING_IMAGE)
            image = self.generate_image(text)
        return self.create(teacher, text, questions, image, progress)

    def update_questions(
        self, teacher: Account, assignment_id: str, question_answers: Sequence[QuestionAnswer]
    ) -> Assignment:
        current = self._owned(teacher, assignment_id)
        updated = replace(current, question_answers=_checked_questions(question_answers))
        self._replace(updated)
        return updated

    def replace_image(
        self, teacher: Account, assignment_id: str, image: bytes, progress: Progress = _quiet
    ) -> Assignment:
        """A teacher's own image, through the same optimization and storage path."""
        current = self._owned(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            stored = self._upload(current, image, progress)
            updated = _with_image(current, stored)
            progress(Step.SAVING)
            try:
                self._replace(updated)
            except EduportalError:
                if stored.key != current.s3_image_key:
                    self._discard(stored.key)
                raise
            if current.has_image and current.s3_image_key != stored.key:
                self._discard(current.s3_image_key)
        return updated

    def remove_image(self, teacher: Account, assignment_id: str) -> Assignment:
        current = self._owned(teacher, assignment_id)
        updated = current.without_image()
        self._replace(updated)
        if current.has_image:
            self._discard(current.s3_image_key)
        return updated

    def delete(self, teacher: Account, assignment_id: str) -> None:
        """The record goes first: a failure then leaves at worst an unreferenced image."""
        current = self._owned(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            self._recent.forget(assignment_id)
            self.assignments.delete(assignment_id)
            self.answers.delete_for_assignment(assignment_id)
            if current.has_image:
                self._discard(current.s3_image_key)
            log.info("assignment deleted")

    def mark_image_permanent(self, teacher: Account, assignment_id: str) -> None:
        current = self._owned(teacher, assignment_id)
        if not current.has_image:
            raise ValidationError("This assignment has no image to keep.")
        self.images.mark_permanent(current.s3_image_key)

    # -- reads ----------------------------------------------------------------------------------

    def get(self, assignment_id: str) -> Assignment:
        """Served from the recent-reads cache when it can: students open the same few often."""
        assignment = self._recent.get(assignment_id)
        if assignment is None:
            assignment = self.assignments.get(assignment_id)
            self._recent.put(assignment_id, assignment)
        return assignment

    def peek(self, assignment_id: str) -> Assignment | None:
        """The assignment if recently read, without touching the database (for async callers)."""
        return self._recent.get(assignment_id)

    def list(self, *, limit: int = 20, offset: int = 0, teacher_id: str | None = None) -> Page:
        if not 1 <= limit <= MAX_PAGE or offset < 0:
            raise ValidationError(f"Pages hold 1 to {MAX_PAGE} assignments; offsets start at 0.")
        return Page(
            items=self.assignments.list(limit=limit, offset=offset, teacher_id=teacher_id),
            total=self.assignments.count(teacher_id=teacher_id),
            limit=limit,
            offset=offset,
        )

    # -- helpers --------------------------------------------------------------------------------

    def _owned(self, teacher: Account, assignment_id: str) -> Assignment:
        require_role(teacher, Role.TEACHER)
        assignment = self.assignments.get(assignment_id)  # never a cached copy for a write
        if assignment.teacher_id != teacher.username:
            raise ForbiddenError(
                "Only the teacher who created this assignment can change it.",
                detail=f"{teacher.username} tried to change {assignment_id} of "
                f"{assignment.teacher_id}",
            )
        return assignment

    def _replace(self, updated: Assignment) -> None:
        self._recent.forget(updated.assignment_id)
        self.assignments.replace(updated)

    def _upload(self, assignment: Assignment, image: bytes, progress: Progress) -> StoredImage:
        progress(Step.OPTIMIZING)
        optimized = self.images.optimize(image)
        progress(Step.UPLOADING)
        return self.images.store_optimized(
            assignment.assignment_id, optimized, teacher_id=assignment.teacher_id
        )

    def _discard(self, key: str) -> None:
        try:
            self.images.delete(key)
        except EduportalError:
            log.exception("could not delete an image no record points to", extra={"key": key})


def _checked_questions(question_answers: Sequence[QuestionAnswer]) -> tuple[QuestionAnswer, ...]:
    if not 1 <= len(question_answers) <= MAX_QUESTIONS:
        raise ValidationError(f"An assignment has 1 to {MAX_QUESTIONS} questions.")
    return tuple(question_answers)


def _with_image(assignment: Assignment, stored: StoredImage) -> Assignment:
    return replace(
        assignment,
        s3_image_key=stored.key,
        cloudfront_url=stored.url,
        image_metadata=stored.figures,
        s3_upload_status=UploadStatus.SUCCESS,
        s3_upload_attempts=stored.attempts,
    )
