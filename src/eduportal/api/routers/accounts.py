"""Signing in and out.

Sign-in is a coroutine that hands the password check to a thread through a capacity limiter
as small as the service's hashing bound: a flood of sign-ins waits on the event loop, costing
no thread and no memory, instead of parking the thread pool that every other endpoint needs.
Past `MAX_WAITING_SIGN_INS` waiting, new ones are told at once to come back later.
"""

from __future__ import annotations

import anyio
from fastapi import APIRouter, Request, Response, status

from eduportal.api.dependencies import Accounts, Token
from eduportal.api.errors import error_responses
from eduportal.api.schemas import LoginRequest, LoginResponse
from eduportal.domain.errors import BusyError

router = APIRouter(prefix="/api", tags=["accounts"])

MAX_WAITING_SIGN_INS = 64


@router.post(
    "/login",
    responses=error_responses(401, 413, 422, 429, 503),
    summary="Sign in: a bearer token for the other endpoints",
)
async def login(body: LoginRequest, request: Request, service: Accounts) -> LoginResponse:
    """Failed attempts are limited per account and per client address (429 with
    `Retry-After`); the right password works again once the window has passed."""
    limiter: anyio.CapacityLimiter = request.app.state.sign_in_limiter
    if limiter.statistics().tasks_waiting >= MAX_WAITING_SIGN_INS:
        raise BusyError(
            "Many people are signing in right now. Please try again in a moment.",
            detail=f"{MAX_WAITING_SIGN_INS} sign-ins already waiting",
        )
    client = request.client.host if request.client else None
    signed_in = await anyio.to_thread.run_sync(
        service.login, body.username, body.password, client, limiter=limiter
    )
    return LoginResponse(
        token=signed_in.token,
        username=signed_in.account.username,
        role=signed_in.account.role,
        expires_at=signed_in.expires_at,
    )


@router.post(
    "/logout",
    status_code=status.HTTP_204_NO_CONTENT,
    responses=error_responses(401),
    summary="Sign out: the token stops working at once",
)
def logout(service: Accounts, token: Token) -> Response:
    service.logout(token)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
