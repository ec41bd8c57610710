"""Every few seconds, a snapshot of this process's metrics into the shared history.

Each long-running process (the API, the Streamlit server, every worker) starts one recorder:
a daemon thread that appends `MetricsSnapshot`s to the `MetricsHistory`, so the Operations
page can add up what every process did (`services/metric_windows.py`). The first snapshot is
taken at once, so every process has a starting point; stopping takes one more, so a worker
that finishes between two ticks loses nothing it counted.

Recording must never hurt the process it watches: a failing source or a history that cannot
be written (the database locked past its timeout, the disk full) is logged at WARNING and
that snapshot is skipped; the next tick tries again.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Protocol, runtime_checkable

from eduportal.domain.metric_snapshots import MetricSeries, MetricsSnapshot, SeriesKind
from eduportal.ports import MetricsHistory

log = logging.getLogger(__name__)


@runtime_checkable
class SeriesHolder(Protocol):
    """Metrics that can give their series as plain data (`PrometheusMetrics.series`)."""

    def series(self) -> list[MetricSeries]: ...


SeriesSource = Callable[[], Iterable[MetricSeries]]
"""What a snapshot is made of: `PrometheusMetrics.series`, and readings of the moment such
as the queue's depth (`services/operations.queue_gauges`)."""


def process_name(role: str) -> str:
    """Unique to this run of this process: `api@host:1234/3f2a9c`. The random part tells two
    recorders of one process apart (tests build several), and a pid the system reused."""
    return f"{role}@{socket.gethostname()}:{os.getpid()}/{secrets.token_hex(3)}"


class MetricsRecorder:
    def __init__(
        self,
        history: MetricsHistory,
        sources: Sequence[SeriesSource],
        *,
        role: str,
        interval_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._history = history
        self._sources = tuple(sources)
        self.role = role
        self.process = process_name(role)
        self.interval_seconds = interval_seconds
        self._clock = clock
        self.started_at = clock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._write = threading.Lock()  # the final snapshot never races the thread's last one

    def record(self) -> bool:
        """Append one snapshot now; False (and a WARNING) when it could not be written."""
        series: list[MetricSeries] = []
        for source in self._sources:
            try:
                series += [s for s in source() if _worth_keeping(s)]
            except Exception:
                # A reading that fails (the queue's database busy) costs only its own series.
                log.warning("metrics snapshot: a source failed", exc_info=True)
        snapshot = MetricsSnapshot(
            process=self.process,
            role=self.role,
            started_at=self.started_at,
            at=self._clock(),
            series=tuple(series),
        )
        with self._write:
            try:
                self._history.append(snapshot)
            except Exception:
                log.warning("metrics snapshot not written", exc_info=True)
                return False
        return True

    def start(self) -> MetricsRecorder:
        """Record now and then every `interval_seconds`, on a daemon thread (it never holds a
        process open at exit)."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"metrics-recorder-{self.role}", daemon=True
            )
            self._thread.start()
        return self

    def stop(self, *, flush: bool = True, timeout_seconds: float = 5.0) -> None:
        """Stop the thread and, with `flush`, take one last snapshot: one small write."""
        self._stop.set()
        thread, self._thread = self._thread, None
        if thread is not None:
            thread.join(timeout_seconds)
            if flush:
                self.record()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def _run(self) -> None:
        self.record()
        while not self._stop.wait(self.interval_seconds):
            self.record()


def _worth_keeping(series: MetricSeries) -> bool:
    """A series still at zero says nothing a missing one does not (the arithmetic reads a
    missing series as zero), so an idle process's snapshot stays small. A gauge at zero is a
    reading ("nothing waiting") and is kept."""
    return series.kind is SeriesKind.GAUGE or bool(series.value or series.count)
