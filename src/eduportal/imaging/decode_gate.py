"""How many bytes of decoded images the process holds at once: a weighted semaphore.

Every decode reserves its estimated cost (`imaging.decode_budget`) before touching a pixel and
releases it when done, so N heavy uploads at once wait for each other instead of exhausting
memory, while many small images still run side by side. One gate serves the whole process
(`wiring.build_optimizer` makes it); anything else that decodes, such as a thumbnail maker,
takes `with gate.reserve(cost):` from the same instance.

Waiting is first come, first served: a heavy image is never overtaken indefinitely by a
stream of light ones, which is what makes the bound on waiting meaningful. After
`wait_seconds` the request is refused with `BusyError` (503, transient: try again later)
rather than holding a connection open without end.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Final

from eduportal.domain.errors import BusyError

log = logging.getLogger(__name__)

MiB: Final = 1024 * 1024
SLOW_WAIT_SECONDS: Final = 1.0
"""A wait longer than this is logged: the operator's sign of memory pressure."""


class DecodeGate:
    def __init__(
        self,
        capacity_bytes: int,
        *,
        wait_seconds: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if capacity_bytes <= 0 or wait_seconds <= 0:
            raise ValueError("a decode gate needs a positive capacity and wait")
        self.capacity_bytes = capacity_bytes
        self.wait_seconds = wait_seconds
        self._clock = clock
        self._condition = threading.Condition()
        self._in_use = 0
        self._queue: deque[object] = deque()

    @property
    def in_use_bytes(self) -> int:
        with self._condition:
            return self._in_use

    @contextmanager
    def reserve(self, cost_bytes: int) -> Iterator[None]:
        """Hold `cost_bytes` of the pool for the duration of the block.

        Raises `BusyError` when the bytes are not free within `wait_seconds`, and `ValueError`
        for a cost the pool can never hold (the per-image limit exists to prevent that).
        """
        if not 0 <= cost_bytes <= self.capacity_bytes:
            raise ValueError(
                f"a decode of {cost_bytes} bytes can never fit a pool of {self.capacity_bytes}"
            )
        started = self._clock()
        self._acquire(cost_bytes, deadline=started + self.wait_seconds)
        waited = self._clock() - started
        if waited > SLOW_WAIT_SECONDS:
            log.warning(
                "an image decode waited for memory",
                extra={"waited_ms": round(waited * 1000), "cost_mb": round(cost_bytes / MiB)},
            )
        try:
            yield
        finally:
            with self._condition:
                self._in_use -= cost_bytes
                self._condition.notify_all()

    def _acquire(self, cost: int, *, deadline: float) -> None:
        ticket = object()
        with self._condition:
            self._queue.append(ticket)
            try:
                while self._queue[0] is not ticket or self._in_use + cost > self.capacity_bytes:
                    remaining = deadline - self._clock()
                    if remaining <= 0:
                        raise BusyError(
                            "The server is busy with other images right now. "
                            "Please try again in a minute.",
                            detail=f"waited {self.wait_seconds:g} s for {cost} bytes of the "
                            f"decode pool ({self._in_use} of {self.capacity_bytes} in use)",
                        )
                    self._condition.wait(remaining)
                self._in_use += cost
            finally:
                self._queue.remove(ticket)
                # The next in line may fit now, or may now be first in line.
                self._condition.notify_all()
