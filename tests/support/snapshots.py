"""Metric snapshots built by hand, as a process's recorder would write them: values are
cumulative since the process started, so a later snapshot repeats every earlier observation."""

from __future__ import annotations

import math
from collections.abc import Sequence

from eduportal.domain.metric_snapshots import MetricSeries, MetricsSnapshot, SeriesKind, labels_of

BOUNDS = (0.01, 0.1, 1.0, 10.0)
"""Simple bucket bounds for hand-checked quantiles; `inf` is added."""


def counter(name: str, value: float, **labels: str) -> MetricSeries:
    return MetricSeries(name, SeriesKind.COUNTER, labels_of(labels), value=value)


def gauge(name: str, value: float, **labels: str) -> MetricSeries:
    return MetricSeries(name, SeriesKind.GAUGE, labels_of(labels), value=value)


def histogram(
    name: str,
    observations: Sequence[float],
    bounds: Sequence[float] = BOUNDS,
    **labels: str,
) -> MetricSeries:
    """A histogram holding `observations` (every one since the process started)."""
    buckets = tuple(
        (bound, float(sum(1 for seen in observations if seen <= bound)))
        for bound in (*bounds, math.inf)
    )
    return MetricSeries(
        name,
        SeriesKind.HISTOGRAM,
        labels_of(labels),
        value=float(sum(observations)),
        count=float(len(observations)),
        buckets=buckets,
    )


def snapshot(
    process: str,
    at: float,
    *series: MetricSeries,
    started_at: float = 0.0,
    role: str = "api",
) -> MetricsSnapshot:
    return MetricsSnapshot(
        process=process, role=role, started_at=started_at, at=at, series=tuple(series)
    )
