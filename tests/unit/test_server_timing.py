"""The `Server-Timing` collection: the header's format, its parser, and how a storage
operation reaches the request that caused it (context variables, threads, failures)."""

from __future__ import annotations

import contextvars
import threading
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from eduportal.api.app import create_app
from eduportal.config import load_settings
from eduportal.domain.accounts import Role
from eduportal.domain.errors import NotFoundError, StorageUnavailableError
from eduportal.observability.logged_store import LoggedObjectStore
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.observability.server_timing import (
    MAX_ENTRIES,
    Timing,
    collecting,
    header_value,
    parse,
    record,
)
from eduportal.observability.storage_log import storage_operation
from eduportal.wiring import build
from tests.support.flaky_store import FlakyStore
from tests.support.texts import PASSWORD, SCIENCE


def test_the_header_lists_each_operation_and_parses_back() -> None:
    timings = [
        Timing("storage-put", 12.3),
        Timing("storage-put", 2.0, "failure"),
        Timing("storage-get", 0.4),
    ]
    value = header_value(timings)
    assert value == 'storage-put;dur=12.3, storage-put;dur=2;desc="failure", storage-get;dur=0.4'
    assert parse(value) == timings


def test_the_parser_reads_what_a_cdn_adds_and_skips_what_does_not_parse() -> None:
    value = (
        'cdn-cache-hit, cdn-pop;desc="IAD89-C1", cdn-rid;desc="a,b;c \\"q\\"", '
        "storage-get;dur=abc, cache;desc=hit;dur=0.5, , total;DUR=7"
    )
    assert parse(value) == [
        Timing("cdn-cache-hit"),
        Timing("cdn-pop", None, "IAD89-C1"),
        Timing("cdn-rid", None, 'a,b;c "q"'),
        Timing("storage-get"),
        Timing("cache", 0.5, "hit"),
        Timing("total", 7.0),
    ]
    assert parse("") == []


def test_recording_outside_a_request_does_nothing() -> None:
    record("put", 0.1, failed=False)  # no collection open: nothing to fail
    with collecting() as timings:
        pass
    assert timings == []


def test_a_thread_running_in_a_copy_of_the_context_records_into_the_request() -> None:
    """What `run_in_threadpool` does with a sync endpoint."""
    with collecting() as timings:
        context = contextvars.copy_context()
        worker = threading.Thread(
            target=context.run, args=(record, "get", 0.0042), kwargs={"failed": False}
        )
        worker.start()
        worker.join()
    assert timings == [Timing("storage-get", 4.2)]


def test_the_collection_is_bounded() -> None:
    with collecting() as timings:
        for _ in range(MAX_ENTRIES + 5):
            record("delete", 0.001, failed=False)
    assert len(timings) == MAX_ENTRIES


def test_storage_operations_feed_the_collection_and_only_real_failures_say_so() -> None:
    metrics = PrometheusMetrics()
    with collecting() as timings:
        with storage_operation("put", "k", "local", metrics):
            pass
        with pytest.raises(StorageUnavailableError), storage_operation("put", "k", "s3", metrics):
            raise StorageUnavailableError(detail="test")
        with pytest.raises(NotFoundError), storage_operation("get", "k", "s3", metrics):
            raise NotFoundError(detail="test")
    assert [(t.name, t.description) for t in timings] == [
        ("storage-put", None),
        ("storage-put", "failure"),
        ("storage-get", None),  # a missing key is an answer from storage, not a failure of it
    ]
    assert all(t.duration_ms is not None and t.duration_ms >= 0 for t in timings)


def test_a_create_whose_upload_fails_says_so_in_its_header(tmp_path: Path) -> None:
    settings = load_settings(storage="local", data_dir=tmp_path, generators="offline")
    store = FlakyStore(tmp_path / "objects", prefix="generated_images/", failures=100)
    metrics = PrometheusMetrics()  # the store logged as the composition root logs its own
    container = build(settings, metrics=metrics, stored_objects=LoggedObjectStore(store, metrics))
    container.accounts.register("teacher1", PASSWORD, Role.TEACHER)
    with TestClient(create_app(container), raise_server_exceptions=False) as client:
        token = client.post(
            "/api/login", json={"username": "teacher1", "password": PASSWORD}
        ).json()["token"]
        response = client.post(
            "/api/assignments",
            json={"text": SCIENCE, "with_image": True},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 503, response.text
    timings = parse(response.headers["server-timing"])
    # The image and its two thumbnails are written side by side, and all three fail here;
    # the generation cache was looked up first (a miss is an answer, not a failure) and the
    # model's picture kept in it (another prefix, which does not fail).
    assert [t.name for t in timings if t.description == "failure"] == ["storage-put"] * 3
    assert sorted(t.name for t in timings if t.description is None) == [
        "storage-get",
        "storage-put",
    ]
