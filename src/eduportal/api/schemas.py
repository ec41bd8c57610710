"""The REST API's request and response bodies (and so its OpenAPI documentation)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, Field

from eduportal.domain.accounts import Role
from eduportal.domain.alt_text import MAX_ALT_CHARS
from eduportal.domain.assignments import (
    MAX_FIELD_CHARS,
    MAX_PROMPT_CHARS,
    MAX_QUESTIONS,
    MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
    Assignment,
    EditedQuestion,
)
from eduportal.domain.grading import MAX_ANSWER_CHARS, LeaderboardEntry, QuestionProgress
from eduportal.domain.image_records import ImageRecord, ImageStatus, StageAttempt, upload_day
from eduportal.domain.images import MAX_PLACEHOLDER_CHARS
from eduportal.domain.results import AssignmentResults, StudentResult
from eduportal.services.grading import AnswerResult


class LoginRequest(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=256)


class LoginResponse(BaseModel):
    token: str
    token_type: str = "bearer"  # noqa: S105 - the OAuth 2 token type, not a secret
    username: str
    role: Role
    expires_at: float


class CreateAssignmentRequest(BaseModel):
    text: str = Field(min_length=1, max_length=MAX_PROMPT_CHARS)
    with_image: bool = True
    title: str | None = Field(
        None,
        min_length=1,
        max_length=MAX_TITLE_CHARS,
        description="Proposed from the text's first sentence when omitted",
    )
    subject: str | None = Field(
        None, max_length=MAX_SUBJECT_CHARS, description='Free text such as "Biology"; optional'
    )
    regenerate: bool = Field(
        False,
        description="Draw a new illustration even when the same text was illustrated before "
        "(by the same model, with the same settings). By default that illustration is reused "
        "from the generation cache, which costs no model call and none of the teacher's "
        "allowance of illustrations; a new one counts against it and replaces the cached one.",
    )


class QuestionIn(BaseModel):
    id: str | None = Field(
        None,
        min_length=1,
        max_length=16,
        description="The id of the question this item changes, which keeps its answers; "
        "omitted for a new question, which gets an id this assignment never used",
    )
    question: str = Field(min_length=1, max_length=MAX_FIELD_CHARS)
    answer: str = Field(min_length=1, max_length=MAX_FIELD_CHARS)

    def edited(self) -> EditedQuestion:
        return EditedQuestion(self.id, self.question, self.answer)


class UpdateQuestionsRequest(BaseModel):
    question_answers: list[QuestionIn] = Field(
        min_length=1,
        max_length=MAX_QUESTIONS,
        description="The whole list, in order: questions left out are removed",
    )


class EditAssignmentRequest(BaseModel):
    """What a teacher changed; a field left out stays as it is."""

    version: int = Field(
        ge=1,
        description="The version the edit was made from; 409 when another was saved since",
    )
    title: str | None = Field(None, min_length=1, max_length=MAX_TITLE_CHARS)
    subject: str | None = Field(
        None, max_length=MAX_SUBJECT_CHARS, description='"" or null removes the subject'
    )
    question_answers: list[QuestionIn] | None = Field(
        None,
        min_length=1,
        max_length=MAX_QUESTIONS,
        description="The whole list, in order: questions left out are removed",
    )
    image_alt: str | None = Field(
        None,
        max_length=MAX_ALT_CHARS,
        description="The image's description for screen readers (its alt text), one short "
        'sentence; "" hands it back to the portal\'s own description',
    )

    def subject_change(self) -> str | None:
        """None leaves the subject; "" (sent as "" or null) removes it."""
        if "subject" not in self.model_fields_set:
            return None
        return self.subject or ""

    def question_edits(self) -> list[EditedQuestion] | None:
        if self.question_answers is None:
            return None
        return [item.edited() for item in self.question_answers]


class QuestionView(BaseModel):
    id: str
    question: str
    answer: str | None = Field(None, description="Omitted for students")


PLACEHOLDER_DESCRIPTION = (
    "A preview of the image, a few hundred bytes: a `data:image/webp;base64,...` URI (at most "
    f"{MAX_PLACEHOLDER_CHARS} characters) of it shrunk to 20 px across. Paint it stretched over "
    "the image's box and blurred (CSS `filter: blur()`, or an SVG blur), then hide it once "
    "the image has loaded: one with transparency would show it through. Null for images "
    "stored before previews were made."
)


class ImageMetadataView(BaseModel):
    original_size_bytes: int
    optimized_size_bytes: int
    compression_ratio: float
    format: str
    dimensions: str
    quality: int | None = Field(
        None, description="WebP's quality, chosen for this image; null when lossless"
    )
    mode: str | None = Field(
        None,
        description="lossy, lossless, or near-lossless (a palette of 256 colours, lossless); "
        "null for images stored before encodings were recorded",
    )
    ssim: float | None = Field(
        None,
        description="luma SSIM of the stored image against the resized original (1.0: "
        "identical); null when a fixed quality was used",
    )
    placeholder: str | None = Field(None, description=PLACEHOLDER_DESCRIPTION)


class ImageUploadView(BaseModel):
    """A teacher's own image on its way through the processing pipeline (`GET
    /api/uploads/{image_id}` has its stages), or why it was refused."""

    image_id: str
    label: str
    since: float
    state: str = Field(description="pending, rejected or failed")
    message: str | None = Field(None, description="Why it was refused, in a sentence")


class AssignmentView(BaseModel):
    assignment_id: str
    title: str
    subject: str | None
    teacher_id: str
    prompt: str
    question_answers: list[QuestionView]
    s3_image_key: str
    cloudfront_url: str | None
    image_metadata: ImageMetadataView | None
    s3_upload_status: str
    s3_upload_attempts: int
    created_at: float
    version: int = Field(description="Grows by one with every saved change")
    thumbnail_keys: list[str] = Field(
        default_factory=list, description="Small copies of the image, for lists"
    )
    image_alt: str | None = Field(
        None,
        description="The image's alt text: described when the image came (by the model on "
        "AWS, from the text and questions offline), or as its teacher wrote it; null for "
        "images stored before descriptions were made",
    )
    image_upload: ImageUploadView | None = Field(
        None,
        description="The author's own image while the pipeline processes it (the image above "
        "stays, or `s3_upload_status` is `pending` and there is none yet), or why it was "
        "refused; omitted for students",
    )

    @classmethod
    def of(cls, assignment: Assignment, *, show_answers: bool) -> AssignmentView:
        """`show_answers` is the service's decision (`AssignmentService.may_see_answers`);
        whoever may not see the answers does not see a teacher's upload either."""
        document = assignment.to_document()
        if not show_answers:
            for question in document["question_answers"]:
                question["answer"] = None
            document["image_upload"] = None
        return cls.model_validate(document)


class AssignmentPage(BaseModel):
    items: list[AssignmentView]
    total: int
    limit: int
    offset: int


class AnswerRequest(BaseModel):
    question_id: str = Field(min_length=1, max_length=16)
    answer: str = Field(min_length=1, max_length=MAX_ANSWER_CHARS)


class LeaderboardRow(BaseModel):
    rank: int
    student_id: str
    best_score: float

    @classmethod
    def of(cls, entry: LeaderboardEntry) -> LeaderboardRow:
        return cls(rank=entry.rank, student_id=entry.student_id, best_score=entry.best_score)


class SuggestionsView(BaseModel):
    corrected: str
    rephrased: str


class AnswerResponse(BaseModel):
    score: float = Field(description="0-100: how well the answer says what the reference says")
    engine: str = Field(description="The scorer that scored it (a model's name, or `lexical`)")
    best_score: float
    counted: bool = Field(
        description="False once the student has revealed the reference answer: the answer "
        "is scored and kept, but no longer raises the best score or the leaderboard place"
    )
    leaderboard: list[LeaderboardRow]
    suggestions: SuggestionsView

    @classmethod
    def of(cls, result: AnswerResult) -> AnswerResponse:
        return cls(
            score=result.score,
            engine=result.engine,
            best_score=result.best_score,
            counted=result.counted,
            leaderboard=[LeaderboardRow.of(entry) for entry in result.leaderboard],
            suggestions=SuggestionsView(
                corrected=result.suggestions.corrected, rephrased=result.suggestions.rephrased
            ),
        )


class RevealResponse(BaseModel):
    question_id: str
    answer: str


class OverrideView(BaseModel):
    scored: float = Field(description="What the scorer gave the answer the override judged")
    by: str = Field(description="The teacher who set it")
    at: float


class ResultCell(BaseModel):
    """One student's best answer to one question, as the assignment's teacher sees it."""

    best_score: float | None = Field(description="The effective best: the teacher's if set")
    attempts: int
    revealed: bool = Field(description="Whether the student has seen the reference answer")
    answer: str = Field(description="The answer that holds the best score")
    engine: str = Field(description="The scorer that scored that answer")
    flags: list[str] = Field(description="The scorer's reasons to look at that answer again")
    override: OverrideView | None = Field(description="The teacher's override, if one stands")

    @classmethod
    def of(cls, progress: QuestionProgress) -> ResultCell:
        kept = progress.override
        return cls(
            best_score=progress.best_score,
            attempts=progress.attempts,
            revealed=progress.revealed,
            answer=progress.answer,
            engine=progress.engine,
            flags=list(progress.flags),
            override=None
            if kept is None
            else OverrideView(scored=kept.scored, by=kept.by, at=kept.at),
        )


class StudentResultsRow(BaseModel):
    student_id: str
    scores: dict[str, ResultCell] = Field(description="By question id, answered ones only")
    answered: int
    total: float
    average: float | None = Field(description="Over the questions answered")


class AssignmentResultsView(BaseModel):
    assignment_id: str
    title: str
    questions: list[QuestionView]
    students: list[StudentResultsRow] = Field(
        description="Every student who answered, by user name"
    )

    @classmethod
    def of(cls, results: AssignmentResults) -> AssignmentResultsView:
        return cls(
            assignment_id=results.assignment_id,
            title=results.title,
            questions=[QuestionView.model_validate(qa.as_dict()) for qa in results.questions],
            students=[
                StudentResultsRow(
                    student_id=row.student_id,
                    scores={qid: ResultCell.of(p) for qid, p in row.progress.items()},
                    answered=row.answered,
                    total=row.total,
                    average=row.average,
                )
                for row in results.students
            ],
        )


class ScoreRequest(BaseModel):
    score: float = Field(description="0-100; anything else is refused with a sentence")


class OwnQuestionResult(BaseModel):
    question_id: str
    best_score: float | None = Field(description="None while unanswered")
    attempts: int
    revealed: bool
    overridden: bool = Field(description="Whether the teacher set this score")

    @classmethod
    def of(cls, question_id: str, progress: QuestionProgress) -> OwnQuestionResult:
        return cls(
            question_id=question_id,
            best_score=progress.best_score,
            attempts=progress.attempts,
            revealed=progress.revealed,
            overridden=progress.overridden,
        )


class OwnAssignmentResult(BaseModel):
    assignment_id: str
    title: str
    answered: int
    total_questions: int
    average: float | None = Field(description="Over the questions answered")
    questions: list[OwnQuestionResult] = Field(description="Every question, in order")

    @classmethod
    def of(cls, result: StudentResult) -> OwnAssignmentResult:
        answered = result.scores.progress
        return cls(
            assignment_id=result.assignment_id,
            title=result.title,
            answered=result.scores.answered,
            total_questions=len(result.question_ids),
            average=result.scores.average,
            questions=[
                OwnQuestionResult.of(qid, answered.get(qid, QuestionProgress()))
                for qid in result.question_ids
            ],
        )


# --- Uploads into the processing pipeline ------------------------------------------------------

UrlFor = Callable[[str], str | None]
"""The image store's URL for a key (`ImageStore.url_for`): the CDN's, else the origin's."""


def _moment(timestamp: float) -> datetime:
    """Times go out as ISO 8601 in UTC."""
    return datetime.fromtimestamp(timestamp, UTC)


def upload_path(image_id: str) -> str:
    return f"/api/uploads/{image_id}"


class UploadLinks(BaseModel):
    self_: str = Field(serialization_alias="self", description="This record, to follow it")
    thumbnail: str | None = Field(description="The smallest thumbnail, once processed")


class UploadSummary(BaseModel):
    """An upload's record at a glance: what a listing shows, and what an upload answers."""

    image_id: str
    key: str = Field(description="Where the upload is stored (`uploads/{image_id}/{name}`)")
    file_name: str
    status: ImageStatus
    run: int = Field(description="1, and one more for each redrive")
    uploaded_at: datetime
    updated_at: datetime
    size_bytes: int
    content_type: str = Field(description="As the uploader declared it")
    links: UploadLinks
    placeholder: str | None = Field(
        None,
        description="The processed image's preview, for it and its thumbnails; null until "
        f"it is processed. {PLACEHOLDER_DESCRIPTION}",
    )

    @classmethod
    def of(cls, record: ImageRecord, url_for: UrlFor) -> UploadSummary:
        return cls.model_validate(_summary_fields(record, url_for))


def _summary_fields(record: ImageRecord, url_for: UrlFor) -> dict[str, Any]:
    thumbnail = url_for(record.thumbnail_keys[0]) if record.thumbnail_keys else None
    return {
        "image_id": record.image_id,
        "key": record.key,
        "file_name": record.file_name,
        "status": record.status,
        "run": record.run,
        "uploaded_at": _moment(record.uploaded_at),
        "updated_at": _moment(record.updated_at),
        "size_bytes": record.size_bytes,
        "content_type": record.content_type,
        "links": UploadLinks(self_=upload_path(record.image_id), thumbnail=thumbnail),
        "placeholder": record.placeholder,
    }


class StageTry(BaseModel):
    """One try of one stage: the timeline is every try in order."""

    stage: str
    outcome: str = Field(description="completed, retrying, rejected or failed")
    started_at: datetime
    finished_at: datetime
    seconds: float
    message: str | None = Field(description="Why a try did not complete")

    @classmethod
    def of(cls, attempt: StageAttempt) -> StageTry:
        return cls(
            stage=attempt.stage.value,
            outcome=attempt.outcome.value,
            started_at=_moment(attempt.started_at),
            finished_at=_moment(attempt.at),
            seconds=round(attempt.seconds, 4),
            message=attempt.message,
        )


class StoredOutput(BaseModel):
    key: str
    url: str | None = Field(
        description="Where a browser fetches it; null for the archive, which no origin serves"
    )


class UploadFailure(BaseModel):
    stage: str
    message: str
    attempts: int = Field(description="Tries of that stage in the failed run")


class UploadRecordView(UploadSummary):
    """An upload's whole record: its stages, its outputs, and why it stopped if it did."""

    upload_date: str = Field(description="The UTC day it was uploaded on, YYYY-MM-DD")
    stages: list[StageTry] = Field(description="Every try of every stage, oldest first")
    processed: StoredOutput | None
    thumbnails: list[StoredOutput] = Field(description="Smallest first")
    archive: StoredOutput | None = Field(description="The upload as it came, kept apart")
    metadata: dict[str, Any] = Field(
        description="Width, height, format, mode and an EXIF summary without GPS"
    )
    reason: str | None = Field(description="Why it was rejected, for the uploader")
    failure: UploadFailure | None

    @classmethod
    def of(cls, record: ImageRecord, url_for: UrlFor) -> UploadRecordView:
        def served(key: str) -> StoredOutput:
            return StoredOutput(key=key, url=url_for(key))

        failure = record.failure
        return cls.model_validate(
            {
                **_summary_fields(record, url_for),
                "upload_date": upload_day(record.uploaded_at),
                "stages": [StageTry.of(attempt) for attempt in record.history],
                "processed": served(record.processed_key) if record.processed_key else None,
                "thumbnails": [served(key) for key in record.thumbnail_keys],
                "archive": StoredOutput(key=record.archive_key, url=None)
                if record.archive_key
                else None,
                "metadata": record.metadata,
                "reason": record.reason,
                "failure": None
                if failure is None
                else UploadFailure(
                    stage=failure.stage.value, message=failure.message, attempts=failure.attempts
                ),
            }
        )


class UploadPage(BaseModel):
    items: list[UploadSummary] = Field(description="Newest upload first")
    limit: int
    offset: int
    next: str | None = Field(
        description="The next page's address, when this page came back full (it may be empty)"
    )
