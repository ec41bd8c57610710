"""How much the image store holds, measured now and then, for a page that must not wait.

Measuring lists every object (`services/storage_usage.measure`): milliseconds on a small
store, minutes on a bucket with millions of objects. So a reading is kept and said with its
time ("as of 14:05"): for `max_age_seconds` (5 minutes) when its listing took a second or
more, and for `quick_age_seconds` (10 s) when it took less, since measuring such a store
again costs nothing and a teacher who just saved an image expects to see it counted. When a
reading is older, one measurement starts on a thread of its own. Callers wait for it up to
`wait_seconds` when the store lists quickly (no reading yet, or the last listing was quick),
which such a store always beats, so the figure is current; a slow store's callers get the
last reading at once. One measurement runs at a time, however many pages ask,
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
QUICK_AGE_SECONDS: Final = 10.0
QUICK_LISTING_SECONDS: Final = 1.0
"""A listing faster than this is a small store's: its reading is kept `QUICK_AGE_SECONDS`."""
WAIT_SECONDS: Final = 2.0
RETRY_SECONDS: Final = 60.0


@dataclass(frozen=True, slots=True)
class StorageReading:
    bytes: int
    objects: int
    measured_at: float
    """When the listing finished."""
    took_seconds: float
    kept_seconds: float
    """How long it is kept before the store is measured again."""


@dataclass(frozen=True, slots=True)
class StorageStatus:
    reading: StorageReading | None
    """The latest measurement, possibly older than it is kept for while a new one runs."""
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
        quick_age_seconds: float = QUICK_AGE_SECONDS,
        wait_seconds: float = WAIT_SECONDS,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self._store = store
        self._clock = clock
        self.quota_bytes = quota_bytes
        self.max_age_seconds = max_age_seconds
        self.quick_age_seconds = quick_age_seconds
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
            reading, done = self._reading, self._done
            quick = reading is None or reading.took_seconds < QUICK_LISTING_SECONDS
        if done is not None and quick:
            done.wait(self._wait)
        with self._lock:
            return StorageStatus(
                self._reading, self.quota_bytes, measuring=self._done is not None, error=self._error
            )

    def kept_for(self, took_seconds: float) -> float:
        """How long a reading whose listing took `took_seconds` is kept."""
        if took_seconds < QUICK_LISTING_SECONDS:
            return self.quick_age_seconds
        return self.max_age_seconds

    def _due(self) -> bool:
        now = self._clock.now()
        if self._failed_at is not None and now - self._failed_at < self._retry:
            return False
        reading = self._reading
        return reading is None or now - reading.measured_at >= reading.kept_seconds

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
        took = finished - started
        reading = StorageReading(
            usage.total.bytes,
            usage.total.objects,
            finished,
            took_seconds=took,
            kept_seconds=self.kept_for(took),
        )
        with self._lock:
            self._reading, self._error, self._failed_at, self._done = reading, None, None, None
        done.set()
