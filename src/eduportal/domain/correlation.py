"""The correlation id of the work in progress.

It lives in the domain, not in observability, because every error the domain defines carries
the id of the request that raised it, and the domain may import nothing of ours.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

_current: ContextVar[str | None] = ContextVar("eduportal_correlation_id", default=None)


def new_correlation_id() -> str:
    """16 hex digits: short enough to read out over the phone, 64 bits so ids never collide."""
    return secrets.token_hex(8)


def current_correlation_id() -> str:
    """The id of the current unit of work, creating one on first use so no log line lacks it."""
    cid = _current.get()
    if cid is None:
        cid = new_correlation_id()
        _current.set(cid)
    return cid


@contextmanager
def correlation_scope(correlation_id: str | None = None) -> Iterator[str]:
    """Run a unit of work (a request, a CLI command, a queue message) under one id."""
    token = _current.set(correlation_id or new_correlation_id())
    try:
        yield current_correlation_id()
    finally:
        _current.reset(token)
