"""The Operations page's figures: the last hour of the whole portal, and how it stands now.

Every long-running process records snapshots of its metrics (`observability/
metrics_recorder.py`); this service reads the last hour of them from the `MetricsHistory`
and turns them into one figure per minute (`metric_windows.intervals`), summed over the
processes: upload and download latency percentiles from the `image_upload_seconds` and
`image_download_seconds` histograms, failures as a share of attempts, the cache's hit ratio,
optimization fallbacks, the processing queue's depth as the API read it, and each pipeline
stage's durations. A share with nothing to divide by is None ("no traffic"), never 0 %.

Two figures are live rather than recorded: the queue's depth now, and the storage used
against `EDUPORTAL_STORAGE_QUOTA_BYTES` (`StorageGauge`, measured every few minutes since
listing a big bucket is slow). Each part that cannot be read is reported as its error beside
the others, so one failing backend leaves the rest of the page standing.

Where no history is kept (`history` None: MongoDB deployments, whose metrics go to
CloudWatch) the overview says so, and the live figures still come.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import EduportalError
from eduportal.domain.image_records import Stage
from eduportal.domain.metric_snapshots import MetricSeries, SeriesKind, labels_of
from eduportal.observability.logging import log_error
from eduportal.ports import Clock, MetricsHistory, Queue, QueueDepth
from eduportal.services.accounts import require_role
from eduportal.services.metric_windows import Change, Interval, intervals, merged, quantile, ratio
from eduportal.services.storage_gauge import StorageGauge, StorageStatus

HOUR_SECONDS: Final = 3600.0
MINUTE_SECONDS: Final = 60.0
RECENT_SECONDS: Final = 300.0
"""The headline figures' window: "the last 5 minutes", the alarms' window too."""
LOOKBACK_SECONDS: Final = 600.0
"""How far before the hour snapshots are read: each process's last snapshot before the hour
is the starting point of its first change in it (a recorder writes at least every few
minutes, 30 s by default)."""
QUEUE_GAUGE: Final = "pipeline_queue_messages"
"""The queue's depth as recorded beside the metrics, by `state`: `waiting`, `in_flight`,
`dead`. A reading, not a Prometheus metric: `/metrics` does not carry it."""
PERCENTILES: Final = (0.50, 0.95, 0.99)


@dataclass(frozen=True, slots=True)
class Latency:
    """Percentiles in seconds, each None with no observation."""

    p50: float | None = None
    p95: float | None = None
    p99: float | None = None

    @classmethod
    def of(cls, observations: Change) -> Latency:
        return cls(*(quantile(q, observations) for q in PERCENTILES))


@dataclass(frozen=True, slots=True)
class Traffic:
    """Image saves (or reads) in one interval: attempts, failures, how long they took."""

    attempts: int
    failures: int
    latency: Latency

    @property
    def failure_share(self) -> float | None:
        """Failures / attempts; None with no attempt."""
        return ratio(self.failures, self.attempts)


@dataclass(frozen=True, slots=True)
class Figures:
    """What the portal did in `(start, end]`, every process together."""

    start: float
    end: float
    uploads: Traffic
    downloads: Traffic
    cache_hits: int
    cache_misses: int
    optimized: int
    """Images optimized (each stored as WebP, or as PNG after a fallback)."""
    fallbacks: int
    queue: QueueDepth | None
    """The queue's latest recorded depth in the interval; None when none was recorded."""

    @property
    def cache_hit_share(self) -> float | None:
        return ratio(self.cache_hits, self.cache_hits + self.cache_misses)

    @property
    def fallback_share(self) -> float | None:
        return ratio(self.fallbacks, self.optimized)


@dataclass(frozen=True, slots=True)
class StageTimes:
    """One pipeline stage over the hour: its tries (every outcome) and their durations."""

    stage: Stage
    tries: int
    p50: float | None
    p95: float | None


@dataclass(frozen=True, slots=True)
class History:
    start: float
    end: float
    minutes: tuple[Figures, ...]
    """One per minute, oldest first; the last one is the minute now running."""
    recent: Figures
    """The last 5 minutes."""
    hour: Figures
    stages: tuple[StageTimes, ...]
    """Only the stages that ran in the hour, in pipeline order."""
    processes: dict[str, int] = field(default_factory=dict)
    """How many processes of each role (`api`, `ui`, `worker`) reported in the hour."""

    @property
    def quiet(self) -> bool:
        """Nothing at all was recorded in the hour (a portal just started, or idle)."""
        return not self.processes


@dataclass(frozen=True, slots=True)
class Overview:
    at: float
    snapshot_seconds: float
    """How often each process records its figures."""
    history_kept: bool
    """False where this deployment keeps no history (its metrics go to CloudWatch)."""
    history: History | None
    history_error: EduportalError | None
    queue: QueueDepth | None
    queue_error: EduportalError | None
    storage: StorageStatus


def figures(interval: Interval) -> Figures:
    """The page's figures from what every process did in `interval`."""
    uploads = interval.observations("image_upload_seconds")
    downloads = interval.observations("image_download_seconds")
    return Figures(
        start=interval.start,
        end=interval.end,
        uploads=Traffic(
            _whole(uploads.count),
            _whole(interval.total("image_upload_failures_total")),
            Latency.of(uploads),
        ),
        downloads=Traffic(
            _whole(downloads.count),
            _whole(interval.total("image_download_failures_total")),
            Latency.of(downloads),
        ),
        cache_hits=_whole(interval.total("image_cache_hits_total")),
        cache_misses=_whole(interval.total("image_cache_misses_total")),
        optimized=_whole(interval.observations("image_optimize_seconds").count),
        fallbacks=_whole(interval.total("image_optimize_fallbacks_total")),
        queue=_queue(interval),
    )


def stage_times(hour: Interval) -> tuple[StageTimes, ...]:
    found = []
    for stage in Stage:
        tries = hour.observations("pipeline_stage_seconds", stage=stage.value)
        if tries.count:
            found.append(
                StageTimes(
                    stage,
                    _whole(tries.count),
                    quantile(0.50, tries),
                    quantile(0.95, tries),
                )
            )
    return tuple(found)


def queue_gauges(queue: Queue) -> Callable[[], list[MetricSeries]]:
    """The queue's depth as series a snapshot carries (`QUEUE_GAUGE`), for the recorder of
    the process that reads it (the API's: one reader is enough, the latest reading wins)."""

    def read() -> list[MetricSeries]:
        depth = queue.depth()
        return [
            MetricSeries(QUEUE_GAUGE, SeriesKind.GAUGE, labels_of({"state": state}), value=n)
            for state, n in (
                ("waiting", depth.waiting),
                ("in_flight", depth.in_flight),
                ("dead", depth.dead),
            )
        ]

    return read


class OperationsService:
    def __init__(
        self,
        history: MetricsHistory | None,
        queue: Queue,
        storage: StorageGauge,
        clock: Clock,
        *,
        snapshot_seconds: float,
    ) -> None:
        self._history = history
        self._queue = queue
        self._storage = storage
        self._clock = clock
        self.snapshot_seconds = snapshot_seconds

    def authorize(self, account: Account) -> None:
        """`ForbiddenError` unless `account` may see the portal's operations: teachers, who
        act as its operators (as on the Image pipeline page)."""
        require_role(account, Role.TEACHER)

    def overview(self) -> Overview:
        now = self._clock.now()
        history, history_error = None, None
        if self._history is not None:
            try:
                history = self.history(now)
            except EduportalError as error:
                log_error(error)
                history_error = error
        queue, queue_error = None, None
        try:
            queue = self._queue.depth()
        except EduportalError as error:
            log_error(error)
            queue_error = error
        return Overview(
            at=now,
            snapshot_seconds=self.snapshot_seconds,
            history_kept=self._history is not None,
            history=history,
            history_error=history_error,
            queue=queue,
            queue_error=queue_error,
            storage=self._storage.status(),
        )

    def history(self, now: float) -> History:
        """The hour up to the end of the minute now running, minute by minute."""
        assert self._history is not None
        end = math.ceil(now / MINUTE_SECONDS) * MINUTE_SECONDS
        start = end - HOUR_SECONDS
        read_from = start - LOOKBACK_SECONDS
        snapshots = self._history.since(read_from)
        minutes = intervals(
            snapshots,
            start=start,
            step=MINUTE_SECONDS,
            count=round(HOUR_SECONDS / MINUTE_SECONDS),
            counted_from=read_from,
        )
        (recent,) = intervals(
            snapshots,
            start=now - RECENT_SECONDS,
            step=RECENT_SECONDS,
            count=1,
            counted_from=read_from,
        )
        hour = merged(minutes)
        role_of = {snapshot.process: snapshot.role for snapshot in snapshots}
        roles: dict[str, int] = {}
        for process in hour.processes:
            roles[role_of[process]] = roles.get(role_of[process], 0) + 1
        return History(
            start=start,
            end=end,
            minutes=tuple(figures(minute) for minute in minutes),
            recent=figures(recent),
            hour=figures(hour),
            stages=stage_times(hour),
            processes=roles,
        )


def _queue(interval: Interval) -> QueueDepth | None:
    states = [interval.reading(QUEUE_GAUGE, state=s) for s in ("waiting", "in_flight", "dead")]
    if any(state is None for state in states):
        return None
    waiting, in_flight, dead = (_whole(state or 0.0) for state in states)
    return QueueDepth(waiting=waiting, in_flight=in_flight, dead=dead)


def _whole(value: float) -> int:
    return round(value)
