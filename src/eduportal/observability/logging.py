"""JSON logging: one object per line, each with the correlation id and the bound context.

Operators grep by `correlation_id` (the reference users are shown) or by any bound field
(`user`, `assignment_id`, `key`). Context is bound with `log_context(...)` and travels in a
context variable, so threads started with `contextvars.copy_context()` keep it.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

from eduportal.domain.correlation import current_correlation_id

_bound: ContextVar[Mapping[str, Any] | None] = ContextVar("eduportal_log_context", default=None)


@contextmanager
def log_context(**fields: Any) -> Iterator[None]:
    """Add fields (user, assignment_id, ...) to every log line written inside the block."""
    token = _bound.set({**bound_context(), **fields})
    try:
        yield
    finally:
        _bound.reset(token)


def bound_context() -> Mapping[str, Any]:
    return _bound.get() or {}


class _ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.correlation_id = current_correlation_id()
        for name, value in bound_context().items():
            if not hasattr(record, name):
                setattr(record, name, value)
        return True


def configure_logging(level: str = "INFO", stream: Any = None) -> None:
    """Route every `eduportal` logger to one JSON handler; idempotent, safe to call twice."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
            datefmt="%Y-%m-%dT%H:%M:%S%z",
        )
    )
    handler.addFilter(_ContextFilter())
    root = logging.getLogger("eduportal")
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(level)
    root.propagate = False


_ROUTINE = frozenset({"validation", "not_found", "unauthenticated", "forbidden", "conflict"})


def log_error(error: Exception) -> None:
    """Log an error shown to a user, with its technical detail, at a level that fits it.

    Routine refusals (bad input, unknown ids, failed logins) are INFO so alerts on ERROR lines
    only fire for what an operator must look at: storage, permissions, configuration.
    """
    kind = str(getattr(error, "kind", "internal"))
    level = logging.INFO if kind in _ROUTINE else logging.ERROR
    logging.getLogger("eduportal.errors").log(
        level,
        "request failed: %s",
        kind,
        extra={"error_kind": kind, "detail": getattr(error, "detail", str(error))},
    )
