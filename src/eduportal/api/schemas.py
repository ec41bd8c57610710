"""The REST API's request and response bodies (and so its OpenAPI documentation)."""

from __future__ import annotations

from pydantic import BaseModel, Field

from eduportal.domain.accounts import Role
from eduportal.domain.assignments import (
    MAX_FIELD_CHARS,
    MAX_PROMPT_CHARS,
    MAX_QUESTIONS,
    MAX_SUBJECT_CHARS,
    MAX_TITLE_CHARS,
    Assignment,
    EditedQuestion,
)
from eduportal.domain.grading import MAX_ANSWER_CHARS, LeaderboardEntry
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


class ImageMetadataView(BaseModel):
    original_size_bytes: int
    optimized_size_bytes: int
    compression_ratio: float
    format: str
    dimensions: str


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

    @classmethod
    def of(cls, assignment: Assignment, *, show_answers: bool) -> AssignmentView:
        """`show_answers` is the service's decision (`AssignmentService.may_see_answers`)."""
        document = assignment.to_document()
        if not show_answers:
            for question in document["question_answers"]:
                question["answer"] = None
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
    score: float = Field(description="0-100, cosine similarity to the reference answer")
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
