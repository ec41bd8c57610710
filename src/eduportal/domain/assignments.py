"""Assignments: a teacher's text, five questions with answers, and an image (or none)."""

from __future__ import annotations

import re
import secrets
import time
from dataclasses import dataclass, field, replace
from typing import Any

from eduportal.domain.errors import ConflictError, ValidationError
from eduportal.domain.images import ImageFigures, UploadStatus
from eduportal.domain.keys import NO_IMAGE, validate_id

QUESTIONS_PER_ASSIGNMENT = 5
MAX_QUESTIONS = 10
"""An assignment holds 1 to this many questions: five are generated, an edit may change that."""
MAX_PROMPT_CHARS = 20_000
MAX_FIELD_CHARS = 2_000
MAX_TITLE_CHARS = 120
PROPOSED_TITLE_CHARS = 70


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


def numbered(pairs: list[tuple[str, str]]) -> list[QuestionAnswer]:
    """Question ids are positions (`q1`..`q5`): stable across edits, short in URLs."""
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


def edited_meanwhile(
    assignment_id: str, stored_version: int, expected_version: int, *, where: str
) -> ConflictError:
    """A compare-and-set that lost: what every repository raises, with `where` it happened."""
    return ConflictError(
        "Someone else changed this assignment at the same time. Please reload it and try again.",
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

    def __post_init__(self) -> None:
        validate_id(self.assignment_id, "assignment id")
        if not self.title:
            object.__setattr__(self, "title", propose_title(self.prompt) or self.assignment_id)
        if not self.question_answers:
            raise ValidationError("An assignment needs at least one question.")
        ids = [qa.id for qa in self.question_answers]
        if len(set(ids)) != len(ids):
            raise ValidationError("Question ids must be unique within an assignment.")

    @property
    def has_image(self) -> bool:
        return self.s3_image_key != NO_IMAGE

    def locked_at(self, now: float) -> bool:
        """True while someone's claim on the image is still valid."""
        return self.image_lock is not None and self.image_lock.expires_at > now

    def next_version(self, **changes: Any) -> Assignment:
        """This assignment with `changes`, as the version that saving it will create."""
        return replace(self, **changes, version=self.version + 1)

    def question(self, question_id: str) -> QuestionAnswer:
        for qa in self.question_answers:
            if qa.id == question_id:
                return qa
        raise ValidationError(f"This assignment has no question {question_id[:20]!r}.")

    def with_image(
        self, key: str, url: str | None, figures: ImageFigures, attempts: int
    ) -> Assignment:
        return replace(
            self,
            s3_image_key=key,
            cloudfront_url=url,
            image_metadata=figures,
            s3_upload_status=UploadStatus.SUCCESS,
            s3_upload_attempts=attempts,
        )

    def without_image(self) -> Assignment:
        return replace(
            self,
            s3_image_key=NO_IMAGE,
            cloudfront_url=None,
            image_metadata=None,
            s3_upload_status=UploadStatus.NO_IMAGE,
            s3_upload_attempts=0,
        )

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
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Assignment:
        metadata = doc.get("image_metadata")
        lock = doc.get("image_lock")
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
        )
