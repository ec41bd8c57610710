"""A process's recorder over a real Prometheus registry and the SQLite history: a snapshot at
once, then every interval, a last one on stop; what fails is logged and skipped, never raised
into the process it watches."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_metrics_history import SqliteMetricsHistory
from eduportal.domain.metric_snapshots import MetricSeries, SeriesKind
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.observability.metrics_recorder import MetricsRecorder, SeriesHolder
from tests.support.network import wait_for
from tests.support.snapshots import gauge


@pytest.fixture
def database(tmp_path: Path) -> SqliteDatabase:
    return SqliteDatabase(tmp_path / "eduportal.db")


def test_series_are_the_catalogue_as_plain_data() -> None:
    metrics = PrometheusMetrics()
    assert isinstance(metrics, SeriesHolder)
    metrics.observe("image_upload_seconds", 0.02, backend="local")
    metrics.observe("image_upload_seconds", 3.0, backend="local")
    metrics.increment("image_upload_failures_total", backend="local", kind="timeout")
    metrics.increment("image_cache_hits_total", 2)
    found = {(s.name, s.labels): s for s in metrics.series()}
    upload = found[("image_upload_seconds", (("backend", "local"),))]
    assert upload.kind is SeriesKind.HISTOGRAM
    assert upload.count == 2 and upload.value == pytest.approx(3.02)
    assert dict(upload.buckets)[0.025] == 1 and dict(upload.buckets)[5.0] == 2
    assert math.isinf(upload.buckets[-1][0])
    failures = found[("image_upload_failures_total", (("backend", "local"), ("kind", "timeout")))]
    assert failures == MetricSeries(
        "image_upload_failures_total", SeriesKind.COUNTER, failures.labels, value=1.0
    )
    assert found[("image_cache_hits_total", ())].value == 2
    assert ("image_download_seconds", (("backend", "local"),)) not in found  # never used yet
    assert metrics.value("image_cache_hits_total") == 2  # the port's behaviour is unchanged


def test_it_records_at_once_every_interval_and_once_more_on_stop(
    database: SqliteDatabase,
) -> None:
    history = SqliteMetricsHistory(database)
    metrics = PrometheusMetrics()
    recorder = MetricsRecorder(history, [metrics.series], role="worker", interval_seconds=0.1)
    recorder.start()
    wait_for(lambda: len(history.since(0)) >= 3, seconds=10, what="three snapshots")
    metrics.increment("image_cache_hits_total", 5)
    recorder.stop()
    assert not recorder.running
    written = history.since(0)
    last = written[-1]
    assert {s.process for s in written} == {recorder.process}
    assert recorder.process.startswith("worker@")
    assert last.role == "worker" and last.started_at == recorder.started_at
    assert [(s.name, s.value) for s in last.series] == [("image_cache_hits_total", 5.0)]
    assert written[0].series == ()  # an idle process's snapshot keeps nothing at zero


def test_a_failing_source_costs_only_its_own_series(
    database: SqliteDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    history = SqliteMetricsHistory(database)

    def broken() -> list[MetricSeries]:
        raise RuntimeError("the queue's database is busy")

    def queue() -> list[MetricSeries]:
        return [gauge("pipeline_queue_messages", 0, state="waiting")]

    recorder = MetricsRecorder(history, [broken, queue], role="api", interval_seconds=60)
    with caplog.at_level(logging.WARNING, logger="eduportal"):
        assert recorder.record()
    (written,) = history.since(0)
    assert [(s.name, s.value) for s in written.series] == [("pipeline_queue_messages", 0.0)]
    assert "a source failed" in caplog.text


def test_a_history_that_cannot_be_written_is_logged_not_raised(
    database: SqliteDatabase, caplog: pytest.LogCaptureFixture
) -> None:
    history = SqliteMetricsHistory(database)
    recorder = MetricsRecorder(history, [], role="ui", interval_seconds=60)
    database.close()  # what a broken disk looks like to this thread: every statement fails
    with caplog.at_level(logging.WARNING, logger="eduportal"):
        assert not recorder.record()
    assert "metrics snapshot not written" in caplog.text
