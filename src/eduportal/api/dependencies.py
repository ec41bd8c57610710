"""What routes depend on: the signed-in account and the services, from `app.state`.

Authentication is a dependency that reads only headers, so it runs before any body is
parsed: an anonymous upload is refused before a byte of its multipart body is looked at.
`HTTPBearer` is what makes `/docs` show an Authorize button for the token.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from eduportal.domain.accounts import Account
from eduportal.domain.errors import UnauthenticatedError
from eduportal.services.accounts import AccountService
from eduportal.services.assignments import AssignmentService
from eduportal.services.grading import GradingService
from eduportal.services.results import ResultsService
from eduportal.wiring import Container

_bearer = HTTPBearer(
    auto_error=False,
    description="The token `POST /api/login` returns; sign-out with `POST /api/logout`.",
)


def container(request: Request) -> Container:
    built: Container = request.app.state.container
    return built


# Coroutines, not plain functions: FastAPI runs a plain-function dependency in the thread pool,
# and three thread hops per request halved the throughput of the hot reads.
async def accounts(request: Request) -> AccountService:
    return accounts_of(request)


def accounts_of(request: Request) -> AccountService:
    return container(request).accounts


async def assignments(request: Request) -> AssignmentService:
    return container(request).assignments


async def grading(request: Request) -> GradingService:
    return container(request).grading


async def results(request: Request) -> ResultsService:
    return container(request).results


Accounts = Annotated[AccountService, Depends(accounts)]
Assignments = Annotated[AssignmentService, Depends(assignments)]
Grading = Annotated[GradingService, Depends(grading)]
Results = Annotated[ResultsService, Depends(results)]


async def bearer_token(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> str:
    return _token_of(credentials)


Token = Annotated[str, Depends(bearer_token)]


async def current_account(service: Accounts, token: Token) -> Account:
    return await _account(service, token)


SignedIn = Annotated[Account, Depends(current_account)]


async def signed_in(request: Request) -> Account:
    """`SignedIn` called by hand: the same header parsing (`HTTPBearer`'s own) and the same
    session check, without FastAPI's dependency solving, which was a third of the hottest
    read's time (`bench/hot_paths.py`). A route using it declares `BEARER` for the docs."""
    return await _account(accounts_of(request), _token_of(await _bearer(request)))


BEARER: dict[str, Any] = {"security": [{_bearer.scheme_name: []}]}
"""The OpenAPI `security` of a route that calls `signed_in` itself (its `openapi_extra`)."""


def _token_of(credentials: HTTPAuthorizationCredentials | None) -> str:
    if credentials is None or not credentials.credentials.strip():
        raise UnauthenticatedError(detail="missing or malformed Authorization header")
    return credentials.credentials.strip()


async def _account(service: AccountService, token: str) -> Account:
    """Answered from the recent-sessions cache on the event loop; a thread only on a miss."""
    account = service.peek(token)
    if account is None:
        account = await run_in_threadpool(service.authenticate, token)
    return account
