"""The metrics catalogue, and its Prometheus implementation of the `Metrics` port.

Names are stable and shared by both backends (ARCHITECTURE.md): the catalogue below is the one
place they are declared, with their kind, help text and label names, so a CloudWatch
embedded-metric-format implementation can publish exactly the same series. Each
`PrometheusMetrics` owns a registry of its own: `/metrics` shows eduportal's series plus the
process collectors, and tests can build many applications without duplicate registrations.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final, Literal

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    generate_latest,
    platform_collector,
    process_collector,
)

from eduportal.domain.metric_snapshots import Labels, MetricSeries, SeriesKind, labels_of

_STORAGE_BUCKETS: Final = (
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30,
)  # fmt: skip
_WORK_BUCKETS: Final = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    name: str
    kind: Literal["counter", "histogram"]
    help: str
    labels: tuple[str, ...] = ()
    buckets: tuple[float, ...] = _STORAGE_BUCKETS
    unit: Literal["Count", "Seconds", "Bytes"] = "Count"
    """CloudWatch's unit, in which an alarm's threshold is written."""
    alarm_labels: tuple[str, ...] | None = None
    """Also published to CloudWatch with only these dimensions: the series an alarm sums
    (failures of every kind), since CloudWatch does not add up dimensions itself."""


CATALOGUE: Final = (
    MetricSpec(
        "image_upload_seconds",
        "histogram",
        "Time to write one object to the store, retries included",
        ("backend",),
        unit="Seconds",
    ),
    MetricSpec(
        "image_download_seconds",
        "histogram",
        "Time to read one object from the store (image cache misses, pipeline reads)",
        ("backend",),
        unit="Seconds",
    ),
    MetricSpec(
        "image_upload_failures_total",
        "counter",
        "Object writes that failed after their retries",
        ("backend", "kind"),
        alarm_labels=("backend",),
    ),
    MetricSpec(
        "image_download_failures_total",
        "counter",
        "Object reads that failed (for images shown: a placeholder was served instead)",
        ("backend", "kind"),
        alarm_labels=("backend",),
    ),
    MetricSpec(
        "image_upload_retries_total", "counter", "Extra attempts object writes needed", ("backend",)
    ),
    MetricSpec("image_cache_hits_total", "counter", "Image reads served from the local cache"),
    MetricSpec("image_cache_misses_total", "counter", "Image reads that went to the object store"),
    MetricSpec(
        "image_optimize_seconds",
        "histogram",
        "Time to optimize one image",
        buckets=_WORK_BUCKETS,
        unit="Seconds",
    ),
    MetricSpec(
        "image_optimize_fallbacks_total",
        "counter",
        "Images stored losslessly as PNG because WebP encoding failed",
    ),
    MetricSpec("image_bytes_saved_total", "counter", "Bytes saved by optimization", unit="Bytes"),
    MetricSpec(
        "pipeline_stage_seconds",
        "histogram",
        "Time one try of a pipeline stage took, by stage and outcome",
        ("stage", "outcome"),
        buckets=_WORK_BUCKETS,
        unit="Seconds",
    ),
    MetricSpec(
        "pipeline_images_total",
        "counter",
        "Images that reached a final status in the pipeline",
        ("status",),
    ),
    MetricSpec(
        "pipeline_image_seconds",
        "histogram",
        "Time from upload to a final status",
        ("status",),
        buckets=(0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900),
        unit="Seconds",
    ),
    MetricSpec(
        "login_failures_total",
        "counter",
        "Sign-ins refused for a wrong user name or password",
    ),
    MetricSpec(
        "login_throttled_total",
        "counter",
        "Sign-ins refused unchecked because of too many recent failures",
        ("scope",),
    ),
    MetricSpec(
        "image_generation_cache_hits_total",
        "counter",
        "Illustrations served from the generation cache: each one a model call saved",
    ),
    MetricSpec(
        "image_generation_cache_misses_total",
        "counter",
        "Illustrations asked of the model, by why the generation cache did not serve them",
        ("reason",),
    ),
    MetricSpec(
        "generation_rate_limited_total",
        "counter",
        "Generations refused because the teacher had used their allowance",
        ("generation",),
    ),
)


class PrometheusMetrics:
    """`Metrics` on a Prometheus registry of its own."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        process_collector.ProcessCollector(registry=self.registry)
        platform_collector.PlatformCollector(registry=self.registry)
        gc_collector.GCCollector(registry=self.registry)
        self._counters: dict[str, Counter] = {}
        self._histograms: dict[str, Histogram] = {}
        for spec in CATALOGUE:
            if spec.kind == "counter":
                self._counters[spec.name] = Counter(
                    spec.name, spec.help, spec.labels, registry=self.registry
                )
            else:
                self._histograms[spec.name] = Histogram(
                    spec.name, spec.help, spec.labels, buckets=spec.buckets, registry=self.registry
                )

    def increment(self, name: str, amount: float = 1.0, **labels: str) -> None:
        counter = self._counters[name]
        (counter.labels(**labels) if labels else counter).inc(amount)

    def observe(self, name: str, value: float, **labels: str) -> None:
        histogram = self._histograms[name]
        (histogram.labels(**labels) if labels else histogram).observe(value)

    def flush(self) -> None:
        """Nothing waits: Prometheus scrapes."""

    def value(self, name: str, **labels: str) -> float:
        """A counter's total, or a histogram's count of observations; 0 before the first."""
        sample = name if name in self._counters else f"{name}_count"
        return self.registry.get_sample_value(sample, labels) or 0.0

    def exposition(self) -> bytes:
        """The text format `/metrics` serves."""
        return generate_latest(self.registry)

    def series(self) -> list[MetricSeries]:
        """Every catalogue series as it stands, as plain data: what a snapshot of this process
        keeps (`observability/metrics_recorder.py`). Counters give their total, histograms
        their cumulative buckets, count and sum, one entry per label set used so far (a
        series with no labels is always there, from 0)."""
        found: list[MetricSeries] = []
        for spec in CATALOGUE:
            if spec.kind == "counter":
                found += _counter_series(spec.name, self._counters[spec.name])
            else:
                found += _histogram_series(spec.name, self._histograms[spec.name])
        return found


def _counter_series(name: str, counter: Counter) -> list[MetricSeries]:
    return [
        MetricSeries(name, SeriesKind.COUNTER, labels_of(sample.labels), value=sample.value)
        for metric in counter.collect()
        for sample in metric.samples
        if sample.name.endswith("_total")
    ]


@dataclass
class _Gathered:
    buckets: list[tuple[float, float]] = field(default_factory=list)
    count: float = 0.0
    sum: float = 0.0


def _histogram_series(name: str, histogram: Histogram) -> list[MetricSeries]:
    gathered: dict[Labels, _Gathered] = {}
    for metric in histogram.collect():
        for sample in metric.samples:
            labels = labels_of({k: v for k, v in sample.labels.items() if k != "le"})
            part = gathered.setdefault(labels, _Gathered())
            if sample.name.endswith("_bucket"):
                part.buckets.append((float(sample.labels["le"]), sample.value))
            elif sample.name.endswith("_count"):
                part.count = sample.value
            elif sample.name.endswith("_sum"):
                part.sum = sample.value
    return [
        MetricSeries(
            name,
            SeriesKind.HISTOGRAM,
            labels,
            value=part.sum,
            count=part.count,
            buckets=tuple(sorted(part.buckets)),
        )
        for labels, part in gathered.items()
    ]
