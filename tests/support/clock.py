"""A clock tests set and move by hand: no sleeping to make time pass."""

from __future__ import annotations

import time


class FakeClock:
    def __init__(self, now: float | None = None) -> None:
        self._now = time.time() if now is None else now

    def now(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += seconds
