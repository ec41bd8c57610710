"""`AttemptCounter` on the `limits` library's moving windows.

`memory://` (the embedded default) counts in this process: with several instances each keeps
its own count, so an attacker spreading guesses over N instances gets N times the allowance.
Given a MongoDB URI the counts live in the database and hold across every instance (limits'
MongoDB storage, in its own `limits` database).
"""

from __future__ import annotations

import time

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter

from eduportal.domain.errors import StorageUnavailableError

_UNAVAILABLE = "Sign-in is unavailable right now. Please try again in a moment."


class LimitsAttemptCounter:
    def __init__(self, storage_uri: str = "memory://") -> None:
        self._limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def retry_after(self, key: str, *, limit: int, window_seconds: int) -> float:
        item = RateLimitItemPerSecond(limit, window_seconds)
        try:
            if self._limiter.test(item, key):
                return 0.0
            reset = self._limiter.get_window_stats(item, key).reset_time
        except Exception as exc:  # the storage's own errors (a MongoDB outage, say)
            raise StorageUnavailableError(_UNAVAILABLE, detail=f"attempt counter: {exc}") from exc
        return max(reset - time.time(), 0.001)

    def add(self, key: str, *, limit: int, window_seconds: int) -> None:
        """Count one attempt; past the limit nothing is added, so a blocked key's window
        is not stretched by further tries."""
        try:
            self._limiter.hit(RateLimitItemPerSecond(limit, window_seconds), key)
        except Exception as exc:
            raise StorageUnavailableError(_UNAVAILABLE, detail=f"attempt counter: {exc}") from exc

    def clear(self, key: str, *, limit: int, window_seconds: int) -> None:
        try:
            self._limiter.clear(RateLimitItemPerSecond(limit, window_seconds), key)
        except Exception as exc:
            raise StorageUnavailableError(_UNAVAILABLE, detail=f"attempt counter: {exc}") from exc
