"""Assignments: a teacher's text, five questions with answers, and an image (or none).

Question ids are given once and never again within an assignment: answers are recorded by
assignment id and question id, so an id that moved to another question would hand that
question the old one's answers and scores. Creation numbers `q1`..`qN`; an edit keeps the id of
every question it keeps and numbers an added question after the highest number the assignment
has ever used (`last_question_number`), so a removed question's id is never given again.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from typing import Any

from eduportal.domain.alt_text import validate_alt_text
from eduportal.domain.errors import ConflictError, ValidationError
from eduportal.domain.images import ImageFigures, UploadStatus
from eduportal.domain.keys import NO_IMAGE, generated_image_owner, thumbnail_size, validate_id

QUESTIONS_PER_ASSIGNMENT = 5
MAX_QUESTIONS = 10
"""An assignment holds 1 to this many questions: five are generated, an edit may change that."""
MAX_PROMPT_CHARS = 20_000
MAX_FIELD_CHARS = 2_000
MAX_TITLE_CHARS = 120
PROPOSED_TITLE_CHARS = 70
MAX_SUBJECT_CHARS = 60
MAX_SEARCH_CHARS = 100

LEGACY_QUESTION_NUMBERS = 10
"""What a document saved before `last_question_number` existed may have used. Edits then
renumbered the questions by position, `q1` up to at most `q10`, so answers may be logged under
any of those ids; such a document's next added question is `q11`, whatever it shows now."""

_QUESTION_ID = re.compile(r"q([0-9]{1,9})")


def new_assignment_id(now: float | None = None) -> str:
    """Milliseconds since the epoch and 6 random hex digits: sorts by time, never collides."""
    millis = int((time.time() if now is None else now) * 1000)
    return f"{millis:013d}-{secrets.token_hex(3)}"


@dataclass(frozen=True, slots=True)
class QuestionAnswer:
    id: str
    question: str
    answer: str

    def __post_init__(self) -> None:
        if not self.question.strip() or not self.answer.strip():
            raise ValidationError("Every question needs a question and an answer.")
        if len(self.question) > MAX_FIELD_CHARS or len(self.answer) > MAX_FIELD_CHARS:
            raise ValidationError(
                f"Questions and answers are limited to {MAX_FIELD_CHARS} characters."
            )

    def as_dict(self) -> dict[str, str]:
        return {"id": self.id, "question": self.question, "answer": self.answer}


@dataclass(frozen=True, slots=True)
class EditedQuestion:
    """A question as an edit sends it: `id` names the question it changes, None adds one."""

    id: str | None
    question: str
    answer: str


QuestionEdit = QuestionAnswer | EditedQuestion
"""An item of an edit's question list: a `QuestionAnswer` the page read (edited or not)
names its question by id just as an `EditedQuestion` does."""


def numbered(pairs: list[tuple[str, str]]) -> list[QuestionAnswer]:
    """A new assignment's questions, `q1`..`qN`: short in URLs; edits keep them (module doc)."""
    return [
        QuestionAnswer(id=f"q{index}", question=question.strip(), answer=answer.strip())
        for index, (question, answer) in enumerate(pairs, start=1)
    ]


def validate_prompt(text: str) -> str:
    text = text.strip()
    if not text:
        raise ValidationError("Please enter a text to build the assignment from.")
    if len(text) > MAX_PROMPT_CHARS:
        raise ValidationError(f"The text is limited to {MAX_PROMPT_CHARS} characters.")
    return text


def checked_questions(question_answers: Sequence[QuestionAnswer]) -> tuple[QuestionAnswer, ...]:
    if not 1 <= len(question_answers) <= MAX_QUESTIONS:
        raise ValidationError(f"An assignment has 1 to {MAX_QUESTIONS} questions.")
    return tuple(question_answers)


def edited_meanwhile(
    assignment_id: str, stored_version: int, expected_version: int, *, where: str
) -> ConflictError:
    """A compare-and-set that lost, or an edit made from a stale page: what every repository
    and the service raise, with `where` it happened. The versions go to the log, not the
    sentence: a teacher reads it, and "version 2" is the portal's word, not theirs."""
    return ConflictError(
        "This assignment was changed meanwhile, in another tab or by someone else: reload to "
        "see the latest, then make your change again.",
        detail=f"{where}: assignment {assignment_id} is at version {stored_version}, "
        f"the change was made from version {expected_version}",
    )


def propose_title(text: str) -> str:
    """The text's first sentence, cut at a word near `PROPOSED_TITLE_CHARS`: what a teacher
    would most often call it, and a start they can edit."""
    first = re.split(r"(?<=[.!?])\s+", " ".join(text.split()), maxsplit=1)[0].rstrip(".!?")
    if len(first) <= PROPOSED_TITLE_CHARS:
        return first
    cut = first[:PROPOSED_TITLE_CHARS].rsplit(" ", 1)[0].rstrip(",;:")
    return f"{cut}…"


def validate_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationError("Please give the assignment a title.")
    if len(title) > MAX_TITLE_CHARS:
        raise ValidationError(f"A title has at most {MAX_TITLE_CHARS} characters.")
    return title


def validate_subject(subject: str) -> str | None:
    """One line, trimmed; empty means the assignment has no subject."""
    subject = " ".join(subject.split())
    if len(subject) > MAX_SUBJECT_CHARS:
        raise ValidationError(f"A subject has at most {MAX_SUBJECT_CHARS} characters.")
    return subject or None


def validate_search(search: str | None) -> str | None:
    """Trimmed; empty means no search. Bounded because every listing scans with it, and free of
    control characters, which no one types into a search box and MongoDB refuses in a regex."""
    search = (search or "").strip()
    if len(search) > MAX_SEARCH_CHARS:
        raise ValidationError(f"A search has at most {MAX_SEARCH_CHARS} characters.")
    if any(ord(char) < 32 or ord(char) == 127 for char in search):
        raise ValidationError("A search is one line of text, without control characters.")
    return search or None


@dataclass(frozen=True, slots=True)
class ImageLock:
    """Who is changing an assignment's image, and until when the claim holds.

    Replacing or removing an image touches two stores that share no transaction (the object
    store and the database), so the writer first claims the record with a compare-and-set;
    while the claim holds nobody else changes the record or its objects, and a writer that
    dies only blocks changes until `expires_at`.
    """

    owner: str
    expires_at: float

    def as_dict(self) -> dict[str, str | float]:
        return {"owner": self.owner, "expires_at": self.expires_at}


class UploadState(StrEnum):
    """Where a teacher's own image for an assignment stands (`ImageUpload`)."""

    PENDING = "pending"
    """In the processing pipeline: adopted as the assignment's image once `COMPLETED`."""
    REJECTED = "rejected"
    """The pipeline refused the file (not an image, damaged, over the limits)."""
    FAILED = "failed"
    """The pipeline could not process it after its retries."""


MAX_UPLOAD_LABEL_CHARS = 300
"""The label under an own image ("Your image: photo.jpg"): room for a 255-character name."""


@dataclass(frozen=True, slots=True)
class OwnImage:
    """A teacher's own image sent to the processing pipeline: its image id there, and the
    label a page shows under it ("Your image: photo.jpg"). What a page holds (and a draft
    keeps) between choosing the file and saving."""

    image_id: str
    label: str
    alt: str | None = None
    """Its alt text, described when it was sent (the bytes are at hand only then)."""

    def __post_init__(self) -> None:
        validate_id(self.image_id, "image id")
        if not self.label.strip():
            raise ValidationError("Please say where the image comes from.")
        if len(self.label) > MAX_UPLOAD_LABEL_CHARS:
            raise ValidationError(
                f"The image's label is limited to {MAX_UPLOAD_LABEL_CHARS} characters."
            )
        object.__setattr__(self, "alt", validate_alt_text(self.alt or ""))

    def as_dict(self) -> dict[str, str | None]:
        return {"image_id": self.image_id, "label": self.label, "alt": self.alt}

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> OwnImage:
        return cls(str(item["image_id"]), str(item["label"]), item.get("alt"))


@dataclass(frozen=True, slots=True)
class ImageUpload:
    """A teacher's own image for this assignment, sent through the processing pipeline.

    While `PENDING` the assignment keeps the image it had (or none): an image is replaced only
    by one that is ready. When the pipeline's record is `COMPLETED` its processed image becomes
    the assignment's image and this goes; when it is refused, this stays with the state and
    the pipeline's sentence, so the pages can say why, until the next image change.
    """

    image_id: str
    """The pipeline's image id (`uploads/{image_id}/...`, `processed/{image_id}.webp`)."""
    label: str
    since: float
    state: UploadState = UploadState.PENDING
    message: str | None = None
    """Why it was refused: the pipeline's sentence (the record's reason or failure)."""
    alt: str | None = None
    """The alt text the image gets when adopted (`OwnImage.alt`)."""

    def __post_init__(self) -> None:
        validate_id(self.image_id, "image id")
        if len(self.label) > MAX_UPLOAD_LABEL_CHARS:
            raise ValidationError(
                f"The image's label is limited to {MAX_UPLOAD_LABEL_CHARS} characters."
            )

    @classmethod
    def of(cls, chosen: OwnImage, since: float) -> ImageUpload:
        return cls(chosen.image_id, chosen.label, since, alt=chosen.alt)

    @property
    def pending(self) -> bool:
        return self.state is UploadState.PENDING

    def as_dict(self) -> dict[str, Any]:
        return {
            "image_id": self.image_id,
            "label": self.label,
            "since": self.since,
            "state": self.state.value,
            "message": self.message,
            "alt": self.alt,
        }

    @classmethod
    def from_dict(cls, item: dict[str, Any]) -> ImageUpload:
        message = item.get("message")
        return cls(
            image_id=str(item["image_id"]),
            label=str(item.get("label") or ""),
            since=float(item["since"]),
            state=UploadState(item.get("state", UploadState.PENDING)),
            message=str(message) if message is not None else None,
            alt=item.get("alt"),
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    """The assignment document: the fields of ARCHITECTURE.md, a version and an image lock.

    `version` grows by one with every saved change; repositories save only when the stored
    version is the one the change was made from (compare-and-set), so two concurrent edits
    cannot silently overwrite each other.
    """

    assignment_id: str
    teacher_id: str
    prompt: str
    question_answers: tuple[QuestionAnswer, ...]
    s3_image_key: str = NO_IMAGE
    cloudfront_url: str | None = None
    image_metadata: ImageFigures | None = None
    s3_upload_status: UploadStatus = UploadStatus.NO_IMAGE
    s3_upload_attempts: int = 0
    created_at: float = field(default_factory=time.time)
    title: str = ""
    """Shown wherever the assignment is named; proposed from the text when none is given."""
    version: int = 1
    image_lock: ImageLock | None = None
    subject: str | None = None
    """Free text such as "Biology" (`validate_subject`); None when the teacher gave none."""
    last_question_number: int = 0
    """The highest `qN` this assignment has ever used, removed questions included; never
    less than its questions' own numbers (raised to them on construction)."""
    thumbnail_keys: tuple[str, ...] = ()
    """Small copies of the image for lists (`thumbnails/{image_id}/{size}.webp` of a pipeline
    image, `generated_images/{assignment_id}/{size}.webp` of a generated one); empty for
    images stored before thumbnails were made, which lists then show whole."""
    image_upload: ImageUpload | None = None
    """The teacher's own image on its way through the pipeline, or why it was refused."""
    content_version: int = 0
    """The version at which the title, subject or questions last changed: an edit made from
    an older page is refused only when these changed since, not when the image alone did
    (a pipeline image adopted in the background must not make a teacher's edit a conflict).
    0 on construction means "this version"; never above `version`."""
    image_alt: str | None = None
    """The image's alt text (`domain.alt_text`): described when the image came, editable by
    the teacher; None for images stored before, which pages describe by the title."""
    image_alt_edited: bool = False
    """The teacher wrote `image_alt`: a regenerated illustration keeps it (a new picture of
    the same text), a different image replaces it."""

    def __post_init__(self) -> None:
        validate_id(self.assignment_id, "assignment id")
        object.__setattr__(self, "image_alt", validate_alt_text(self.image_alt or ""))
        if not self.title:
            object.__setattr__(self, "title", propose_title(self.prompt) or self.assignment_id)
        if not self.question_answers:
            raise ValidationError("An assignment needs at least one question.")
        ids = [qa.id for qa in self.question_answers]
        if len(set(ids)) != len(ids):
            raise ValidationError("Question ids must be unique within an assignment.")
        highest = max((_question_number(qid) for qid in ids), default=0)
        if self.last_question_number < highest:
            object.__setattr__(self, "last_question_number", highest)
        if not 0 < self.content_version <= self.version:
            object.__setattr__(self, "content_version", self.version)

    @property
    def has_image(self) -> bool:
        return self.s3_image_key != NO_IMAGE

    def locked_at(self, now: float) -> bool:
        """True while someone's claim on the image is still valid."""
        return self.image_lock is not None and self.image_lock.expires_at > now

    def next_version(self, *, content: bool = False, **changes: Any) -> Assignment:
        """This assignment with `changes`, as the version that saving it will create;
        `content` when the title, subject or questions change (`content_version`)."""
        version = self.version + 1
        kept = version if content else self.content_version
        return replace(self, **changes, version=version, content_version=kept)

    @property
    def awaits_image(self) -> bool:
        """True while a teacher's own image is in the pipeline for this assignment."""
        return self.image_upload is not None and self.image_upload.pending

    @property
    def image_keys(self) -> tuple[str, ...]:
        """Every object the assignment's image is made of: the image and its thumbnails."""
        return ((self.s3_image_key,) if self.has_image else ()) + self.thumbnail_keys

    @property
    def own_image_keys(self) -> tuple[str, ...]:
        """The objects only this assignment names (its generated illustration and that one's
        thumbnails), which it deletes when it stops naming them. A pipeline image belongs to
        its image record, which keeps naming it after the assignment moves on."""
        owner = self.assignment_id
        return tuple(key for key in self.image_keys if generated_image_owner(key) == owner)

    def thumbnail_for(self, css_pixels: int, *, density: int = 2) -> str:
        """The key to show the image `css_pixels` wide: the smallest thumbnail that stays
        sharp on a screen of `density` device pixels per CSS pixel, else the image itself."""
        wanted = css_pixels * density
        sizes = sorted(
            (size, key)
            for key in self.thumbnail_keys
            if (size := thumbnail_size(key)) is not None and size >= wanted
        )
        return sizes[0][1] if sizes else self.s3_image_key

    def question(self, question_id: str) -> QuestionAnswer:
        for qa in self.question_answers:
            if qa.id == question_id:
                return qa
        raise ValidationError(f"This assignment has no question {question_id[:20]!r}.")

    def with_questions(self, edits: Sequence[QuestionEdit]) -> Assignment:
        """The questions as `edits` list them, in that order (the version is the caller's).

        An edit with an id changes that question and keeps its id, and so its answers; a
        question left out is removed, its answers staying in the log under an id no other
        question will get; an edit without an id is a new question, numbered after the
        highest number ever used. Leading and trailing blanks are trimmed; line breaks inside
        a question or answer are kept.
        """
        number = self.last_question_number
        questions: list[QuestionAnswer] = []
        for edit in edits:
            if edit.id is None:
                number += 1
                question_id = f"q{number}"
            else:
                question_id = self.question(edit.id).id
            questions.append(
                QuestionAnswer(question_id, edit.question.strip(), edit.answer.strip())
            )
        return replace(
            self, question_answers=checked_questions(questions), last_question_number=number
        )

    def with_image(
        self,
        key: str,
        url: str | None,
        figures: ImageFigures,
        attempts: int,
        thumbnail_keys: tuple[str, ...] = (),
        *,
        alt: str | None = None,
        alt_edited: bool = False,
    ) -> Assignment:
        """The assignment showing this image, described by `alt` (`alt_edited` when the
        teacher wrote it); an own image still in the pipeline is superseded by it (the newer
        choice wins)."""
        return replace(
            self,
            s3_image_key=key,
            cloudfront_url=url,
            image_metadata=figures,
            s3_upload_status=UploadStatus.SUCCESS,
            s3_upload_attempts=attempts,
            thumbnail_keys=tuple(thumbnail_keys),
            image_upload=None,
            image_alt=alt,
            image_alt_edited=alt_edited,
        )

    def without_image(self) -> Assignment:
        return replace(
            self,
            s3_image_key=NO_IMAGE,
            cloudfront_url=None,
            image_metadata=None,
            s3_upload_status=UploadStatus.NO_IMAGE,
            s3_upload_attempts=0,
            thumbnail_keys=(),
            image_upload=None,
            image_alt=None,
            image_alt_edited=False,
        )

    def awaiting(self, upload: ImageUpload) -> Assignment:
        """Waiting for `upload` (replacing any upload awaited before: the newer one wins),
        showing the image it has meanwhile."""
        status = self.s3_upload_status if self.has_image else UploadStatus.PENDING
        return replace(self, image_upload=upload, s3_upload_status=status)

    def refused(self, state: UploadState, message: str) -> Assignment:
        """The awaited upload refused: the image stays as it was (or none), with the reason."""
        if self.image_upload is None:
            raise ValueError("no image upload to refuse")
        status = self.s3_upload_status if self.has_image else UploadStatus.NO_IMAGE
        upload = replace(self.image_upload, state=state, message=message)
        return replace(self, image_upload=upload, s3_upload_status=status)

    def to_document(self) -> dict[str, Any]:
        return {
            "assignment_id": self.assignment_id,
            "teacher_id": self.teacher_id,
            "prompt": self.prompt,
            "question_answers": [qa.as_dict() for qa in self.question_answers],
            "s3_image_key": self.s3_image_key,
            "cloudfront_url": self.cloudfront_url,
            "image_metadata": self.image_metadata.as_dict() if self.image_metadata else None,
            "s3_upload_status": self.s3_upload_status.value,
            "s3_upload_attempts": self.s3_upload_attempts,
            "created_at": self.created_at,
            "title": self.title,
            "version": self.version,
            "image_lock": self.image_lock.as_dict() if self.image_lock else None,
            "subject": self.subject,
            "last_question_number": self.last_question_number,
            "thumbnail_keys": list(self.thumbnail_keys),
            "image_upload": self.image_upload.as_dict() if self.image_upload else None,
            "content_version": self.content_version,
            "image_alt": self.image_alt,
            "image_alt_edited": self.image_alt_edited,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Assignment:
        metadata = doc.get("image_metadata")
        lock = doc.get("image_lock")
        upload = doc.get("image_upload")
        return cls(
            assignment_id=str(doc["assignment_id"]),
            teacher_id=str(doc["teacher_id"]),
            prompt=str(doc["prompt"]),
            question_answers=tuple(
                QuestionAnswer(
                    id=str(qa["id"]), question=str(qa["question"]), answer=str(qa["answer"])
                )
                for qa in doc["question_answers"]
            ),
            s3_image_key=str(doc.get("s3_image_key", NO_IMAGE)),
            cloudfront_url=doc.get("cloudfront_url"),
            image_metadata=ImageFigures(**metadata) if metadata else None,
            s3_upload_status=UploadStatus(doc.get("s3_upload_status", UploadStatus.NO_IMAGE)),
            s3_upload_attempts=int(doc.get("s3_upload_attempts", 0)),
            created_at=float(doc["created_at"]),
            title=str(doc.get("title") or ""),
            version=int(doc.get("version", 1)),
            image_lock=ImageLock(str(lock["owner"]), float(lock["expires_at"])) if lock else None,
            subject=str(doc["subject"]) if doc.get("subject") else None,
            last_question_number=int(doc.get("last_question_number", LEGACY_QUESTION_NUMBERS)),
            thumbnail_keys=tuple(str(key) for key in doc.get("thumbnail_keys") or ()),
            image_upload=ImageUpload.from_dict(upload) if upload else None,
            content_version=int(doc.get("content_version") or 0),
            image_alt=doc.get("image_alt"),
            image_alt_edited=bool(doc.get("image_alt_edited", False)),
        )


def _question_number(question_id: str) -> int:
    """`q7` → 7; ids of another shape (none are made, but a document may hold one) → 0."""
    match = _QUESTION_ID.fullmatch(question_id)
    return int(match.group(1)) if match else 0
