"""How much the image store holds, measured now and then, for a page that must not wait.

Measuring lists every object (`services/storage_usage.measure`): milliseconds on a small
store, minutes on a bucket with millions of objects. So a reading is kept for
`max_age_seconds` and said with its time ("as of 14:05"); when it is older, one measurement
starts on a thread of its own while callers get the last reading at once. A caller with no
reading yet waits up to `wait_seconds`, which a small store always beats, so a fresh portal
shows its figure on the first view. One measurement runs at a time, however many pages ask,
and a failed one is not tried again for `retry_seconds`.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Final

from eduportal.domain.errors import EduportalError, StorageUnavailableError
from eduportal.observability.logging import log_error
from eduportal.ports import Clock, ObjectStore
from eduportal.services.storage_usage import QUOTA_ALERT_SHARE, measure

MAX_AGE_SECONDS: Final = 300.0
WAIT_SECONDS: Final = 2.0
RETRY_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class StorageReading:
    bytes: int
    objects: int
    measured_at: float
    """When the listing finished."""
    took_seconds: float


@dataclass(frozen=True, slots=True)
class StorageStatus:
    reading: StorageReading | None
    """The latest measurement, possibly older than `max_age_seconds` while a new one runs."""
    quota_bytes: int | None
    measuring: bool
    """A measurement is running now."""
    error: EduportalError | None = None
    """The last measurement failed with this (the reading, if any, is from before)."""

    @property
    def share(self) -> float | None:
        """The share of the quota used; None without a quota or a reading."""
        if self.reading is None or not self.quota_bytes:
            return None
        return self.reading.bytes / self.quota_bytes

    @property
    def needs_attention(self) -> bool:
        """Past the alarm's threshold (requirement 8.3: 80 % of the quota)."""
        share = self.share
        return share is not None and share >= QUOTA_ALERT_SHARE


class StorageGauge:
    def __init__(
        self,
        store: ObjectStore,
        clock: Clock,
        *,
        quota_bytes: int | None,
        max_age_seconds: float = MAX_AGE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._store = store
        self._clock = clock
        self.quota_bytes = quota_bytes
        self.max_age_seconds = max_age_seconds
        self._wait = wait_seconds
        self._retry = retry_seconds
        self._lock = threading.Lock()
        self._reading: StorageReading | None = None
        self._error: EduportalError | None = None
        self._failed_at: float | None = None
        self._done: threading.Event | None = None
        """Set when the running measurement ends; None when none runs."""

    def status(self) -> StorageStatus:
        """The latest reading, starting a measurement when it is stale (see the module)."""
        with self._lock:
            if self._done is None and self._due():
                self._done = threading.Event()
                threading.Thread(
                    target=self._measure, args=(self._done,), name="storage-gauge", daemon=True
                ).start()
            done, first = self._done, self._reading is None
        if done is not None and first:
            done.wait(self._wait)
        with self._lock:
            return StorageStatus(
                self._reading, self.quota_bytes, measuring=self._done is not None, error=self._error
            )

    def _due(self) -> bool:
        now = self._clock.now()
        if self._failed_at is not None and now - self._failed_at < self._retry:
            return False
        return self._reading is None or now - self._reading.measured_at >= self.max_age_seconds

    def _measure(self, done: threading.Event) -> None:
        started = self._clock.now()
        try:
            usage = measure(self._store)
        except Exception as exc:  # on a thread of its own, an exception would vanish
            error = (
                exc
                if isinstance(exc, EduportalError)
                else StorageUnavailableError(detail=f"storage measurement: {exc!r}")
            )
            log_error(error)
            with self._lock:
                self._error, self._failed_at, self._done = error, self._clock.now(), None
            done.set()
            return
        finished = self._clock.now()
        reading = StorageReading(
            usage.total.bytes, usage.total.objects, finished, took_seconds=finished - started
        )
        with self._lock:
            self._reading, self._error, self._failed_at, self._done = reading, None, None, None
        done.set()
