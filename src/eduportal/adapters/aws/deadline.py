"""An overall deadline per AWS operation, retries and backoff included (requirement 9.4).

botocore's timeouts are per socket read, so a request that keeps failing and backing off, or a
server that trickles bytes, can outlive any of them. Here each operation runs in its own daemon
thread and the caller waits at most `timeout_seconds`; a `before-send` hook counts the attempts
and refuses to start a new one once the deadline has passed, so an abandoned operation stops at
its next retry instead of going on in the background.
"""

from __future__ import annotations

import contextvars
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")


@dataclass
class _Call:
    deadline: float
    attempts: int = 0
    abandoned: bool = False


_current: contextvars.ContextVar[_Call | None] = contextvars.ContextVar(
    "eduportal_aws_call", default=None
)


class DeadlineExceeded(Exception):  # noqa: N818 - it is the event, not an error class family
    def __init__(self, timeout: float, attempts: int) -> None:
        super().__init__(f"no answer within {timeout:g} s after {attempts} attempt(s)")
        self.timeout = timeout
        self.attempts = attempts


class CallFailed(Exception):  # noqa: N818
    """The operation failed for good; `cause` is botocore's exception."""

    def __init__(self, cause: BaseException, attempts: int) -> None:
        super().__init__(str(cause))
        self.cause = cause
        self.attempts = attempts


class _AttemptRefusedError(Exception):
    """Raised inside botocore to stop an operation whose caller has gone."""


class DeadlineRunner:
    def __init__(self, client: Any, timeout_seconds: float) -> None:
        self.timeout_seconds = timeout_seconds
        client.meta.events.register("before-send", self._before_send)

    def run(self, operation: Callable[[], T]) -> tuple[T, int]:
        """Run `operation` (one botocore call and reading its body); return it and the attempts."""
        call = _Call(deadline=time.monotonic() + self.timeout_seconds)
        future: Future[T] = Future()
        context = contextvars.copy_context()

        def target() -> None:
            _current.set(call)
            try:
                future.set_result(operation())
            except BaseException as exc:  # handed to the waiting caller
                future.set_exception(exc)

        threading.Thread(target=context.run, args=(target,), daemon=True).start()
        try:
            return future.result(timeout=self.timeout_seconds), call.attempts
        except FutureTimeout:
            call.abandoned = True
            raise DeadlineExceeded(self.timeout_seconds, call.attempts) from None
        except _AttemptRefusedError:
            raise DeadlineExceeded(self.timeout_seconds, call.attempts) from None
        except Exception as exc:
            raise CallFailed(exc, call.attempts) from exc

    @staticmethod
    def _before_send(**_: Any) -> None:
        call = _current.get()
        if call is None:
            return
        if call.abandoned or time.monotonic() >= call.deadline:
            raise _AttemptRefusedError
        call.attempts += 1
