"""Sign-in and sign-out as plain form posts, so the session lives in an HttpOnly cookie.

Streamlit talks to the browser over a websocket, which cannot set a cookie, and every refresh
or new tab is a new Streamlit session: a token kept in Streamlit's session state was lost on
each. These two routes, served by Streamlit's own server (`st.App`, see `ui/app.py`), answer a
form post with `Set-Cookie` and a redirect; the pages read the cookie (`st.context.cookies`) on
every run. The token never reaches page scripts' JavaScript or a URL, and signing out deletes
the session on the server, so every tab holding the cookie is signed out with it.

A refusal comes back as `?sign_in=<kind>` (with the wait, or a reference): the sign-in page
words it. Never the message itself, or anyone could craft a link that puts their text on it.
"""

from __future__ import annotations

import ipaddress
import logging
import time
from typing import Final
from urllib.parse import parse_qs, urlencode, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, RateLimitedError
from eduportal.observability.logging import log_error
from eduportal.ui.session import COOKIE, NOTICE, SIGN_IN_PATH, SIGN_OUT_PATH, container

MAX_FORM_BYTES: Final = 4096
"""A user name and a password; anything longer is not a sign-in."""

log = logging.getLogger(__name__)


def from_this_site(request: Request) -> bool:
    """The form was posted by a page of this server, not by another site (login CSRF)."""
    source = request.headers.get("origin") or request.headers.get("referer") or ""
    return bool(source) and urlsplit(source).netloc == request.headers.get("host")


def cookie_is_secure(request: Request) -> bool:
    """`Secure` wherever the browser keeps such a cookie: HTTPS (also behind a TLS-ending
    proxy) and loopback, which browsers treat as secure. On a plain-HTTP address elsewhere it
    would be dropped and nobody could sign in, so there the cookie goes without the flag."""
    if request.url.scheme == "https" or request.headers.get("x-forwarded-proto") == "https":
        return True
    host = request.url.hostname or ""
    try:
        return host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def safe_next(value: str | None) -> str:
    """Only a path on this site: a posted `next` must not send the user elsewhere."""
    if not value or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


async def sign_in(request: Request) -> Response:
    if not from_this_site(request):
        return PlainTextResponse("Please sign in from the portal's own page.", status_code=403)
    length = request.headers.get("content-length")
    if length is None or not length.isdigit() or int(length) > MAX_FORM_BYTES:
        return PlainTextResponse("That is not a sign-in form.", status_code=400)
    fields = parse_qs((await request.body()).decode("utf-8", "replace"))
    username = fields.get("username", [""])[0]
    password = fields.get("password", [""])[0]
    target = safe_next(fields.get("next", [None])[0])
    address = request.client.host if request.client else None
    with correlation_scope() as correlation_id:
        try:
            signed = await run_in_threadpool(
                container().accounts.login, username, password, address
            )
        except RateLimitedError as error:
            log_error(error)
            wait = max(1, round(error.retry_after_seconds / 60))
            return _back(target, {NOTICE: error.kind.value, "minutes": str(wait)})
        except EduportalError as error:
            log_error(error)
            return _back(target, {NOTICE: error.kind.value, "ref": correlation_id})
        except Exception:  # a user gets a sentence and a reference, never a traceback
            log.exception("sign-in failed unexpectedly")
            return _back(target, {NOTICE: "internal", "ref": correlation_id})
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE,
        signed.token,
        max_age=max(0, int(signed.expires_at - time.time())),
        path="/",
        secure=cookie_is_secure(request),
        httponly=True,
        samesite="lax",
    )
    return response


async def sign_out(request: Request) -> Response:
    if not from_this_site(request):
        return PlainTextResponse("Please sign out from the portal's own page.", status_code=403)
    token = request.cookies.get(COOKIE)
    response = RedirectResponse("/", status_code=303)
    with correlation_scope():
        try:
            if token:
                await run_in_threadpool(container().accounts.logout, token)
        except EduportalError as error:  # the cookie goes anyway; the session expires
            log_error(error)
    response.delete_cookie(
        COOKIE, path="/", secure=cookie_is_secure(request), httponly=True, samesite="lax"
    )
    return response


def _back(target: str, notice: dict[str, str]) -> Response:
    """To the sign-in form (the page asked for, which shows it), saying why."""
    separator = "&" if "?" in target else "?"
    return RedirectResponse(f"{target}{separator}{urlencode(notice)}", status_code=303)


ROUTES: Final = [
    Route(SIGN_IN_PATH, sign_in, methods=["POST"]),
    Route(SIGN_OUT_PATH, sign_out, methods=["POST"]),
]
