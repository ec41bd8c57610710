"""The REST API of the portal: login, assignments, images, answers, leaderboards.

Every route but login authenticates a bearer token; the services authorize by role, so the
API, the UI and the CLI enforce the same rules. Most handlers are plain functions: FastAPI runs
them in its thread pool, where blocking on the database, the object store and image work is
fine. Authentication and `GET /api/assignments/{id}`, the hot reads, are coroutines that answer
from the services' recent-reads caches on the event loop and take a thread only on a miss.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, File, Header, Query, Request, Response, UploadFile, status
from starlette.concurrency import run_in_threadpool

from eduportal.api.schemas import (
    AnswerRequest,
    AnswerResponse,
    AssignmentPage,
    AssignmentView,
    CreateAssignmentRequest,
    LeaderboardRow,
    LoginRequest,
    LoginResponse,
    RevealResponse,
    UpdateQuestionsRequest,
)
from eduportal.domain.accounts import Account
from eduportal.domain.assignments import numbered
from eduportal.domain.errors import UnauthenticatedError, ValidationError
from eduportal.services.accounts import AccountService
from eduportal.wiring import Container


async def bearer(authorization: Annotated[str | None, Header()] = None) -> str:
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise UnauthenticatedError(detail="missing or malformed Authorization header")
    return token.strip()


async def current_account(request: Request, token: Annotated[str, Depends(bearer)]) -> Account:
    accounts: AccountService = request.app.state.container.accounts
    account = accounts.peek(token)
    if account is None:
        account = await run_in_threadpool(accounts.authenticate, token)
    return account


SignedIn = Annotated[Account, Depends(current_account)]


def portal_router(container: Container) -> APIRouter:
    """Routes over the container's services (the app must keep it in `app.state.container`)."""
    router = APIRouter(prefix="/api")
    accounts, assignments, grading = container.accounts, container.assignments, container.grading
    max_upload = container.settings.max_upload_bytes

    @router.post("/login", tags=["accounts"])
    def login(body: LoginRequest) -> LoginResponse:
        signed_in = accounts.login(body.username, body.password)
        return LoginResponse(
            token=signed_in.token,
            username=signed_in.account.username,
            role=signed_in.account.role,
            expires_at=signed_in.expires_at,
        )

    @router.post("/logout", status_code=status.HTTP_204_NO_CONTENT, tags=["accounts"])
    def logout(token: Annotated[str, Depends(bearer)]) -> Response:
        accounts.logout(token)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post("/assignments", status_code=status.HTTP_201_CREATED, tags=["assignments"])
    def create_assignment(body: CreateAssignmentRequest, user: SignedIn) -> AssignmentView:
        created = assignments.create_from_text(user, body.text, with_image=body.with_image)
        return AssignmentView.of(created, user)

    @router.get("/assignments", tags=["assignments"])
    def list_assignments(
        user: SignedIn,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> AssignmentPage:
        page = assignments.list(limit=limit, offset=offset)
        return AssignmentPage(
            items=[AssignmentView.of(item, user) for item in page.items],
            total=page.total,
            limit=page.limit,
            offset=page.offset,
        )

    @router.get("/assignments/{assignment_id}", tags=["assignments"])
    async def get_assignment(assignment_id: str, user: SignedIn) -> AssignmentView:
        found = assignments.peek(assignment_id)
        if found is None:
            found = await run_in_threadpool(assignments.get, assignment_id)
        return AssignmentView.of(found, user)

    @router.put("/assignments/{assignment_id}/questions", tags=["assignments"])
    def update_questions(
        assignment_id: str, body: UpdateQuestionsRequest, user: SignedIn
    ) -> AssignmentView:
        pairs = [(item.question, item.answer) for item in body.question_answers]
        updated = assignments.update_questions(user, assignment_id, numbered(pairs))
        return AssignmentView.of(updated, user)

    @router.delete(
        "/assignments/{assignment_id}",
        status_code=status.HTTP_204_NO_CONTENT,
        tags=["assignments"],
    )
    def delete_assignment(assignment_id: str, user: SignedIn) -> Response:
        assignments.delete(user, assignment_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post("/assignments/{assignment_id}/image", tags=["assignments"])
    def upload_image(
        assignment_id: str,
        user: SignedIn,
        file: Annotated[UploadFile, File()],
    ) -> AssignmentView:
        data = file.file.read(max_upload + 1)
        if len(data) > max_upload:
            raise ValidationError(
                f"The image is larger than {max_upload / 1e6:.1f} MB, the largest we accept."
            )
        return AssignmentView.of(assignments.replace_image(user, assignment_id, data), user)

    @router.post(
        "/assignments/{assignment_id}/image/permanent",
        status_code=status.HTTP_204_NO_CONTENT,
        tags=["assignments"],
    )
    def keep_image(assignment_id: str, user: SignedIn) -> Response:
        assignments.mark_image_permanent(user, assignment_id)
        return Response(status_code=status.HTTP_204_NO_CONTENT)

    @router.post("/assignments/{assignment_id}/answers", tags=["answers"])
    def answer(assignment_id: str, body: AnswerRequest, user: SignedIn) -> AnswerResponse:
        result = grading.answer(user, assignment_id, body.question_id, body.answer)
        return AnswerResponse.of(result)

    @router.get("/assignments/{assignment_id}/leaderboard", tags=["answers"])
    def leaderboard(
        assignment_id: str,
        user: SignedIn,
        question_id: Annotated[str | None, Query(max_length=16)] = None,
    ) -> dict[str, list[LeaderboardRow]]:
        """Top five per question; `question_id` narrows it to one question."""
        assignment = assignments.get(assignment_id)
        ids = [question_id] if question_id else [qa.id for qa in assignment.question_answers]
        return {
            qid: [LeaderboardRow.of(row) for row in grading.leaderboard(assignment_id, qid)]
            for qid in ids
        }

    @router.get("/assignments/{assignment_id}/questions/{question_id}/answer", tags=["answers"])
    def reveal(assignment_id: str, question_id: str, user: SignedIn) -> RevealResponse:
        """The reference answer, for a student who asks to see it."""
        return RevealResponse(
            question_id=question_id, answer=grading.reveal(assignment_id, question_id)
        )

    return router
