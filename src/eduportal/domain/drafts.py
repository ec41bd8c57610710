"""A teacher's unsaved work on the Create page, kept per account so that it survives a refresh.

A draft is what the page shows while it is being edited, not an assignment yet: any field may
be empty or half-written. It is bounded by the limits an assignment has (the same constants),
so no draft can grow past what saving it could ever accept. Its image is a reference to bytes
in the object store (`DraftImage`), never the bytes themselves.

`version` grows by one with every save, and a save lands only on the version it was made from
(compare-and-set): two tabs of one teacher cannot silently overwrite each other's newer work.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from eduportal.domain.alt_text import MAX_ALT_CHARS
from eduportal.domain.assignments import (
    MAX_FIELD_CHARS,
    MAX_PROMPT_CHARS,
    MAX_QUESTIONS,
    MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
    OwnImage,
)
from eduportal.domain.errors import ConflictError, ValidationError
from eduportal.domain.keys import DRAFTS_PREFIX, validate_key

MAX_IMAGE_LABEL_CHARS: Final = 300
"""The label under the image ("Your image: photo.jpg"): room for a 255-character file name."""

NO_DRAFT: Final = 0
"""The version a save expects when the teacher has no draft yet: it creates one."""


@dataclass(frozen=True, slots=True)
class DraftQuestion:
    """One question and its answer as edited: either may be empty while the teacher types."""

    question: str
    answer: str

    def __post_init__(self) -> None:
        if len(self.question) > MAX_FIELD_CHARS or len(self.answer) > MAX_FIELD_CHARS:
            raise ValidationError(
                f"Questions and answers are limited to {MAX_FIELD_CHARS} characters."
            )


@dataclass(frozen=True, slots=True)
class DraftImage:
    """The chosen image: where its bytes are stored, their SHA-256, and the page's label.

    The digest lets a save that did not change the image keep the stored object instead of
    writing the same bytes again.
    """

    key: str
    sha256: str
    label: str

    def __post_init__(self) -> None:
        validate_key(self.key)
        if not self.key.startswith(DRAFTS_PREFIX):
            raise ValidationError(f"A draft's image key starts with {DRAFTS_PREFIX!r}.")
        if not self.label.strip():
            raise ValidationError("Please say where the image comes from.")
        if len(self.label) > MAX_IMAGE_LABEL_CHARS:
            raise ValidationError(
                f"The image's label is limited to {MAX_IMAGE_LABEL_CHARS} characters."
            )

    def as_dict(self) -> dict[str, str]:
        return {"key": self.key, "sha256": self.sha256, "label": self.label}


@dataclass(frozen=True, slots=True)
class Draft:
    """The page's state as last saved: title, subject, text, questions as edited, the chosen
    image."""

    title: str
    text: str
    questions: tuple[DraftQuestion, ...]
    image: DraftImage | None
    updated_at: float
    version: int
    subject: str = ""
    upload: OwnImage | None = None
    """An own image chosen: the processing pipeline's image id, not the bytes (the pipeline
    stores the upload once, under `uploads/`, and keeps it with its record), so a reload
    finds it and its progress again and nothing is written under `drafts/` for it. `image`
    may be kept beside it (the illustration shown before), to fall back on should the
    pipeline refuse the upload."""
    image_alt: str = ""
    """The alt text of the image the draft would be saved with, as the page shows it."""
    image_alt_edited: bool = False
    """The teacher changed `image_alt`: regenerating the illustration keeps it."""

    def __post_init__(self) -> None:
        if len(self.image_alt) > MAX_ALT_CHARS:
            raise ValidationError(f"An image description has at most {MAX_ALT_CHARS} characters.")
        if len(self.title) > MAX_TITLE_CHARS:
            raise ValidationError(f"A title has at most {MAX_TITLE_CHARS} characters.")
        if len(self.subject) > MAX_SUBJECT_CHARS:
            raise ValidationError(f"A subject has at most {MAX_SUBJECT_CHARS} characters.")
        if len(self.text) > MAX_PROMPT_CHARS:
            raise ValidationError(f"The text is limited to {MAX_PROMPT_CHARS} characters.")
        if len(self.questions) > MAX_QUESTIONS:
            raise ValidationError(f"A draft holds at most {MAX_QUESTIONS} questions.")
        if self.version < 1:
            raise ValidationError(f"A saved draft has a version of 1 or more, not {self.version}.")

    def to_document(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "subject": self.subject,
            "text": self.text,
            "questions": [{"question": q.question, "answer": q.answer} for q in self.questions],
            "image": self.image.as_dict() if self.image else None,
            "updated_at": self.updated_at,
            "version": self.version,
            "upload": self.upload.as_dict() if self.upload else None,
            "image_alt": self.image_alt,
            "image_alt_edited": self.image_alt_edited,
        }

    @classmethod
    def from_document(cls, doc: dict[str, Any]) -> Draft:
        image = doc.get("image")
        upload = doc.get("upload")
        return cls(
            title=str(doc["title"]),
            text=str(doc["text"]),
            questions=tuple(
                DraftQuestion(str(q["question"]), str(q["answer"])) for q in doc["questions"]
            ),
            image=DraftImage(str(image["key"]), str(image["sha256"]), str(image["label"]))
            if image
            else None,
            updated_at=float(doc["updated_at"]),
            version=int(doc["version"]),
            subject=str(doc.get("subject", "")),
            upload=OwnImage.from_dict(upload) if upload else None,
            image_alt=str(doc.get("image_alt") or ""),
            image_alt_edited=bool(doc.get("image_alt_edited", False)),
        )


def draft_changed_meanwhile(
    username: str, stored_version: int, expected_version: int, *, where: str
) -> ConflictError:
    """A draft save that lost its compare-and-set (`stored_version` `NO_DRAFT`: discarded).

    What every repository and the service raise, so the page shows one sentence.
    """
    stored = "no draft" if stored_version == NO_DRAFT else f"version {stored_version}"
    return ConflictError(
        "This draft was changed in another tab or window. "
        "Please reload the page to continue from the newer version.",
        detail=f"{where}: the draft of {username} is at {stored}, "
        f"the save was made from version {expected_version}",
    )
