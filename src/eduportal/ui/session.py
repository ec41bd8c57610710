"""What every page shares: the services, the signed-in account, and friendly errors."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, ErrorKind, UnauthenticatedError
from eduportal.observability.logging import configure_logging, log_context, log_error
from eduportal.wiring import Container, build

SESSION_KEY = "eduportal_session"

log = logging.getLogger(__name__)


@st.cache_resource(show_spinner=False)
def container() -> Container:
    """One object graph per Streamlit process, shared by all sessions (it is thread-safe)."""
    settings = load_settings()
    configure_logging(settings.log_level)
    return build(settings)


def signed_in() -> Account | None:
    token = st.session_state.get(SESSION_KEY)
    if not token:
        return None
    try:
        return container().accounts.authenticate(token)
    except UnauthenticatedError:
        del st.session_state[SESSION_KEY]
        return None


def sign_out() -> None:
    token = st.session_state.pop(SESSION_KEY, None)
    if token:
        container().accounts.logout(token)


def show_error(error: EduportalError) -> None:
    """A refusal of the user's input is a plain sentence to act on; anything else also shows
    the reference that finds its log line."""
    if error.kind is ErrorKind.VALIDATION:
        st.warning(error.user_message)
    else:
        st.error(f"{error.user_message}\n\nReference: `{error.correlation_id}`", icon="⚠️")


def show_unexpected(correlation_id: str) -> None:
    st.error(
        "Something went wrong on our side. Please try again; if it keeps happening, give "
        f"this reference to your administrator.\n\nReference: `{correlation_id}`",
        icon="⚠️",
    )


def _sidebar(account: Account | None) -> None:
    with st.sidebar:
        if account is None:
            st.caption("Not signed in")
            return
        st.caption(f"Signed in as **{account.username}** ({account.role.value})")
        if st.button("Sign out", key="sign_out"):
            sign_out()
            st.rerun()


@contextmanager
def page(title: str, role: Role | None = None, *, public: bool = False) -> Iterator[Account | None]:
    """Set up a page: title, sign-in (unless `public`) and role checks, friendly errors."""
    st.set_page_config(page_title=f"{title} · eduportal", page_icon="📚", layout="wide")
    with correlation_scope() as correlation_id:
        account = signed_in()
        _sidebar(account)
        st.title(title)
        if not public and account is None:
            st.info("Please sign in on the Home page first (top of the sidebar).")
            st.stop()
        if role is not None and account is not None and account.role is not role:
            st.warning(f"This page is for {role.value}s.")
            st.stop()
        user = account.username if account else "anonymous"
        with log_context(user=user):
            try:
                yield account
            except EduportalError as error:
                log_error(error)
                show_error(error)
            except Exception:  # st.rerun and st.stop are BaseExceptions: they pass
                log.exception("unexpected failure on a page")
                show_unexpected(correlation_id)


def image_bytes(key: str) -> bytes:
    """The stored image, or the placeholder: pages never break on a missing image."""
    return container().image_store.read(key).data
