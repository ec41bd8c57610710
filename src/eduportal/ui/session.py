"""What every page shares: the services, the signed-in account, and friendly errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from html import escape
from urllib.parse import urlencode, urlsplit

import streamlit as st

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, ErrorKind, UnauthenticatedError
from eduportal.observability.logging import configure_logging, log_context, log_error
from eduportal.wiring import Container, build

COOKIE = "eduportal_session"
"""Set and cleared by `ui/account_routes.py`; read here on every run."""
SIGN_IN_PATH = "/account/sign-in"
SIGN_OUT_PATH = "/account/sign-out"
NOTICE = "sign_in"
"""The query parameter that carries a refused sign-in's kind back to the form."""

log = logging.getLogger(__name__)

_STYLE = """<style>
.ep-form{display:flex;flex-direction:column;gap:.75rem;max-width:22rem}
.ep-form label{display:flex;flex-direction:column;gap:.3rem;font-size:.875rem}
.ep-form input{font:inherit;padding:.5rem .75rem;border:1px solid rgba(49,51,63,.2);
 border-radius:.5rem;background:#f0f2f6}
.ep-form input:focus{outline:2px solid #ff4b4b;outline-offset:0}
.ep-button{font:inherit;padding:.4rem .9rem;border-radius:.5rem;cursor:pointer;
 border:1px solid rgba(49,51,63,.2);background:#fff;color:inherit}
.ep-primary{background:#ff4b4b;border-color:#ff4b4b;color:#fff;align-self:flex-start}
</style>"""


@st.cache_resource(show_spinner=False, on_release=Container.stop_recording)
def container() -> Container:
    """One object graph per Streamlit process, shared by all sessions (it is thread-safe).

    It starts the process's metrics recorder (for the Operations page): the pages' own image
    saves and reads happen in this process. Clearing the cache stops it."""
    settings = load_settings()
    configure_logging(settings.log_level)
    built = build(settings)
    built.start_recording("ui")
    return built


def session_token() -> str | None:
    """The browser's session cookie: the same in every tab, and after a refresh."""
    return st.context.cookies.get(COOKIE)


def signed_in() -> Account | None:
    """The signed-in account; None when there is no session or it ended (signed out in
    another tab, expired, or the account was deleted)."""
    token = session_token()
    if not token:
        return None
    try:
        return container().accounts.authenticate(token)
    except UnauthenticatedError:
        return None


def show_error(error: EduportalError) -> None:
    """A refusal of the user's input, or a limit they reached (generations past their
    allowance), is a plain sentence to act on: nothing went wrong. Anything else also shows
    the reference that finds its log line."""
    if error.kind in (ErrorKind.VALIDATION, ErrorKind.RATE_LIMITED):
        st.warning(error.user_message)
    else:
        st.error(f"{error.user_message}\n\nReference: `{error.correlation_id}`", icon="⚠️")


def show_unexpected(correlation_id: str) -> None:
    st.error(
        "Something went wrong on our side. Please try again; if it keeps happening, give "
        f"this reference to your administrator.\n\nReference: `{correlation_id}`",
        icon="⚠️",
    )


def sign_in_form(*, back_here: bool = True) -> None:
    """A plain HTML form posted to the server, which answers with the session cookie.

    `next` brings the user back to the address they opened (a link to an assignment), or
    to their start page."""
    _show_refusal()
    target = "/"
    if back_here:
        kept = {key: value for key, value in st.query_params.items() if key not in _NOTICE_KEYS}
        target = (urlsplit(st.context.url or "/").path or "/") + (
            "?" + urlencode(kept) if kept else ""
        )
    st.html(
        _STYLE
        + f'''<form class="ep-form" method="post" action="{SIGN_IN_PATH}">
<label>User name<input name="username" autocomplete="username" required maxlength="64"
 autocapitalize="none" spellcheck="false"></label>
<label>Password<input name="password" type="password" autocomplete="current-password"
 required maxlength="1024"></label>
<input type="hidden" name="next" value="{escape(target)}">
<button class="ep-button ep-primary" type="submit">Sign in</button></form>'''
    )


_NOTICE_KEYS = frozenset({NOTICE, "minutes", "ref"})
_REFUSALS = {
    ErrorKind.UNAUTHENTICATED.value: "Wrong user name or password. Please try again.",
    ErrorKind.VALIDATION.value: "Please enter your user name and password.",
}


def _show_refusal() -> None:
    """Say why the last sign-in was refused, once: the notice leaves the address, so a
    refresh does not say it again."""
    kind = st.query_params.get(NOTICE)
    if kind is None:
        return
    notice = {key: st.query_params.get(key) for key in _NOTICE_KEYS}
    for key in _NOTICE_KEYS:
        st.query_params.pop(key, None)
    if kind == ErrorKind.RATE_LIMITED.value:
        minutes = notice["minutes"] or "a few"
        st.warning(f"Too many attempts. Please wait {minutes} minute(s) and try again.")
    elif kind in _REFUSALS:
        st.warning(_REFUSALS[kind])
    else:
        reference = notice["ref"] or ""
        st.error(
            "We couldn't sign you in because of a problem on our side. Please try again in a "
            f"moment.\n\nReference: `{reference}`",
            icon="⚠️",
        )


def account_box(account: Account) -> None:
    """Who is signed in, and the way out (a form post: the server ends the session and clears
    the cookie, so every tab is signed out)."""
    with st.sidebar:
        st.caption(f"Signed in as **{account.username}** ({account.role.value})")
        st.html(
            _STYLE
            + f'''<form method="post" action="{SIGN_OUT_PATH}">
<button class="ep-button" type="submit">Sign out</button></form>'''
        )


@contextmanager
def guarded() -> Iterator[str]:
    """Friendly errors for what runs inside: a sentence (and a reference), never a traceback.
    Yields the correlation id that the log lines of this run carry."""
    with correlation_scope() as correlation_id:
        try:
            yield correlation_id
        except EduportalError as error:
            log_error(error)
            show_error(error)
        except Exception:  # st.rerun and st.stop are BaseExceptions: they pass
            log.exception("unexpected failure on a page")
            show_unexpected(correlation_id)


@contextmanager
def page(title: str, role: Role | None = None) -> Iterator[Account]:
    """Set up a page: title, the sign-in form when signed out, the role check, friendly errors.

    Navigation already offers each role only its pages; the check here holds for an address
    typed or kept from before."""
    with guarded():
        account = signed_in()
        st.title(title)
        if account is None:
            st.caption("Please sign in to open this page.")
            sign_in_form()
            st.stop()
        assert account is not None
        if role is not None and account.role is not role:
            st.warning(f"This page is for {role.value}s.")
            st.stop()
        with log_context(user=account.username):
            yield account


def image_bytes(key: str) -> bytes:
    """The stored image, or the placeholder: pages never break on a missing image."""
    return container().image_store.read(key).data
