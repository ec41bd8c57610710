"""The scaling watch: poll an Auto Scaling group at a steady interval during a load test, keep
every sample, and judge them when the watch ends (`domain.scaling_verdicts`).

`watch` runs in the caller's thread until its duration has passed or `stop` is set: the
command runs it in the foreground (Ctrl-C sets `stop`), and `BackgroundWatch` runs it beside a
load test, which then reads the scaling windows to judge success rates within each
(property 29). A poll that fails after the first is recorded and the watch goes on: a load test
is worth more than one missed reading. The first poll's failure (no such group, no
credentials, no permission) ends the watch at once, since nothing would ever be read.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Final

from eduportal.domain.errors import EduportalError
from eduportal.domain.scaling import Activity, Sample
from eduportal.domain.scaling_events import (
    ScalingEvent,
    ScalingWindow,
    scaling_windows,
    timeline_events,
)
from eduportal.domain.scaling_verdicts import (
    CPU_THRESHOLD_PERCENT,
    Budgets,
    ScalingReport,
    evaluate,
)
from eduportal.ports import Clock, ScalingGroupReader

DEFAULT_INTERVAL_SECONDS: Final = 15.0
_DEADLINE_SLACK: Final = 0.001
"""A wait may return a hair before its timeout: a poll this close to the deadline is the
last."""

OnSample = Callable[[Sample, Sequence[ScalingEvent]], None]
"""Called after each poll with its sample and the events it revealed, for progress."""
OnFailure = Callable[[float, EduportalError], None]
"""Called when a poll after the first fails, with its time and the error."""


@dataclass(frozen=True)
class FailedPoll:
    at: float
    error: str
    """The error's sentence."""


@dataclass(frozen=True)
class WatchSettings:
    group: str
    interval_seconds: float = DEFAULT_INTERVAL_SECONDS
    duration_seconds: float | None = None
    """None: until `stop` is set."""
    threshold: float = CPU_THRESHOLD_PERCENT
    budgets: Budgets = field(default_factory=Budgets)


@dataclass(frozen=True)
class Timeline:
    """Everything the watch read, in poll order."""

    settings: WatchSettings
    started_at: float
    ended_at: float
    samples: tuple[Sample, ...]
    activities: tuple[Activity, ...]
    """Each scaling activity once, by start time."""
    failed_polls: tuple[FailedPoll, ...] = ()


@dataclass(frozen=True)
class WatchResult:
    timeline: Timeline
    events: tuple[ScalingEvent, ...]
    windows: tuple[ScalingWindow, ...]
    """When the group was changing size: the load test's scaling events (property 29)."""
    report: ScalingReport


def analyze(timeline: Timeline) -> WatchResult:
    """The events, scaling windows and verdicts of a timeline: pure, so a timeline can be
    judged again with other budgets."""
    settings = timeline.settings
    samples = timeline.samples
    return WatchResult(
        timeline=timeline,
        events=tuple(timeline_events(samples, settings.threshold)),
        windows=tuple(scaling_windows(samples)),
        report=evaluate(samples, threshold=settings.threshold, budgets=settings.budgets),
    )


def watch(
    reader: ScalingGroupReader,
    clock: Clock,
    settings: WatchSettings,
    *,
    stop: threading.Event | None = None,
    on_sample: OnSample | None = None,
    on_failure: OnFailure | None = None,
) -> WatchResult:
    """Poll every `interval_seconds` (a slow poll delays the next rather than bunching them)
    until `duration_seconds` has passed, with a last poll at the deadline, or until `stop` is
    set. Raises the first poll's error."""
    stop = stop or threading.Event()
    started = clock.now()
    deadline = None if settings.duration_seconds is None else started + settings.duration_seconds
    samples: list[Sample] = []
    activities: dict[str, Activity] = {}
    failures: list[FailedPoll] = []
    seen_events: set[ScalingEvent] = set()
    scheduled = started
    while True:
        at = clock.now()
        try:
            reading = reader.read(settings.group, now=at)
        except EduportalError as exc:
            if not samples:
                raise
            failures.append(FailedPoll(at, exc.user_message))
            if on_failure is not None:
                on_failure(at, exc)
        else:
            samples.append(reading.sample)
            activities.update((a.activity_id, a) for a in reading.activities)
            if on_sample is not None:
                on_sample(reading.sample, _new_events(samples, settings.threshold, seen_events))
        if deadline is not None and at >= deadline - _DEADLINE_SLACK:
            break
        now = clock.now()
        scheduled = max(scheduled + settings.interval_seconds, now)
        if deadline is not None:
            scheduled = min(scheduled, deadline)
        if stop.wait(scheduled - now):
            break
    timeline = Timeline(
        settings=settings,
        started_at=started,
        ended_at=clock.now(),
        samples=tuple(samples),
        activities=tuple(sorted(activities.values(), key=lambda a: a.started_at)),
        failed_polls=tuple(failures),
    )
    return analyze(timeline)


def _new_events(
    samples: Sequence[Sample], threshold: float, seen: set[ScalingEvent]
) -> list[ScalingEvent]:
    """The events between the last two polls not reported before: progress needs only what
    changed, and reading the whole timeline again at each poll would grow with it."""
    fresh = [e for e in timeline_events(samples[-2:], threshold) if e not in seen]
    seen.update(fresh)
    return fresh


class BackgroundWatch:
    """`watch` in a thread of its own, beside a load test:

    running = BackgroundWatch(reader, clock, WatchSettings("web-asg", 15.0)).start()
    ...  # the load test
    result = running.stop()  # the last poll finishes; its error, if any, is raised here
    """

    def __init__(
        self,
        reader: ScalingGroupReader,
        clock: Clock,
        settings: WatchSettings,
        *,
        on_sample: OnSample | None = None,
        on_failure: OnFailure | None = None,
    ) -> None:
        self._stop = threading.Event()
        self._first_poll = threading.Event()
        self._result: WatchResult | None = None
        self._error: BaseException | None = None

        def sampled(sample: Sample, events: Sequence[ScalingEvent]) -> None:
            self._first_poll.set()
            if on_sample is not None:
                on_sample(sample, events)

        def run() -> None:
            try:
                self._result = watch(
                    reader,
                    clock,
                    settings,
                    stop=self._stop,
                    on_sample=sampled,
                    on_failure=on_failure,
                )
            except BaseException as exc:  # handed to whoever calls start() or stop()
                self._error = exc
            finally:
                self._first_poll.set()

        self._thread = threading.Thread(target=run, name=f"scaling-watch-{settings.group}")
        self._thread.daemon = True

    def start(self) -> BackgroundWatch:
        """Start polling and wait for the first poll, so a wrong group name, missing
        credentials or a refused read stop the caller before its load test starts: raises
        that poll's error."""
        self._thread.start()
        self._first_poll.wait()
        if self._error is not None:
            self._thread.join()
            raise self._error
        return self

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self, timeout: float | None = None) -> WatchResult:
        """Stop polling and return the result; raises the watch's error (the first poll's),
        or `TimeoutError` when the poll in flight outlasts `timeout`."""
        self._stop.set()
        self._thread.join(timeout)
        if self._thread.is_alive():
            raise TimeoutError("The scaling watch's last poll did not finish in time.")
        if self._error is not None:
            raise self._error
        assert self._result is not None  # the thread ended without an error
        return self._result
