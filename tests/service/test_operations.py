"""The Operations page's figures over the embedded default's real parts: snapshots in the
SQLite history (written by hand, as two processes' recorders would), the SQLite queue, the
file store measured against a quota. The clock is set by hand, so "the last hour" is known."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from eduportal.adapters.aws.clients import s3_client
from eduportal.adapters.aws.s3_store import S3ObjectStore
from eduportal.config import load_settings
from eduportal.domain.accounts import Account
from eduportal.domain.errors import ForbiddenError
from eduportal.domain.image_records import Stage
from eduportal.domain.images import Lifecycle
from eduportal.ports import MetricsHistory
from eduportal.services.operations import QUEUE_GAUGE, OperationsService
from eduportal.services.storage_gauge import StorageGauge
from eduportal.wiring import Container, build
from tests.support.clock import FakeClock
from tests.support.network import free_port, wait_for
from tests.support.snapshots import counter, gauge, histogram, snapshot

NOW = 1_800_000_030.0  # 30 s into a minute
QUOTA = 10_000


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def container(tmp_path: Path, clock: FakeClock) -> Container:
    settings = load_settings(
        storage="local",
        data_dir=tmp_path / "data",
        generators="offline",
        storage_quota_bytes=QUOTA,
    )
    return build(settings, clock=clock)


def history_of(container: Container) -> MetricsHistory:
    history = container.metrics_history
    assert history is not None
    return history


def test_an_hour_of_two_processes_is_summed_minute_by_minute(container: Container) -> None:
    history = history_of(container)
    early = NOW - 50 * 60  # 50 minutes ago
    for process, role in (("api-1", "api"), ("ui-1", "ui")):
        history.append(snapshot(process, early - 30, role=role, started_at=NOW - 7200))
    history.append(
        snapshot(
            "api-1",
            early,
            histogram("image_upload_seconds", [0.05] * 9 + [5.0], backend="local"),
            counter("image_upload_failures_total", 1, backend="local", kind="upload"),
            counter("image_cache_hits_total", 3),
            counter("image_cache_misses_total", 1),
            role="api",
            started_at=NOW - 7200,
        )
    )
    history.append(
        snapshot(
            "ui-1",
            early + 5,
            histogram("image_upload_seconds", [0.05] * 10, backend="local"),
            histogram("image_optimize_seconds", [0.2] * 4),
            counter("image_optimize_fallbacks_total", 1),
            role="ui",
            started_at=NOW - 7200,
        )
    )
    history.append(
        snapshot(
            "worker-1",
            NOW - 60,
            histogram("pipeline_stage_seconds", [0.02, 0.04], stage="resize", outcome="completed"),
            histogram("pipeline_stage_seconds", [0.5], stage="validate", outcome="completed"),
            gauge(QUEUE_GAUGE, 3, state="waiting"),
            gauge(QUEUE_GAUGE, 1, state="in_flight"),
            gauge(QUEUE_GAUGE, 0, state="dead"),
            role="worker",
            started_at=NOW - 90,  # started within the read: counted from zero
        )
    )

    found = container.operations.history(NOW)
    assert len(found.minutes) == 60
    assert found.end == 1_800_000_060.0 and found.start == found.end - 3600
    minute = next(m for m in found.minutes if m.start < early <= m.end)
    assert minute.uploads.attempts == 20 and minute.uploads.failures == 1
    assert minute.uploads.failure_share == pytest.approx(0.05)
    assert minute.uploads.latency.p50 is not None and minute.uploads.latency.p50 < 0.1
    assert minute.uploads.latency.p99 is not None and 1.0 < minute.uploads.latency.p99 <= 10.0
    assert minute.cache_hit_share == pytest.approx(0.75)
    assert (minute.optimized, minute.fallbacks, minute.fallback_share) == (4, 1, 0.25)
    assert minute.downloads.attempts == 0 and minute.downloads.failure_share is None

    assert found.hour.uploads.attempts == 20
    assert found.recent.uploads.attempts == 0  # 50 minutes ago is not the last 5
    assert found.recent.queue is not None and found.recent.queue.waiting == 3
    assert [(s.stage, s.tries) for s in found.stages] == [(Stage.VALIDATE, 1), (Stage.RESIZE, 2)]
    assert found.processes == {"api": 1, "ui": 1, "worker": 1}


def test_a_quiet_hour_says_no_traffic_rather_than_zero(container: Container) -> None:
    overview = container.operations.overview()
    assert overview.history_kept and overview.history is not None
    assert overview.history.quiet
    recent = overview.history.recent
    assert recent.uploads.failure_share is None and recent.uploads.latency.p95 is None
    assert recent.cache_hit_share is None and recent.queue is None
    assert overview.queue is not None and overview.queue.waiting == 0
    assert overview.snapshot_seconds == 30


def test_storage_is_measured_against_the_quota_and_kept_a_while(
    container: Container, clock: FakeClock
) -> None:
    store = container.stored_objects
    store.put("generated_images/a.webp", b"x" * 8_500, content_type="image/webp",
              cache_control="no-store", lifecycle=Lifecycle.AUTO)  # fmt: skip
    status = container.operations.overview().storage
    assert status.reading is not None and status.reading.bytes == 8_500
    assert status.reading.measured_at == NOW
    assert status.share == pytest.approx(0.85) and status.needs_attention

    store.delete("generated_images/a.webp")
    assert container.operations.overview().storage.reading == status.reading  # kept
    clock.advance(status.reading.kept_seconds + 1)
    again = container.operations.overview().storage  # a quick store: waited for
    assert again.reading is not None and again.reading.bytes == 0
    assert not again.needs_attention


def test_a_quick_listing_is_kept_seconds_and_a_slow_one_minutes(container: Container) -> None:
    gauge = StorageGauge(container.stored_objects, container.clock, quota_bytes=None)
    assert gauge.kept_for(0.05) == 10  # a small store: measuring again costs nothing
    assert gauge.kept_for(45.0) == 300  # a big bucket: minutes between listings


def test_a_store_that_cannot_be_listed_is_reported_beside_the_other_figures(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings(storage="local", data_dir=tmp_path / "data", generators="offline")
    down = S3ObjectStore(
        s3_client(
            region="us-east-1", timeout_seconds=1, endpoint_url=f"http://127.0.0.1:{free_port()}"
        ),
        "eduportal-images",
        timeout_seconds=1,
    )  # nothing listens there: the backend is down
    service = build(settings, clock=clock, stored_objects=down).operations

    def failed() -> bool:
        return service.overview().storage.error is not None

    started = time.monotonic()
    overview = service.overview()
    assert time.monotonic() - started < 5  # the page never waits for a listing for long
    assert overview.history is not None and overview.queue is not None
    wait_for(failed, seconds=30, what="the listing's failure")
    status = service.overview().storage
    assert status.reading is None and not status.measuring
    assert status.error is not None and status.error.transient  # the page says "try later"


def test_with_mongodb_no_history_is_kept_and_the_live_figures_still_come(
    tmp_path: Path, clock: FakeClock
) -> None:
    settings = load_settings(
        storage="local",
        data_dir=tmp_path / "data",
        generators="offline",
        mongodb_uri="mongodb://127.0.0.1:1",  # never contacted: the page reads no repository
    )
    overview = build(settings, clock=clock).operations.overview()
    assert not overview.history_kept and overview.history is None
    assert overview.history_error is None
    assert overview.queue is not None and overview.storage.reading is not None


def test_only_teachers_see_operations(
    container: Container, teacher: Account, student: Account
) -> None:
    service: OperationsService = container.operations
    service.authorize(teacher)
    with pytest.raises(ForbiddenError):
        service.authorize(student)
