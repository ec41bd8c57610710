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

A teacher's own image goes through the processing pipeline instead (`send_image`, then
`create(upload=...)` or `use_image`): the assignment records the upload as awaited
(`ImageUpload`) and keeps the image it has meanwhile; when the pipeline's record is
`COMPLETED`, its processed image becomes the assignment's image in one compare-and-set
(`_settle`), and when it is refused the reason is recorded instead. Settling is idempotent and
happens wherever it is noticed first: the pipeline's final event (`settle_image`), a read of
the assignment (`get`, `list`), or the save itself when the image was ready already. An
assignment only ever moves from a whole image to a whole image.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from eduportal.domain.accounts import Account, Role
from eduportal.domain.alt_text import ImageContext, ImageOrigin, validate_alt_text
from eduportal.domain.assignments import (
    QUESTIONS_PER_ASSIGNMENT,
    Assignment,
    ImageLock,
    ImageUpload,
    OwnImage,
    QuestionAnswer,
    QuestionEdit,
    UploadState,
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
    ConfigurationError,
    ConflictError,
    EduportalError,
    ForbiddenError,
    NotFoundError,
    ValidationError,
)
from eduportal.domain.image_records import FINAL, ImageRecord, ImageStatus
from eduportal.imaging.optimize import OptimizedImage
from eduportal.imaging.picture import Picture
from eduportal.observability.logging import log_context
from eduportal.ports import (
    AnswerRepository,
    AssignmentRepository,
    Clock,
    ImageRecordRepository,
)
from eduportal.services.accounts import require_role
from eduportal.services.generation import GenerationService
from eduportal.services.image_store import ImageStore, StoredImage
from eduportal.services.read_cache import RecentCache
from eduportal.services.uploads import UploadService
from eduportal.services.variants import ImageVariants

log = logging.getLogger(__name__)

MAX_PAGE = 100


class Step(StrEnum):
    """The slow steps of creating an assignment, reported to the user as they start."""

    GENERATING_QUESTIONS = "Generating questions"
    GENERATING_IMAGE = "Generating the illustration"
    OPTIMIZING = "Optimizing the image"
    DESCRIBING = "Describing the image"
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
        generation: GenerationService,
        clock: Clock,
        *,
        cache_seconds: float = 10.0,
        records: ImageRecordRepository | None = None,
        uploads: UploadService | None = None,
        variants: ImageVariants | None = None,
    ) -> None:
        """`records` and `uploads` are the processing pipeline's, for teachers' own images;
        without them only generated illustrations can be stored. `variants` makes a stored
        illustration's AVIF and fallback in the background once its record names it;
        without it, only `eduportal image variants` makes them."""
        self.assignments = assignments
        self.answers = answers
        self.images = images
        self.generation = generation
        self.clock = clock
        self.records = records
        self.uploads = uploads
        self.variants = variants
        self._recent: RecentCache[str, Assignment] = RecentCache(cache_seconds)

    # -- generation (nothing is stored) ---------------------------------------------------------

    def generate_questions(self, teacher: Account, text: str) -> list[QuestionAnswer]:
        """Questions for `text`, numbered `q1`..; within the teacher's allowance
        (`GenerationService`: `RateLimitedError` past it)."""
        return numbered(self.generation.questions(teacher, text, QUESTIONS_PER_ASSIGNMENT))

    @property
    def image_source(self) -> str:
        """What made generated images, in words a page shows under one."""
        return self.generation.image_source

    def generate_image(self, teacher: Account, text: str, *, regenerate: bool = False) -> bytes:
        """The illustration's PNG, for a page to show and keep in the draft: from the
        generation cache when an identical request was made before, unless `regenerate` (the
        page's "Regenerate image"), which asks the model for a new one."""
        return self.generation.image(teacher, text, regenerate=regenerate)

    def describe_image(
        self,
        teacher: Account,
        image: bytes,
        *,
        text: str,
        title: str,
        question_answers: Sequence[tuple[str, str]] = (),
        origin: ImageOrigin = ImageOrigin.GENERATED,
    ) -> str:
        """Alt text for an image a page is about to show in a draft (a generated
        illustration, or the teacher's own file while its bytes are at hand), so the teacher
        reads and edits it before saving."""
        context = ImageContext(title, text, tuple(answer for _, answer in question_answers), origin)
        return self.generation.describe(teacher, image, context)

    # -- writes ---------------------------------------------------------------------------------

    def create(
        self,
        teacher: Account,
        prompt: str,
        question_answers: Sequence[QuestionAnswer],
        image: bytes | Picture | None = None,
        progress: Progress = _quiet,
        *,
        title: str | None = None,
        subject: str | None = None,
        upload: OwnImage | None = None,
        image_alt: str | None = None,
        image_alt_edited: bool = False,
    ) -> Assignment:
        """Save a reviewed assignment; with `image`, optimize and upload it first.

        `image_alt` is the alt text the page showed for the image it saves (the own image
        `upload` when there is one, else `image`), `image_alt_edited` when the teacher wrote
        it. Without it (the API), `image` is described once optimized, as part of this step.

        Without a `title`, the one proposed from the text (its first sentence) is used;
        `subject` is optional free text (`validate_subject`: empty means none).

        `upload` is a teacher's own image sent to the pipeline (`send_image`): when its
        record is `COMPLETED` the processed image is the assignment's at once and `image` is
        not stored; otherwise `image` (if any) is stored as the image to show meanwhile, and
        the assignment awaits the upload (`_settle` adopts or refuses it later).

        Raises the image's `ValidationError` or the storage error after its retries; in both
        cases nothing is saved, and the teacher can retry or save without an image.
        """
        require_role(teacher, Role.TEACHER)
        alt = validate_alt_text(image_alt or "")
        if upload is not None:
            upload = replace(upload, alt=alt or upload.alt)
            alt = None  # it describes the upload, not an image shown meanwhile
            if self._record(upload.image_id).status is ImageStatus.COMPLETED:
                image = None  # the teacher's own image is ready: nothing else need be stored
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
                if alt is None:
                    progress(Step.DESCRIBING)
                    alt = self._describe(teacher, assignment, optimized)
                    image_alt_edited = False
                progress(Step.UPLOADING)
                stored = self._store(assignment, optimized)
                assignment = _with_stored(assignment, stored, alt, edited=image_alt_edited)
            if upload is not None:
                assignment = assignment.awaiting(ImageUpload.of(upload, self.clock.now()))
            progress(Step.SAVING)
            try:
                self.assignments.add(assignment)
            except EduportalError:
                if stored is not None:
                    for key in (stored.key, *stored.thumbnail_keys):
                        self._discard(key)
                raise
            log.info("assignment created", extra={"has_image": assignment.has_image})
            if stored is not None:
                self._make_variants(stored)
            return self._settle(assignment)

    def create_from_text(
        self,
        teacher: Account,
        text: str,
        *,
        with_image: bool,
        title: str | None = None,
        subject: str | None = None,
        progress: Progress = _quiet,
        regenerate: bool = False,
    ) -> Assignment:
        """Generate and save in one go (the REST API's `POST /api/assignments`). The
        illustration comes from the generation cache unless `regenerate`; a new one drawn in
        this process is stored from its pixels (`GenerationService.illustration`)."""
        require_role(teacher, Role.TEACHER)
        progress(Step.GENERATING_QUESTIONS)
        questions = self.generate_questions(teacher, text)
        if not with_image:
            return self.create(
                teacher, text, questions, None, progress, title=title, subject=subject
            )
        progress(Step.GENERATING_IMAGE)
        with self.generation.illustration(teacher, text, regenerate=regenerate) as image:
            return self.create(
                teacher, text, questions, image, progress, title=title, subject=subject
            )

    def edit(
        self,
        teacher: Account,
        assignment_id: str,
        *,
        expected_version: int,
        title: str | None = None,
        subject: str | None = None,
        question_answers: Sequence[QuestionEdit] | None = None,
        image_alt: str | None = None,
    ) -> Assignment:
        """Save a teacher's edit of their assignment, made from the page at `expected_version`.

        None leaves a field as it is; `subject=""` removes the subject; `image_alt` is the
        image's description as the teacher wrote it ("" gives it back to the describer and
        the pages' sentence). `question_answers` is
        the whole new list, in order: an item with an id changes that question (its answers
        stay its own), a question left out is removed, an item without an id is added under an
        id never used in this assignment (`Assignment.with_questions`).

        Raises `ForbiddenError` unless `teacher` created it; `ConflictError` when the title,
        subject or questions changed after `expected_version` (reload and edit again; a change
        of the image alone, such as an own image adopted meanwhile, is no conflict) or while
        its image is being changed (try again in a moment); `ValidationError` with the
        sentence to show. An edit that changes nothing saves nothing and returns the
        assignment as it is.
        """
        current = self._owned(teacher, assignment_id)
        if current.content_version > expected_version or expected_version > current.version:
            # A copy another process changed may still be in the cache; the page reloads next.
            self._recent.put(assignment_id, current)
            raise edited_meanwhile(
                assignment_id, current.version, expected_version, where="service edit"
            )
        return self._edit(
            current,
            title=title,
            subject=subject,
            question_answers=question_answers,
            image_alt=image_alt,
        )

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
        """An image stored synchronously, as generated illustrations are (a teacher's own
        image goes through the pipeline instead: `use_image`); it supersedes an own image
        still awaited.

        The image is optimized and described before the record is claimed (the slow part,
        and a bad file must not block anyone), then stored and published under the claim. A
        description the teacher wrote is kept: this is a new picture of the same text.
        """
        current = self._owned(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            progress(Step.OPTIMIZING)
            optimized = self.images.optimize(image)
            alt = current.image_alt if current.image_alt_edited else None
            if alt is None:
                progress(Step.DESCRIBING)
                alt = self._describe(teacher, current, optimized)
            claimed = self._claim(current)
            progress(Step.UPLOADING)
            try:
                self.images.delete_variants(claimed.own_image_keys)
                stored = self._store(claimed, optimized)
            except EduportalError:
                self._release_quietly(claimed)
                raise
            progress(Step.SAVING)
            target = _with_stored(claimed, stored, alt, edited=current.image_alt_edited)
            published = self._publish(claimed, target)
            self._make_variants(stored)
            return published

    def remove_image(self, teacher: Account, assignment_id: str) -> Assignment:
        current = self._owned(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            claimed = self._claim(current)
            return self._publish(claimed, claimed.without_image())

    def delete(self, teacher: Account, assignment_id: str) -> None:
        """The record goes first (compare-and-set): a failure leaves at worst an orphan image.
        Its own objects go with it; a pipeline image stays with its image record."""
        current = self._owned_unlocked(teacher, assignment_id)
        with log_context(user=teacher.username, assignment_id=assignment_id):
            self._recent.forget(assignment_id)
            self.assignments.delete(assignment_id, expected_version=current.version)
            self.answers.delete_for_assignment(assignment_id)
            for key in current.own_image_keys:
                self._discard(key)
            log.info("assignment deleted")

    # -- own images, through the processing pipeline --------------------------------------------

    def send_image(
        self, teacher: Account, data: bytes, *, file_name: str, content_type: str | None = None
    ) -> ImageRecord:
        """A teacher's own image into the processing pipeline: stored under `uploads/` with
        its record `UPLOADED`, returned at once. Nothing is decoded here: the pipeline's
        validation decides from the bytes, and a refusal arrives as the record's reason.

        Raises `ValidationError` for an empty or oversized file and the storage error when the
        store refuses it (then nothing is recorded)."""
        uploads = self._uploads()
        uploads.authorize(teacher)
        with log_context(user=teacher.username):
            return uploads.upload(
                data, file_name=file_name, content_type=content_type, uploader=teacher.username
            )

    def image_progress(self, teacher: Account, image_id: str) -> ImageRecord:
        """The pipeline's record of an own image: its status and the stages done."""
        require_role(teacher, Role.TEACHER)
        return self._record(image_id)

    def use_image(self, teacher: Account, assignment_id: str, upload: OwnImage) -> Assignment:
        """Make the teacher's own image `upload` the assignment's: at once when the pipeline
        has completed it, else when it does; until then the assignment keeps its image. A newer
        choice (another upload, a removal) wins over one still awaited. A refused upload
        leaves the image as it was, with the reason recorded for the pages."""
        current = self._owned_unlocked(teacher, assignment_id)
        self._record(upload.image_id)  # a known upload, or a sentence now
        with log_context(user=teacher.username, assignment_id=assignment_id):
            awaiting = current.awaiting(ImageUpload.of(upload, self.clock.now())).next_version()
            self._save(awaiting, current.version)
            log.info("own image awaited", extra={"image_id": upload.image_id})
            return self._settle(awaiting)

    def upload_image(
        self,
        teacher: Account,
        assignment_id: str,
        data: bytes,
        *,
        file_name: str,
        content_type: str | None = None,
    ) -> Assignment:
        """`send_image` and `use_image` in one call (the REST API's own image)."""
        self.check_can_change(teacher, assignment_id)
        record = self.send_image(teacher, data, file_name=file_name, content_type=content_type)
        current = self.assignments.get(assignment_id)
        alt = self.generation.describe(teacher, data, _context(current, ImageOrigin.UPLOADED))
        upload = OwnImage(record.image_id, own_image_label(file_name), alt)
        return self.use_image(teacher, assignment_id, upload)

    def dismiss_image_problem(self, teacher: Account, assignment_id: str) -> Assignment:
        """Forget why the last own image was refused, once the teacher has read it."""
        current = self._owned_unlocked(teacher, assignment_id)
        if current.image_upload is None or current.image_upload.pending:
            return current
        dismissed = current.next_version(image_upload=None)
        self._save(dismissed, current.version)
        return dismissed

    def settle_image(self, image_id: str) -> None:
        """Adopt or refuse pipeline image `image_id` on every assignment awaiting it: what the
        pipeline's final events call. Never raises for storage trouble: an assignment that
        cannot be settled now is settled when it is next read."""
        try:
            waiting = self.assignments.awaiting_image(image_id)
        except EduportalError:
            log.warning("could not look for assignments awaiting an image", exc_info=True)
            return
        for assignment in waiting:
            self._recent.forget(assignment.assignment_id)
            self._settle(assignment)

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
        if assignment is None or assignment.awaits_image:  # an awaited image may be ready
            assignment = self._settle(self.assignments.get(assignment_id))
            self._recent.put(assignment_id, assignment)
        return assignment

    def peek(self, assignment_id: str) -> Assignment | None:
        """The assignment if recently read, without touching the database (for async callers);
        None for one awaiting its image, which `get` settles first."""
        found = self._recent.get(assignment_id)
        return None if found is None or found.awaits_image else found

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
        items = self.assignments.list(
            limit=limit, offset=offset, teacher_id=teacher_id, search=search
        )
        return Page(
            items=[self._settle(item) if item.awaits_image else item for item in items],
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
        image_alt: str | None = None,
    ) -> Assignment:
        """`edit` once ownership and the version are settled: the image lock, the rules, the
        compare-and-set save."""
        self._refuse_if_locked(current)
        edited = current
        if image_alt is not None:
            edited = _described(edited, validate_alt_text(image_alt))
        if question_answers is not None:
            edited = edited.with_questions(question_answers)
        if title is not None:
            edited = replace(edited, title=validate_title(title))
        if subject is not None:
            edited = replace(edited, subject=validate_subject(subject))
        if edited == current:
            return current
        updated = edited.next_version(content=True)
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

        The old objects are deleted while the claim still holds and only after the record has
        stopped naming them, so no record can point at them and nobody else can be rewriting
        them. Only the assignment's own objects are deleted (`own_image_keys`): a pipeline
        image stays with its image record.
        """
        stale = [key for key in claimed.own_image_keys if key not in target.image_keys]
        fresh = [key for key in target.own_image_keys if key not in claimed.image_keys]
        try:
            if not stale:
                return self._release(target)
            published = target.next_version()
            self._save(published, claimed.version)
        except ConflictError:
            # The claim expired and someone else took the record: touch nothing of theirs.
            log.warning("image claim lost before publishing", extra={"key": target.s3_image_key})
            raise
        except EduportalError:
            for key in fresh:
                self._discard(key)
            self._release_quietly(claimed)
            raise
        for key in stale:
            self._discard(key)
        try:
            return self._release(published)
        except EduportalError:
            log.warning("image lock not released; it expires by itself", exc_info=True)
            return published

    # -- settling an awaited own image ----------------------------------------------------------

    def _settle(self, assignment: Assignment) -> Assignment:
        """`assignment` with its awaited image adopted or refused when the pipeline is done
        with it; as it is otherwise (still processing, claimed by an image change, or storage
        failing: whoever looks next settles it).

        Idempotent and safe under races: each outcome is one compare-and-set from the version
        read, made only while that version still awaits this very upload. Whoever loses the
        race reads again and finds it settled, or awaiting a newer upload: an older upload can
        never replace a newer choice.
        """
        for _ in range(SETTLE_ROUNDS):
            upload = assignment.image_upload
            if upload is None or not upload.pending:
                return assignment
            try:
                record = self._awaited_record(assignment, upload.image_id)
                if record is None:
                    return self._refuse(assignment, UploadState.FAILED, _RECORD_MISSING)
                if record.status not in FINAL or assignment.locked_at(self.clock.now()):
                    return assignment
                with log_context(assignment_id=assignment.assignment_id, image_id=upload.image_id):
                    return self._apply(assignment, record)
            except ConflictError:
                try:  # someone else wrote it meanwhile: look again
                    assignment = self.assignments.get(assignment.assignment_id)
                except EduportalError:
                    return assignment
            except EduportalError:
                log.warning(
                    "own image not settled yet",
                    extra={"assignment_id": assignment.assignment_id},
                    exc_info=True,
                )
                return assignment
        return assignment

    def _awaited_record(self, assignment: Assignment, image_id: str) -> ImageRecord | None:
        """The record of the upload `assignment` awaits; None when there is none (it was
        written with the upload, so it will not come: the upload is given up)."""
        try:
            return self._records().get(image_id)
        except NotFoundError:
            log.warning(
                "the awaited image has no record",
                extra={"assignment_id": assignment.assignment_id, "image_id": image_id},
            )
            return None

    def _apply(self, awaiting: Assignment, record: ImageRecord) -> Assignment:
        """One compare-and-set from `awaiting` to the pipeline's outcome for `record`."""
        if record.status is ImageStatus.COMPLETED:
            try:
                stored = self._processed(record)
            except NotFoundError:
                return self._refuse(awaiting, UploadState.FAILED, _PROCESSED_MISSING)
            adopted = awaiting.with_image(
                stored.key,
                stored.url,
                stored.figures,
                stored.attempts,
                record.thumbnail_keys,
                alt=awaiting.image_upload.alt if awaiting.image_upload else None,
            )
            return self._switch(awaiting, adopted)
        if record.status is ImageStatus.REJECTED:
            return self._refuse(awaiting, UploadState.REJECTED, record.reason or _REJECTED)
        message = record.failure.message if record.failure else _FAILED
        return self._refuse(awaiting, UploadState.FAILED, message)

    def _processed(self, record: ImageRecord) -> StoredImage:
        if record.processed_key is None:
            raise NotFoundError(detail=f"image {record.image_id} completed without an image")
        return self.images.stored(record.processed_key, original_size_bytes=record.size_bytes)

    def _switch(self, current: Assignment, adopted: Assignment) -> Assignment:
        """Save `adopted` in place of `current`; the objects only `current` named are deleted
        under a claim saved in the same write, then the claim is released (no other writer
        can be storing those keys meanwhile, as in `_publish`)."""
        stale = [key for key in current.own_image_keys if key not in adopted.image_keys]
        if not stale:
            published = adopted.next_version()
            self._save(published, current.version)
            log.info("own image adopted", extra={"key": adopted.s3_image_key})
            return published
        lock = ImageLock(secrets.token_hex(8), self.clock.now() + IMAGE_LOCK_SECONDS)
        claimed = adopted.next_version(image_lock=lock)
        self._save(claimed, current.version)
        log.info("own image adopted", extra={"key": adopted.s3_image_key})
        for key in stale:
            self._discard(key)
        try:
            return self._release(claimed)
        except EduportalError:
            log.warning("image lock not released; it expires by itself", exc_info=True)
            return claimed

    def _refuse(self, awaiting: Assignment, state: UploadState, message: str) -> Assignment:
        refused = awaiting.refused(state, message).next_version()
        self._save(refused, awaiting.version)
        log.info("own image refused", extra={"state": state.value})
        return refused

    def _record(self, image_id: str) -> ImageRecord:
        """The pipeline's record of an own image; a sentence when there is none."""
        try:
            return self._records().get(image_id)
        except NotFoundError:
            raise NotFoundError(
                "This image was not found. Please choose the file again.",
                detail=f"no image record {image_id}",
            ) from None

    def _records(self) -> ImageRecordRepository:
        if self.records is None:
            raise _no_pipeline()
        return self.records

    def _uploads(self) -> UploadService:
        if self.uploads is None:
            raise _no_pipeline()
        return self.uploads

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

    def _describe(self, teacher: Account, assignment: Assignment, optimized: OptimizedImage) -> str:
        """The generated illustration described from its optimized bytes: at most 1024 px
        a side and WebP or PNG, which a model takes as they are."""
        context = _context(assignment, ImageOrigin.GENERATED)
        return self.generation.describe(teacher, optimized.data, context)

    def _make_variants(self, stored: StoredImage) -> None:
        """In the background, after the record names the image: never on the request's
        time, and never for an image a failed save discards."""
        if self.variants is not None:
            self.variants.in_background((stored.key, *stored.thumbnail_keys))

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

SETTLE_ROUNDS = 3
"""Compare-and-set attempts to settle an awaited image: each lost round means another write
landed meanwhile, which almost always settles it or supersedes the upload."""

_REJECTED = "This file could not be used as an image."
_FAILED = "The image could not be processed."
_PROCESSED_MISSING = "The processed image is missing. Please choose the file again."
_RECORD_MISSING = "This image was not found. Please choose the file again."


def _no_pipeline() -> ConfigurationError:
    return ConfigurationError(
        "Own images cannot be processed here.",
        detail="AssignmentService built without the pipeline's records and uploads",
    )


def own_image_label(file_name: str) -> str:
    """What a page shows under a teacher's own image: "Your image: photo.jpg"."""
    name = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip() or "image"
    return f"Your image: {name}"[:300]


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


def _with_stored(
    assignment: Assignment, stored: StoredImage, alt: str | None, *, edited: bool
) -> Assignment:
    return assignment.with_image(
        stored.key,
        stored.url,
        stored.figures,
        stored.attempts,
        stored.thumbnail_keys,
        alt=alt,
        alt_edited=edited,
    )


def _described(assignment: Assignment, alt: str | None) -> Assignment:
    """`assignment` with the teacher's description of its image; unchanged when it is the
    one it has (saving a page untouched does not make the describer's words the teacher's)."""
    if alt == assignment.image_alt:
        return assignment
    if not assignment.has_image:
        raise ValidationError("This assignment has no image to describe.")
    return replace(assignment, image_alt=alt, image_alt_edited=alt is not None)


def _context(assignment: Assignment, origin: ImageOrigin) -> ImageContext:
    """What describing an image of `assignment` starts from."""
    answers = tuple(qa.answer for qa in assignment.question_answers)
    return ImageContext(assignment.title, assignment.prompt, answers, origin)
