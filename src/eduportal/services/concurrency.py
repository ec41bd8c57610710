"""Work a request hands to another thread, still under the request's context.

Creating an assignment waits on disk writes (each object fsynced, then its directory) and on
Pillow, which releases the GIL while it encodes: independent parts overlap on a thread pool.
The log context (correlation id, user, assignment) lives in context variables, which a pool
thread does not inherit, so each task runs in a copy of the submitter's context: its log lines
carry the same fields as the request's own.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Executor, Future
from contextvars import copy_context
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


def submit(
    executor: Executor, task: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> Future[T]:
    """`executor.submit(task, ...)`, run in a copy of the caller's context."""
    context = copy_context()

    def run() -> T:
        return context.run(task, *args, **kwargs)

    return executor.submit(run)
