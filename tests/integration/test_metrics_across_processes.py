"""Two real processes record their metrics into one SQLite database and the Operations
service adds them up: a portal process that stores, reads and uploads images (its recorder
started as the API's is), and `eduportal worker --drain`, which processes the upload and
records its pipeline stages. Each process counts only in its own memory; the sums must be
what both counted."""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Iterable
from multiprocessing.connection import Connection
from pathlib import Path

from eduportal.config import load_settings
from eduportal.domain.image_records import Stage
from eduportal.domain.metric_snapshots import MetricSeries
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.wiring import build
from tests.support.cli import cli_env, run_cli
from tests.support.images import gradient, png

SPAWN = multiprocessing.get_context("spawn")
SNAPSHOT_SECONDS = "0.2"


def portal_process(data_dir: Path, report: Connection) -> None:
    """Save an illustration, read it three times, upload an image into the pipeline; report
    what this process counted."""
    settings = load_settings(
        data_dir=data_dir, generators="offline", metrics_snapshot_seconds=SNAPSHOT_SECONDS
    )
    container = build(settings)
    container.start_recording("api", queue_depth=True)
    images = container.image_store
    stored = images.store_generated("a1", png(gradient(800, 600)), teacher_id="teacher1")
    for _ in range(3):
        images.read(stored.key)
    container.uploads.upload(
        png(gradient(320, 240)), file_name="lesson.png", content_type="image/png", uploader="t1"
    )
    time.sleep(0.5)  # a few snapshots on the way
    container.stop_recording()
    metrics = container.metrics
    assert isinstance(metrics, PrometheusMetrics)
    report.send(totals(metrics.series()))


def totals(series: Iterable[MetricSeries]) -> dict[str, float]:
    """Each metric's total over its label sets: a counter's value, a histogram's count."""
    found: dict[str, float] = {}
    for one in series:
        found[one.name] = found.get(one.name, 0.0) + (one.count or one.value)
    return found


def test_two_processes_recorders_are_summed_by_the_service(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    receive, send = SPAWN.Pipe(duplex=False)
    portal = SPAWN.Process(target=portal_process, args=(data_dir, send))
    portal.start()
    assert receive.poll(120), "the portal process reported nothing"
    counted = receive.recv()
    portal.join(30)
    assert portal.exitcode == 0
    assert counted["image_upload_seconds"] >= 1 and counted["image_cache_hits_total"] >= 2

    worker = run_cli(
        ["worker", "--drain"],
        {**cli_env(data_dir), "EDUPORTAL_METRICS_SNAPSHOT_SECONDS": SNAPSHOT_SECONDS},
        timeout=120,
    )
    assert worker.returncode == 0, worker.stderr

    container = build(load_settings(data_dir=data_dir, generators="offline"))
    history = container.operations.history(time.time())
    assert history.processes == {"api": 1, "worker": 1}
    assert container.metrics_history is not None
    worker_last = [s for s in container.metrics_history.since(0) if s.role == "worker"][-1]
    worker_counted = totals(worker_last.series)

    hour = history.hour
    assert hour.uploads.attempts == counted["image_upload_seconds"] + worker_counted.get(
        "image_upload_seconds", 0
    )
    assert hour.cache_hits == counted["image_cache_hits_total"]
    assert hour.cache_misses == counted.get("image_cache_misses_total", 0)
    assert hour.optimized == counted["image_optimize_seconds"] + worker_counted.get(
        "image_optimize_seconds", 0
    )
    assert [times.stage for times in history.stages] == list(Stage)  # the worker's
    assert all(times.tries == 1 for times in history.stages)
    assert hour.queue is not None and hour.queue.waiting == 1  # as the portal process last read it
