"""Assignments: create, list and search, read, edit, delete, and their image.

Uploads are read by hand (`api/multipart.py`) rather than declared as a `File` parameter,
because FastAPI parses a declared form before it runs any dependency: this way the bearer token
and the teacher's right to change the assignment are checked first, and a refused upload is
never parsed.
"""

from __future__ import annotations

from functools import partial
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request, Response, status
from starlette.concurrency import run_in_threadpool

from eduportal.api.dependencies import BEARER, Assignments, SignedIn, container, signed_in
from eduportal.api.errors import error_responses
from eduportal.api.multipart import FILE_FIELD_BODY, read_file_field
from eduportal.api.schemas import (
    AssignmentPage,
    AssignmentView,
    CreateAssignmentRequest,
    EditAssignmentRequest,
    UpdateQuestionsRequest,
)
from eduportal.domain.accounts import Account
from eduportal.domain.assignments import MAX_SEARCH_CHARS, Assignment
from eduportal.services.assignments import MAX_OFFSET, MAX_PAGE, AssignmentService
from eduportal.services.read_cache import RenderCache

router = APIRouter(prefix="/api/assignments", tags=["assignments"])
_views: RenderCache[tuple[str, bool], Assignment, str] = RenderCache()
"""The JSON of `GET /{assignment_id}` by (assignment id, answers shown)."""

AssignmentId = Annotated[str, Path(min_length=1, max_length=64)]
UPLOAD_ROUTE = "upload_image"
"""The route that takes `EDUPORTAL_MAX_UPLOAD_BYTES`; every other body gets the JSON limit."""


def view(service: AssignmentService, assignment: Assignment, viewer: Account) -> AssignmentView:
    return AssignmentView.of(assignment, show_answers=service.may_see_answers(viewer, assignment))


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    responses=error_responses(401, 403, 413, 422, 429, 502, 503, 504),
    summary="Generate questions and an illustration from a text, and save the assignment",
)
def create_assignment(
    body: CreateAssignmentRequest, user: SignedIn, service: Assignments
) -> AssignmentView:
    """Each teacher may generate a limited number of sets of questions and of illustrations
    in a moving window (the portal's settings); past either, the answer is 429 with a
    sentence and `Retry-After`. An illustration reused from the generation cache (the same
    text, model and settings as before; see `regenerate`) does not count."""
    created = service.create_from_text(
        user,
        body.text,
        with_image=body.with_image,
        title=body.title,
        subject=body.subject,
        regenerate=body.regenerate,
    )
    return view(service, created, user)


@router.get(
    "",
    responses=error_responses(401, 422, 503),
    summary="Assignments, newest first, searched and only one's own on request; students see "
    "no reference answers",
)
def list_assignments(
    user: SignedIn,
    service: Assignments,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 20,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET)] = 0,
    search: Annotated[
        str | None,
        Query(
            description="Only assignments whose title, subject or text contains this, ignoring "
            f"case; every character is literal; at most {MAX_SEARCH_CHARS} characters"
        ),
    ] = None,
    mine: Annotated[
        bool, Query(description="Only the signed-in teacher's own assignments")
    ] = False,
) -> AssignmentPage:
    """`total` counts every assignment that matches, for paging through them."""
    teacher_id = user.username if mine else None
    page = service.list(limit=limit, offset=offset, teacher_id=teacher_id, search=search)
    return AssignmentPage(
        items=[view(service, item, user) for item in page.items],
        total=page.total,
        limit=page.limit,
        offset=page.offset,
    )


@router.get(
    "/{assignment_id}",
    response_model=AssignmentView,
    responses=error_responses(401, 404, 422, 503),
    openapi_extra=BEARER,
    summary="One assignment; students see no reference answers",
)
async def get_assignment(assignment_id: AssignmentId, request: Request) -> Response:
    """Answered from the recent-reads caches on the event loop; a thread only on a miss.

    The hottest read, so it skips two costs that were most of it (bench/hot_paths.py): it
    signs the caller in by hand (`signed_in`, the same checks as `SignedIn` without FastAPI's
    dependency solving), and it keeps the JSON of each assignment for each view of it
    (`_views`: with or without the answers) for as long as the cache holds that same
    assignment, so an edit, which stores a new one, is read at once."""
    user = await signed_in(request)
    service = container(request).assignments
    found = service.peek(assignment_id)
    if found is None:
        found = await run_in_threadpool(service.get, assignment_id)
    show = service.may_see_answers(user, found)
    body = _views.get(
        (assignment_id, show),
        found,
        lambda assignment: AssignmentView.of(assignment, show_answers=show).model_dump_json(),
    )
    return Response(body, media_type="application/json")


@router.patch(
    "/{assignment_id}",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
    summary="Edit the title, subject, questions or image description (the teacher who "
    "created it), from the "
    "version read; 409 when the title, subject or questions changed since",
)
def edit_assignment(
    assignment_id: AssignmentId, body: EditAssignmentRequest, user: SignedIn, service: Assignments
) -> AssignmentView:
    edited = service.edit(
        user,
        assignment_id,
        expected_version=body.version,
        title=body.title,
        subject=body.subject_change(),
        question_answers=body.question_edits(),
        image_alt=body.image_alt,
    )
    return view(service, edited, user)


@router.put(
    "/{assignment_id}/questions",
    responses=error_responses(401, 403, 404, 409, 413, 422, 503),
    summary="Replace the questions (the teacher who created it); items with an id keep it",
)
def update_questions(
    assignment_id: AssignmentId, body: UpdateQuestionsRequest, user: SignedIn, service: Assignments
) -> AssignmentView:
    """Items without an id are new questions: an id is never given to another question, so
    answers stay with the question they were given to."""
    edits = [item.edited() for item in body.question_answers]
    return view(service, service.update_questions(user, assignment_id, edits), user)


@router.delete(
    "/{assignment_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 409, 503),
    summary="Delete the assignment, its answers and its image (the teacher who created it)",
)
def delete_assignment(
    assignment_id: AssignmentId, user: SignedIn, service: Assignments
) -> Response:
    service.delete(user, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post(
    "/{assignment_id}/image",
    name=UPLOAD_ROUTE,
    status_code=status.HTTP_202_ACCEPTED,
    openapi_extra=FILE_FIELD_BODY,
    responses=error_responses(400, 401, 403, 404, 408, 409, 413, 422, 502, 503, 504),
    summary="Replace the image with an own one: accepted into the processing pipeline, it "
    "becomes the image when processed",
)
async def upload_image(
    assignment_id: AssignmentId, request: Request, user: SignedIn, service: Assignments
) -> AssignmentView:
    """Multipart form with one field, `file`. Refused before parsing unless the caller may
    change the assignment. Answered at once (202) with the assignment awaiting the image
    (`image_upload`, state `pending`) and still showing its current one; the pipeline
    validates it and makes the processed image (WebP, at most 1024 px, no metadata), which
    then replaces the current one. A file the pipeline refuses leaves the image as it was and
    `image_upload` says why (state `rejected` or `failed`). Read the assignment again to see
    the outcome, or follow `GET /api/uploads/{image_id}`."""
    await run_in_threadpool(service.check_can_change, user, assignment_id)
    upload = await read_file_field(request)
    updated = await run_in_threadpool(
        partial(
            service.upload_image,
            user,
            assignment_id,
            upload.data,
            file_name=upload.name or "image",
            content_type=upload.content_type,
        )
    )
    return view(service, updated, user)


@router.delete(
    "/{assignment_id}/image",
    responses=error_responses(401, 403, 404, 409, 503),
    summary="Remove the image: the assignment keeps its questions, without an illustration",
)
def remove_image(
    assignment_id: AssignmentId, user: SignedIn, service: Assignments
) -> AssignmentView:
    return view(service, service.remove_image(user, assignment_id), user)


@router.post(
    "/{assignment_id}/image/permanent",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401, 403, 404, 409, 422, 503),
    summary="Keep the image out of the archiving and expiry rules",
)
def keep_image(assignment_id: AssignmentId, user: SignedIn, service: Assignments) -> Response:
    service.mark_image_permanent(user, assignment_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
