"""Results: an assignment's table and CSV for its teacher, score overrides, a student's own
results; the rules are the results service's."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from eduportal.api.dependencies import Results, SignedIn
from eduportal.api.errors import error_responses
from eduportal.api.routers.answers import QuestionId
from eduportal.api.routers.assignments import AssignmentId
from eduportal.api.schemas import (
    AssignmentResultsView,
    OwnAssignmentResult,
    ResultCell,
    ScoreRequest,
)
from eduportal.services.results_export import results_csv, results_filename

router = APIRouter(tags=["results"])

StudentId = Annotated[str, Path(min_length=1, max_length=64)]
_SCORE = "/api/assignments/{assignment_id}/questions/{question_id}/scores/{student_id}"


@router.get(
    "/api/assignments/{assignment_id}/results",
    responses=error_responses(401, 403, 404, 503),
    summary="Every student who answered, by question (the teacher who created it)",
)
def results(assignment_id: AssignmentId, user: SignedIn, service: Results) -> AssignmentResultsView:
    """Per student and answered question: the effective best score, attempts, whether the
    reference answer was revealed, the answer, the engine that scored it, its flags and the
    teacher's override; per student the total and the average over the questions answered."""
    return AssignmentResultsView.of(service.results(user, assignment_id))


@router.get(
    "/api/assignments/{assignment_id}/results.csv",
    response_class=Response,
    responses={
        200: {
            "content": {"text/csv": {}},
            "description": "student, Q1 score, Q1 attempts, ..., average; one row per student",
        },
        **error_responses(401, 403, 404, 503),
    },
    summary="The results as a CSV download (the teacher who created it)",
)
def results_as_csv(assignment_id: AssignmentId, user: SignedIn, service: Results) -> Response:
    table = service.results(user, assignment_id)
    return Response(
        results_csv(table),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{results_filename(table.title)}"'},
    )


@router.put(
    _SCORE,
    responses=error_responses(401, 403, 404, 409, 503),
    summary="Set a student's score on a question, 0-100 (the teacher who created it)",
)
def override_score(
    assignment_id: AssignmentId,
    question_id: QuestionId,
    student_id: StudentId,
    body: ScoreRequest,
    user: SignedIn,
    service: Results,
) -> ResultCell:
    """It becomes the student's best score and their leaderboard score, until an answer
    that counts scores higher or the teacher clears it."""
    return ResultCell.of(service.override(user, assignment_id, question_id, student_id, body.score))


@router.delete(
    _SCORE,
    responses=error_responses(401, 403, 404, 409, 503),
    summary="Clear the teacher's score: back to the scorer's (the teacher who created it)",
)
def clear_score(
    assignment_id: AssignmentId,
    question_id: QuestionId,
    student_id: StudentId,
    user: SignedIn,
    service: Results,
) -> ResultCell:
    """The best score returns to the scorer's best counted answer; without an override
    nothing changes."""
    return ResultCell.of(service.clear_override(user, assignment_id, question_id, student_id))


@router.get(
    "/api/me/results",
    responses=error_responses(401, 403, 503),
    summary="The signed-in student's results on every assignment they answered",
)
def own_results(user: SignedIn, service: Results) -> list[OwnAssignmentResult]:
    """Newest assignment first; per question the best score (the teacher's if set),
    attempts and whether the reference answer was revealed."""
    return [OwnAssignmentResult.of(result) for result in service.student_results(user)]
