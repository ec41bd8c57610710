"""From metric snapshots to what happened in each interval, summed over every process.

Snapshots hold cumulative values per process (`domain/metric_snapshots.py`), so what
happened between two snapshots of one process is their difference, and what the portal did
in an interval is the sum of those differences over its processes. The rules, as
Prometheus's `increase()` and `histogram_quantile()` apply them:

- A change is counted in the interval where the later snapshot falls: intervals are closed on
  the right, `(start, end]`, so a snapshot taken exactly at `end` belongs to that interval.
- A value lower than the snapshot before it means the process started again (it counts from
  zero), so the change is the new value itself. The same holds when a process's `started_at`
  differs from its previous snapshot's.
- A process's first snapshot counts from zero when the process started inside what was read
  (`counted_from`); otherwise it is only the starting point for the next one, since its
  values include everything before the read began.
- A histogram's bucket counts are differenced bucket by bucket; they stay cumulative, so the
  sums over processes can be ranked as one histogram (`quantile`).
- Readings of the moment (gauges) are never summed over time: an interval keeps the latest.

Pure functions over plain data: the unit tests build snapshots by hand.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

from eduportal.domain.metric_snapshots import Labels, MetricSeries, MetricsSnapshot, SeriesKind

SeriesKey = tuple[str, Labels]
_T = TypeVar("_T")


@dataclass
class Change:
    """How much one series (or several, added up) grew over an interval."""

    value: float = 0.0
    """A counter's increase; a histogram's increase of its sum."""
    count: float = 0.0
    """A histogram's new observations."""
    buckets: dict[float, float] = field(default_factory=dict)
    """A histogram's new observations at most each upper bound (cumulative)."""

    def add(self, other: Change) -> None:
        self.value += other.value
        self.count += other.count
        for bound, number in other.buckets.items():
            self.buckets[bound] = self.buckets.get(bound, 0.0) + number


@dataclass(frozen=True, slots=True)
class Reading:
    at: float
    value: float


@dataclass
class Interval:
    """What every process did in `(start, end]`."""

    start: float
    end: float
    changes: dict[SeriesKey, Change] = field(default_factory=dict)
    readings: dict[SeriesKey, Reading] = field(default_factory=dict)
    """Each gauge's latest reading in the interval, whichever process took it."""
    processes: set[str] = field(default_factory=set)
    """The processes that took a snapshot in it."""

    def total(self, name: str, **labels: str) -> float:
        """A counter's increase over every label set that has `labels`."""
        return sum(change.value for change in self._matching(self.changes, name, labels))

    def observations(self, name: str, **labels: str) -> Change:
        """A histogram's new observations over every label set that has `labels`, as one."""
        merged = Change()
        for change in self._matching(self.changes, name, labels):
            merged.add(change)
        return merged

    def reading(self, name: str, **labels: str) -> float | None:
        """The latest reading of a gauge, added up over the label sets that have `labels`;
        None when no process read it in the interval."""
        found = list(self._matching(self.readings, name, labels))
        return sum(reading.value for reading in found) if found else None

    @staticmethod
    def _matching(values: dict[SeriesKey, _T], name: str, labels: dict[str, str]) -> Iterable[_T]:
        wanted = set(labels.items())
        return (
            value
            for (series, series_labels), value in values.items()
            if series == name and wanted <= set(series_labels)
        )


def intervals(
    snapshots: Iterable[MetricsSnapshot],
    *,
    start: float,
    step: float,
    count: int,
    counted_from: float,
) -> list[Interval]:
    """`count` intervals of `step` seconds from `start`, each with what happened in it.

    `snapshots` are what was read from `counted_from` on, in any order; those before `start`
    only serve as starting points."""
    found = [Interval(start + i * step, start + (i + 1) * step) for i in range(count)]
    previous: dict[str, MetricsSnapshot] = {}
    for snapshot in sorted(snapshots, key=lambda s: (s.at, s.process)):
        before = previous.get(snapshot.process)
        previous[snapshot.process] = snapshot
        index = math.ceil((snapshot.at - start) / step) - 1
        if not 0 <= index < count:
            continue
        interval = found[index]
        interval.processes.add(snapshot.process)
        _add_readings(interval, snapshot)
        if before is not None and before.started_at != snapshot.started_at:
            before = None  # started again under the same name: everything counts from zero
        elif before is None and snapshot.started_at < counted_from:
            continue  # its values include time before the read began: a starting point only
        _add_changes(interval, before, snapshot)
    return found


def merged(parts: Sequence[Interval]) -> Interval:
    """Consecutive intervals as one (an hour from its minutes); the latest readings win."""
    whole = Interval(parts[0].start, parts[-1].end)
    for part in parts:
        for key, change in part.changes.items():
            whole.changes.setdefault(key, Change()).add(change)
        for key, reading in part.readings.items():
            if key not in whole.readings or reading.at >= whole.readings[key].at:
                whole.readings[key] = reading
        whole.processes |= part.processes
    return whole


def change_between(before: MetricSeries | None, now: MetricSeries) -> Change:
    """What one series of one process did between two snapshots (`before` None: since it
    started). A lower value than before means the process started again."""
    if before is None or _went_down(before, now):
        return Change(now.value, now.count, dict(now.buckets))
    earlier = dict(before.buckets)
    return Change(
        now.value - before.value,
        now.count - before.count,
        {bound: number - earlier.get(bound, 0.0) for bound, number in now.buckets},
    )


def quantile(q: float, observations: Change) -> float | None:
    """The `q` quantile (0 < q < 1) of the observations, as Prometheus's
    `histogram_quantile` estimates it: find the bucket holding the rank, interpolate
    linearly inside it (the first bucket starts at 0). A rank in the `+Inf` bucket gives the
    highest finite bound, the most that can be said. None with no observations, or with no
    finite bucket to place them in."""
    buckets = sorted(observations.buckets.items())
    if len(buckets) < 2 or not math.isinf(buckets[-1][0]):
        return None
    total = buckets[-1][1]
    if total <= 0:
        return None
    rank = q * total
    below, lower = 0.0, 0.0
    for index, (bound, cumulative) in enumerate(buckets):
        if cumulative >= rank:
            if math.isinf(bound):
                return buckets[index - 1][0]
            if index == 0 and bound <= 0:
                return bound
            inside = cumulative - below
            return lower + (bound - lower) * ((rank - below) / inside if inside else 1.0)
        below, lower = cumulative, bound
    return buckets[-2][0]  # counts that do not add up (a bucket ahead of +Inf): the top bound


def ratio(part: float, whole: float) -> float | None:
    """`part / whole`, or None when there was nothing (`whole` 0): "no traffic" is not 0 %."""
    return part / whole if whole > 0 else None


def _went_down(before: MetricSeries, now: MetricSeries) -> bool:
    if now.kind is SeriesKind.HISTOGRAM:
        earlier = dict(before.buckets)
        return now.count < before.count or any(
            number < earlier.get(bound, 0.0) for bound, number in now.buckets
        )
    return now.value < before.value


def _add_changes(
    interval: Interval, before: MetricsSnapshot | None, snapshot: MetricsSnapshot
) -> None:
    earlier = {s.key: s for s in before.series} if before is not None else {}
    for series in snapshot.series:
        if series.kind is SeriesKind.GAUGE:
            continue
        change = change_between(earlier.get(series.key), series)
        if change.value or change.count:
            interval.changes.setdefault(series.key, Change()).add(change)


def _add_readings(interval: Interval, snapshot: MetricsSnapshot) -> None:
    for series in snapshot.series:
        if series.kind is not SeriesKind.GAUGE:
            continue
        held = interval.readings.get(series.key)
        if held is None or snapshot.at >= held.at:
            interval.readings[series.key] = Reading(snapshot.at, series.value)
