"""Snapshots of one process's metrics: what the Operations page reads across processes.

Each long-running process (the API, the Streamlit server, every worker) counts in its own
memory, so no one process can say how the portal did over the last hour. Each therefore
appends, every few seconds, a snapshot of its cumulative series to a history every process
shares (`ports.MetricsHistory`), and the page works out what changed between snapshots
(`services/metric_windows.py`). Values are cumulative since the process started, exactly as
the process holds them: a snapshot lost or a process killed costs at most one interval's
detail, never a wrong total, and a restart is visible as values that went down.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

Labels = tuple[tuple[str, str], ...]
"""A series' label set, sorted by name, so equal sets compare and hash equal."""


class SeriesKind(StrEnum):
    COUNTER = "counter"
    """Only grows while the process lives; `value` is the total."""
    HISTOGRAM = "histogram"
    """Observations in buckets: `count`, `value` (their sum) and cumulative `buckets`."""
    GAUGE = "gauge"
    """A reading of the moment (the queue's depth): never summed over time, the latest wins."""


@dataclass(frozen=True, slots=True)
class MetricSeries:
    """One series as it stands in one process: a metric's name and one set of its labels."""

    name: str
    kind: SeriesKind
    labels: Labels = ()
    value: float = 0.0
    """A counter's total, a histogram's sum of observations, a gauge's reading."""
    count: float = 0.0
    """A histogram's number of observations (0 for the other kinds)."""
    buckets: tuple[tuple[float, float], ...] = ()
    """A histogram's (upper bound, observations at most that bound), ascending, `inf` last:
    cumulative, as Prometheus keeps them."""

    @property
    def key(self) -> tuple[str, Labels]:
        return (self.name, self.labels)

    def label(self, name: str) -> str | None:
        return dict(self.labels).get(name)

    def to_document(self) -> dict[str, Any]:
        document: dict[str, Any] = {"name": self.name, "kind": self.kind.value}
        if self.labels:
            document["labels"] = dict(self.labels)
        document["value"] = self.value
        if self.kind is SeriesKind.HISTOGRAM:
            document["count"] = self.count
            # JSON has no infinity: the last bound is written as Prometheus writes it.
            document["buckets"] = [[_bound_text(le), n] for le, n in self.buckets]
        return document

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> MetricSeries:
        return cls(
            name=str(document["name"]),
            kind=SeriesKind(document["kind"]),
            labels=labels_of(document.get("labels") or {}),
            value=float(document.get("value", 0.0)),
            count=float(document.get("count", 0.0)),
            buckets=tuple((float(le), float(n)) for le, n in document.get("buckets", ())),
        )


@dataclass(frozen=True, slots=True)
class MetricsSnapshot:
    """Every series one process held at one moment."""

    process: str
    """Unique to one run of one process (role, host, pid and a random part): a process
    started again is another process, whose values count from zero."""
    role: str
    """What the process is: `api`, `ui`, `worker`."""
    started_at: float
    """When its values started from zero (seconds since the epoch)."""
    at: float
    series: tuple[MetricSeries, ...] = ()

    def to_document(self) -> dict[str, Any]:
        return {
            "process": self.process,
            "role": self.role,
            "started_at": self.started_at,
            "at": self.at,
            "series": [series.to_document() for series in self.series],
        }

    @classmethod
    def from_document(cls, document: Mapping[str, Any]) -> MetricsSnapshot:
        return cls(
            process=str(document["process"]),
            role=str(document["role"]),
            started_at=float(document["started_at"]),
            at=float(document["at"]),
            series=tuple(MetricSeries.from_document(s) for s in document.get("series", ())),
        )


def labels_of(labels: Mapping[str, str]) -> Labels:
    return tuple(sorted((str(name), str(value)) for name, value in labels.items()))


def _bound_text(bound: float) -> float | str:
    return "+Inf" if math.isinf(bound) else bound
