"""The catalogue's metrics published to CloudWatch in the embedded metric format (EMF).

On AWS the alarms and the dashboard read CloudWatch, not `/metrics`. EMF is CloudWatch's own
way in: a JSON line in a log, which CloudWatch turns into metrics without an API call per
value (no `PutMetricData` throttling, no request in the request path). Lambda ships the lines
from its log; on an instance the CloudWatch agent listens for them (`tcp://127.0.0.1:25888`).
AWS's `aws-embedded-metrics` library builds the lines and talks to the agent; it is used
synchronously here, through its context, serializer and sinks, because the portal's services
are not asynchronous.

Values are buffered and published every few seconds, not one line per value: counters are
summed per interval, histograms keep every value (CloudWatch computes p50/p95/p99 from them).
The Prometheus registry underneath keeps `/metrics` and the Operations page working on AWS too.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections.abc import Callable
from typing import Final, TextIO

from aws_embedded_metrics.logger.metrics_context import MetricsContext
from aws_embedded_metrics.serializers.log_serializer import LogSerializer
from aws_embedded_metrics.sinks import Sink

from eduportal.domain.deployment_figures import METRICS_NAMESPACE as NAMESPACE
from eduportal.observability.metrics import CATALOGUE, PrometheusMetrics

log = logging.getLogger(__name__)

FLUSH_SECONDS: Final = 10.0
MAX_BUFFERED_VALUES: Final = 10_000
"""Past this many values waiting, the caller publishes at once: memory stays bounded under any
request rate."""

_SPECS: Final = {spec.name: spec for spec in CATALOGUE}

_Labels = tuple[tuple[str, str], ...]
_Group = tuple[_Labels, tuple[str, ...] | None]
"""Values published in one event: one label set, and the dimensions its alarms also need."""


class StreamSink(Sink):
    """EMF lines on a text stream. Lambda ships standard error as it does standard output; the
    portal's commands keep standard output for what they print."""

    def __init__(self, stream: Callable[[], TextIO]) -> None:
        self._stream = stream
        self._serializer = LogSerializer()

    def accept(self, context: MetricsContext) -> None:
        stream = self._stream()
        for line in self._serializer.serialize(context):
            stream.write(line + "\n")
        stream.flush()

    @staticmethod
    def name() -> str:
        return "StreamSink"


class EmfMetrics(PrometheusMetrics):
    """`Metrics` on a Prometheus registry, each value also published through an EMF sink."""

    def __init__(self, sink: Sink, *, flush_seconds: float = FLUSH_SECONDS) -> None:
        super().__init__()
        self._sink = sink
        self._lock = threading.Lock()
        self._publish_lock = threading.Lock()
        self._waiting: dict[_Group, dict[str, list[float]]] = {}
        self._count = 0
        self._stopped = threading.Event()
        if flush_seconds > 0:  # 0: only explicit flushes (a Lambda flushes per invocation)
            threading.Thread(
                target=self._publish_every, args=(flush_seconds,), name="emf-flush", daemon=True
            ).start()
        atexit.register(self.close)

    def increment(self, name: str, amount: float = 1.0, **labels: str) -> None:
        super().increment(name, amount, **labels)
        self._add(name, amount, labels, summed=True)

    def observe(self, name: str, value: float, **labels: str) -> None:
        super().observe(name, value, **labels)
        self._add(name, value, labels, summed=False)

    def flush(self) -> None:
        """Publish every value waiting; one event per label set, as EMF's dimensions are set
        per event."""
        with self._publish_lock:  # one publisher at a time keeps the events in order
            with self._lock:
                waiting, self._waiting, self._count = self._waiting, {}, 0
            for group, values in waiting.items():
                try:
                    self._sink.accept(_event(group, values))
                except Exception:  # a sink's failure costs these values, never a request
                    log.warning("metrics not published to CloudWatch", exc_info=True)

    def close(self) -> None:
        self._stopped.set()
        self.flush()

    def _add(self, name: str, value: float, labels: dict[str, str], *, summed: bool) -> None:
        group = (tuple(sorted(labels.items())), _SPECS[name].alarm_labels)
        with self._lock:
            values = self._waiting.setdefault(group, {}).setdefault(name, [])
            if summed and values:
                values[0] += value
            else:
                values.append(value)
                self._count += 1
            full = self._count >= MAX_BUFFERED_VALUES
        if full:
            self.flush()

    def _publish_every(self, seconds: float) -> None:
        while not self._stopped.wait(seconds):
            self.flush()


def _event(group: _Group, values: dict[str, list[float]]) -> MetricsContext:
    labels, alarm_labels = group
    context = MetricsContext(namespace=NAMESPACE)
    dimensions = dict(labels)
    sets = [dimensions]
    if alarm_labels is not None:
        rolled = {name: value for name, value in dimensions.items() if name in alarm_labels}
        if rolled != dimensions:
            sets.append(rolled)
    context.set_dimensions(sets, use_default=False)
    for name, measured in values.items():
        for value in measured:
            context.put_metric(name, value, _SPECS[name].unit)
    return context
