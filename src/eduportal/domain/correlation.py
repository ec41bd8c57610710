"""The correlation id of the work in progress.

It lives in the domain, not in observability, because every error the domain defines carries
the id of the request that raised it, and the domain may import nothing of ours.

Scopes are explicit: a request, a CLI command, a queue message or a Lambda invocation opens
one with `correlation_scope(...)`. Reading the id never creates one, so code running outside
any scope (a background thread, a test) cannot leave an id behind that a later unit of work
would wrongly inherit.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Final

_current: ContextVar[str | None] = ContextVar("eduportal_correlation_id", default=None)

_SAFE: Final = re.compile(r"[A-Za-z0-9-]{1,64}")
"""What a caller may choose as an id: short, and nothing a log viewer or a header could
misread (no spaces, quotes, newlines or control characters)."""


def new_correlation_id() -> str:
    """16 hex digits: short enough to read out over the phone, 64 bits so ids never collide."""
    return secrets.token_hex(8)


def is_safe_correlation_id(value: str) -> bool:
    return _SAFE.fullmatch(value) is not None


def current_correlation_id() -> str | None:
    """The id of the current unit of work, or None outside every scope; never creates one."""
    return _current.get()


def current_or_new_correlation_id() -> str:
    """The current id, or a fresh one for an error raised outside every scope (not kept)."""
    return _current.get() or new_correlation_id()


@contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Run a unit of work under `correlation_id` when it is safe, else under a new id."""
    cid = (
        correlation_id
        if correlation_id is not None and is_safe_correlation_id(correlation_id)
        else new_correlation_id()
    )
    token = _current.set(cid)
    try:
        yield cid
    finally:
        _current.reset(token)
