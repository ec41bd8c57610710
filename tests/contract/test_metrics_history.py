"""The metrics history's contract, on the embedded default's SQLite database: snapshots come
back as written (every kind of series, labels, the `+Inf` bucket), oldest first, from a time
on; what has aged past the kept window goes on the next append; processes writing at once
lose nothing."""

from __future__ import annotations

import math
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_metrics_history import KEEP_SECONDS, SqliteMetricsHistory
from eduportal.ports import MetricsHistory
from tests.support.snapshots import counter, gauge, histogram, snapshot

T0 = 1_800_000_000.0


@pytest.fixture(params=["sqlite"])
def history(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetricsHistory]:
    """Every adapter of the port (SQLite alone today: on AWS the page reads CloudWatch)."""
    assert request.param == "sqlite"
    database = SqliteDatabase(tmp_path / "eduportal.db")
    yield SqliteMetricsHistory(database)
    database.close()


def test_a_snapshot_comes_back_as_written(history: MetricsHistory) -> None:
    written = snapshot(
        "api@host:12/ab12cd",
        T0,
        counter("image_upload_failures_total", 2, backend="s3", kind="timeout"),
        histogram("image_upload_seconds", [0.005, 0.2, 40.0], backend="s3"),
        gauge("pipeline_queue_messages", 0, state="dead"),
        role="api",
        started_at=T0 - 12.5,
    )
    history.append(written)
    (read,) = history.since(T0)
    assert read == written
    upload = next(s for s in read.series if s.name == "image_upload_seconds")
    assert math.isinf(upload.buckets[-1][0]) and upload.buckets[-1][1] == 3


def test_since_is_oldest_first_from_a_time_on_across_processes(history: MetricsHistory) -> None:
    for at, process in ((T0 + 20, "ui"), (T0, "api"), (T0 + 10, "worker"), (T0 - 5, "api")):
        history.append(snapshot(process, at, counter("image_cache_hits_total", at - T0 + 10)))
    assert [(s.process, s.at) for s in history.since(T0)] == [
        ("api", T0),
        ("worker", T0 + 10),
        ("ui", T0 + 20),
    ]
    assert history.since(T0 + 21) == []


def test_snapshots_older_than_the_window_go_on_the_next_append(history: MetricsHistory) -> None:
    history.append(snapshot("api", T0))
    history.append(snapshot("api", T0 + 60))
    history.append(snapshot("api", T0 + KEEP_SECONDS + 30))
    assert [s.at for s in history.since(0)] == [T0 + 60, T0 + KEEP_SECONDS + 30]


def test_processes_appending_at_once_lose_nothing(history: MetricsHistory) -> None:
    start = threading.Barrier(4)

    def write(process: str) -> None:
        start.wait()
        for n in range(25):
            history.append(snapshot(process, T0 + n, counter("image_cache_hits_total", n + 1)))

    threads = [threading.Thread(target=write, args=(f"p{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    read = history.since(T0)
    assert len(read) == 100
    assert {s.process for s in read} == {"p0", "p1", "p2", "p3"}
