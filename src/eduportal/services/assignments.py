"""Assignments: generate, review, save all-or-nothing, list and search, edit, delete.

Saving is all-or-nothing across two stores that share no transaction: the image is uploaded
first and the record saved second; if saving the record fails, the uploaded image is deleted
again.

Changing an existing assignment is guarded twice. Every save is a compare-and-set on the
record's version, so two edits made from the same version cannot both land: the second gets
a 409 and reloads; `edit` also refuses a change made from a page older than the stored
version, so a teacher never overwrites what they have not seen. Replacing or removing the
image also claims the record first (an `ImageLock` saved by compare-and-set): while the
claim holds, nobody else writes the record or its objects, so an object is deleted only when
no record can point to it any more and no other request can be writing it. A request that
dies mid-way leaves the claim to expire after `IMAGE_LOCK_SECONDS`, and at worst an object no
record names, which `eduportal storage reconcile` finds.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    QUESTIONS_PER_ASSIGNMENT,
    Assignment,
    ImageLock,
    QuestionAnswer,
    QuestionEdit,
    checked_questions,
    edited_meanwhile,
    new_assignment_id,
    numbered,
    validate_prompt,
    validate_search,
    validate_subject,
    validate_title,
)
from eduportal.domain.errors import (
    ConflictError,
    EduportalError,
    ForbiddenError,
    ValidationError,
)
from eduportal.imaging.optimize import OptimizedImage
from eduportal.observability.logging import log_context
from eduportal.ports import (
    AnswerRepository,
    AssignmentRepository,
    Clock,
    ImageGenerator,
    QuestionGenerator,
)
from eduportal.services.accounts import require_role
from eduportal.services.image_store import ImageStore, StoredImage
from eduportal.services.read_cache import RecentCache

log = logging.getLogger(__name__)

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
        clock: Clock,
        *,
        cache_seconds: float = 10.0,
    ) -> None:
        self.assignments = assignments
        self.answers = answers
        self.images = images
        self.questions = questions
        self.illustrator = illustrator
        self.clock = clock
        self._recent: RecentCache[str, Assignment] = RecentCache(cache_seconds)

    # -- generation (nothing is stored) ---------------------------------------------------------

    def generate_questions(self, text: str) -> list[QuestionAnswer]:
        pairs = self.questions.generate(validate_prompt(text), QUESTIONS_PER_ASSIGNMENT)
        return numbered(pairs)

    @property
    def image_source(self) -> str:
        """What made generated images, in words a page shows under one."""
        return self.illustrator.source

    def generate_image(self, text: str) -> bytes:
        return self.illustrator.generate(validate_prompt(text))

    def check_image(self, image: bytes) -> None:
        """Raise the `ValidationError` saving `image` would raise, without storing anything:
        lets a page refuse a file the moment it is chosen, not when the teacher saves."""
        self.images.check(image)

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self,
        teacher: Account,
        prompt: str,
        question_answers: Sequence[QuestionAnswer],
        image: bytes | None = None,
        progress: Progress = _quiet,
        *,
        title: str | None = None,
        subject: str | None = None,
    ) -> Assignment:
        """Save a reviewed assignment; with `image`, optimize and upload it first.

        Without a `title`, the one proposed from the text (its first sentence) is used;
        `subject` is optional free text (`validate_subject`: empty means none).

        Raises the image's `ValidationError` or the storage error after its retries; in both
        cases nothing is saved, and the teacher can retry or save without an image.
        """
        require_role(teacher, Role.TEACHER)
        assignment = Assignment(
            assignment_id=new_assignment_id(self.clock.now()),
            teacher_id=teacher.username,
            prompt=validate_prompt(prompt),
            question_answers=checked_questions(question_answers),
            created_at=self.clock.now(),
            title=validate_title(title) if title is not None else "",
            subject=validate_subject(subject or ""),
        )
        with log_context(user=teacher.username, assignment_id=assignment.assignment_id):
            stored = None
            if image is not None:
                progress(Step.OPTIMIZING)
                optimized = self.images.optimize(image)
                progress(Step.UPLOADING)
                stored = self._store(assignment, optimized)
                assignment = _with_stored(assignment, stored)
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
        self,
        teacher: Account,
        text: str,
        *,
        with_image: bool,
        title: str | None = None,
        subject: str | None = None,
        progress: Progress = _quiet,
    ) -> Assignment:
        """Generate and save in one go (the REST API's `POST /api/assignments`)."""
        require_role(teacher, Role.TEACHER)
        progress(Step.GENERATING_QUESTIONS)
        questions = self.generate_questions(text)
        image = None
        if with_image:
            progress(Step.GENERATING_IMAGE)
            image = self.generate_image(text)
        return self.create(teacher, text, questions, image, progress, title=title, subject=subject)

    def edit(
        self,
        teacher: Account,
        assignment_id: str,
        *,
        expected_version: int,
        title: str | None = None,
        subject: str | None = None,
        question_answers: Sequence[QuestionEdit] | None = None,
    ) -> Assignment:
        """Save a teacher's edit of their assignment, made from the page at `expected_version`.

        None leaves a field as it is; `subject=""` removes the subject. `question_answers` is
        the whole new list, in order: an item with an id changes that question (its answers
        stay its own), a question left out is removed, an item without an id is added under an
        id never used in this assignment (`Assignment.with_questions`).

        Raises `ForbiddenError` unless `teacher` created it; `ConflictError` when the stored
        version is not `expected_version` (reload and edit again) or while its image is being
        changed (try again in a moment); `ValidationError` with the sentence to show. An edit
        that changes nothing saves nothing and returns the assignment as it is.
        """
        current = self._owned(teacher, assignment_id)
        if current.version != expected_version:
            # A copy another process changed may still be in the cache; the page reloads next.
            self._recent.put(assignment_id, current)
            raise edited_meanwhile(
                assignment_id, current.version, expected_version, where="service edit"
            )
        return self._edit(current, title=title, subject=subject, question_answers=question_answers)

    def update_questions(
        self, teacher: Account, assignment_id: str, question_answers: Sequence[QuestionEdit]
    ) -> Assignment:
        """Replace the questions of whatever version is stored (the REST API's PUT, which
        names no version); the id rules of `edit` apply."""
        current = self._owned(teacher, assignment_id)
        return self._edit(current, question_answers=question_answers)

    def replace_image(
        self, teacher: Account, assignment_id: str, image: bytes, progress: Progress = _quiet
    ) -> Assignment:
        """A teacher's own image, through the same optimization and storage path.

        The image is optimized before the record is claimed (it is the slow part, and a bad
        file must not block anyone), then stored and published under the claim.
        """
        current = self._owned(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            progress(Step.OPTIMIZING)
            optimized = self.images.optimize(image)
            claimed = self._claim(current)
            progress(Step.UPLOADING)
            try:
                stored = self._store(claimed, optimized)
            except EduportalError:
                self._release_quietly(claimed)
                raise
            progress(Step.SAVING)
            return self._publish(claimed, _with_stored(claimed, stored))

    def remove_image(self, teacher: Account, assignment_id: str) -> Assignment:
        current = self._owned(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            claimed = self._claim(current)
            return self._publish(claimed, claimed.without_image())

    def delete(self, teacher: Account, assignment_id: str) -> None:
        """The record goes first (compare-and-set): a failure leaves at worst an orphan image."""
        current = self._owned_unlocked(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            self._recent.forget(assignment_id)
            self.assignments.delete(assignment_id, expected_version=current.version)
            self.answers.delete_for_assignment(assignment_id)
            if current.has_image:
                self._discard(current.s3_image_key)
            log.info("assignment deleted")

    def check_can_change(self, teacher: Account, assignment_id: str) -> None:
        """Raise unless `teacher` may change the assignment now: lets a face refuse an upload
        before reading it. The change itself checks again."""
        self._owned_unlocked(teacher, assignment_id)

    def mark_image_permanent(self, teacher: Account, assignment_id: str) -> None:
        current = self._owned_unlocked(teacher, assignment_id)
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

    def list(
        self,
        *,
        limit: int = 20,
        offset: int = 0,
        teacher_id: str | None = None,
        search: str | None = None,
    ) -> Page:
        """Newest first; only `teacher_id`'s when given; with `search`, only those whose title,
        subject or text contains it, ignoring case (`%`, `_` and the like are plain
        characters). `total` counts every match, for the pages after this one."""
        if not 1 <= limit <= MAX_PAGE or not 0 <= offset <= MAX_OFFSET:
            raise ValidationError(
                f"Pages hold 1 to {MAX_PAGE} assignments; offsets go from 0 to {MAX_OFFSET}."
            )
        search = validate_search(search)
        return Page(
            items=self.assignments.list(
                limit=limit, offset=offset, teacher_id=teacher_id, search=search
            ),
            total=self.assignments.count(teacher_id=teacher_id, search=search),
            limit=limit,
            offset=offset,
        )

    @staticmethod
    def may_see_answers(viewer: Account, assignment: Assignment) -> bool:
        """Teachers see the reference answers of every assignment, students of none.

        Every teacher, not only the author: teachers reuse and review each other's work and
        never appear on a leaderboard. Students get one answer at a time, after answering it,
        from `GradingService.reveal`.
        """
        return viewer.role is Role.TEACHER

    # -- helpers --------------------------------------------------------------------------------

    def _owned(self, teacher: Account, assignment_id: str) -> Assignment:
        return authored(self.assignments, teacher, assignment_id, to="change it")

    def _edit(
        self,
        current: Assignment,
        *,
        title: str | None = None,
        subject: str | None = None,
        question_answers: Sequence[QuestionEdit] | None = None,
    ) -> Assignment:
        """`edit` once ownership and the version are settled: the image lock, the rules, the
        compare-and-set save."""
        self._refuse_if_locked(current)
        edited = current
        if question_answers is not None:
            edited = edited.with_questions(question_answers)
        if title is not None:
            edited = replace(edited, title=validate_title(title))
        if subject is not None:
            edited = replace(edited, subject=validate_subject(subject))
        if edited == current:
            return current
        updated = edited.next_version()
        with log_context(user=current.teacher_id, assignment_id=current.assignment_id):
            self._save(updated, current.version)
            log.info("assignment edited", extra={"version": updated.version})
        return updated

    def _owned_unlocked(self, teacher: Account, assignment_id: str) -> Assignment:
        assignment = self._owned(teacher, assignment_id)
        self._refuse_if_locked(assignment)
        return assignment

    def _refuse_if_locked(self, assignment: Assignment) -> None:
        if assignment.locked_at(self.clock.now()):
            raise ConflictError(
                _IMAGE_BUSY,
                detail=f"{assignment.assignment_id} is claimed by {assignment.image_lock}",
                transient=True,
            )

    def _save(self, updated: Assignment, expected_version: int) -> None:
        self._recent.forget(updated.assignment_id)
        self.assignments.replace(updated, expected_version=expected_version)

    def _claim(self, current: Assignment) -> Assignment:
        """Take the image lock by compare-and-set; a 409 when someone else holds it."""
        self._refuse_if_locked(current)
        lock = ImageLock(secrets.token_hex(8), self.clock.now() + IMAGE_LOCK_SECONDS)
        claimed = current.next_version(image_lock=lock)
        self._save(claimed, current.version)
        return claimed

    def _publish(self, claimed: Assignment, target: Assignment) -> Assignment:
        """Save `target` (claimed, with its new image or none), delete the old one, unclaim.

        The old object is deleted while the claim still holds and only after the record has
        stopped naming it, so no record can point at it and nobody else can be rewriting it.
        """
        old_key = claimed.s3_image_key if claimed.has_image else None
        new_key = target.s3_image_key if target.has_image else None
        stale = old_key if old_key is not None and old_key != new_key else None
        try:
            if stale is None:
                return self._release(target)
            published = target.next_version()
            self._save(published, claimed.version)
        except ConflictError:
            # The claim expired and someone else took the record: touch nothing of theirs.
            log.warning("image claim lost before publishing", extra={"key": new_key})
            raise
        except EduportalError:
            if new_key is not None and new_key != old_key:
                self._discard(new_key)
            self._release_quietly(claimed)
            raise
        self._discard(stale)
        try:
            return self._release(published)
        except EduportalError:
            log.warning("image lock not released; it expires by itself", exc_info=True)
            return published

    def _release(self, claimed: Assignment) -> Assignment:
        """Save `claimed` (as the next version) without its lock; it holds the stored version."""
        released = claimed.next_version(image_lock=None)
        self._save(released, claimed.version)
        return released

    def _release_quietly(self, claimed: Assignment) -> None:
        try:
            self._release(claimed)
        except EduportalError:
            log.warning("image lock not released; it expires by itself", exc_info=True)

    def _store(self, assignment: Assignment, optimized: OptimizedImage) -> StoredImage:
        return self.images.store_optimized(
            assignment.assignment_id, optimized, teacher_id=assignment.teacher_id
        )

    def _discard(self, key: str) -> None:
        try:
            self.images.delete(key)
        except EduportalError:
            log.exception("could not delete an image no record points to", extra={"key": key})


IMAGE_LOCK_SECONDS = 120.0
"""How long a claim on an assignment's image holds: longer than an upload may take (its
deadline is 30 s, retries included), short enough that a crashed request blocks image changes
for two minutes at most."""

MAX_OFFSET = 1_000_000
"""Listing pages start at most this far in: deeper offsets are refused with a 422, never passed
to a database whose integers they could overflow."""

_IMAGE_BUSY = "This assignment's image is being changed right now. Please try again in a moment."


def authored(
    repository: AssignmentRepository, teacher: Account, assignment_id: str, *, to: str
) -> Assignment:
    """The assignment, read afresh, if `teacher` created it; else `ForbiddenError`.

    Only its author changes an assignment, sees its results and sets its scores; `to` names
    what was refused ("change it", "see its results") in the sentence the teacher reads.
    A student is refused before anything is read.
    """
    require_role(teacher, Role.TEACHER)
    assignment = repository.get(assignment_id)  # never a cached copy: a write may follow
    if assignment.teacher_id != teacher.username:
        raise ForbiddenError(
            f"Only the teacher who created this assignment can {to}.",
            detail=f"{teacher.username} tried to {to}: {assignment_id} of {assignment.teacher_id}",
        )
    return assignment


def _with_stored(assignment: Assignment, stored: StoredImage) -> Assignment:
    return assignment.with_image(stored.key, stored.url, stored.figures, stored.attempts)
