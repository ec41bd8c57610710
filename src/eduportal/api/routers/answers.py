"""Answering, leaderboards and reference answers; the rules are the grading service's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query

from eduportal.api.dependencies import Grading, SignedIn
from eduportal.api.errors import error_responses
from eduportal.api.routers.assignments import AssignmentId
from eduportal.api.schemas import AnswerRequest, AnswerResponse, LeaderboardRow, RevealResponse

router = APIRouter(prefix="/api/assignments", tags=["answers"])

QuestionId = Annotated[str, Path(min_length=1, max_length=16)]


@router.post(
    "/{assignment_id}/answers",
    responses=error_responses(401, 403, 404, 413, 422, 502, 503),
    summary="Answer a question (students): score, best score, top five, suggestions",
)
def answer(
    assignment_id: AssignmentId, body: AnswerRequest, user: SignedIn, grading: Grading
) -> AnswerResponse:
    """Recorded under the signed-in student, whatever the body says. After the student has
    revealed the reference answer, answers are scored but `counted` is false."""
    result = grading.answer(user, assignment_id, body.question_id, body.answer)
    return AnswerResponse.of(result)


@router.get(
    "/{assignment_id}/leaderboard",
    responses=error_responses(401, 404, 422, 503),
    summary="Top five per question, or of one question",
)
def leaderboard(
    assignment_id: AssignmentId,
    user: SignedIn,
    grading: Grading,
    question_id: Annotated[str | None, Query(min_length=1, max_length=16)] = None,
) -> dict[str, list[LeaderboardRow]]:
    boards = grading.leaderboards(assignment_id, question_id)
    return {qid: [LeaderboardRow.of(row) for row in rows] for qid, rows in boards.items()}


@router.get(
    "/{assignment_id}/questions/{question_id}/answer",
    responses=error_responses(401, 403, 404, 422, 503),
    summary="The reference answer: teachers always, students after answering once",
)
def reveal(
    assignment_id: AssignmentId, question_id: QuestionId, user: SignedIn, grading: Grading
) -> RevealResponse:
    """For a student this is final: later answers to the question no longer count."""
    return RevealResponse(
        question_id=question_id, answer=grading.reveal(user, assignment_id, question_id)
    )
