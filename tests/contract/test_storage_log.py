"""Requirement 8.1, property 23: every storage operation leaves one JSON line with time, user,
assignment or image id, operation, key, bytes, duration, attempts and outcome, on files and
on S3 (moto's server over HTTP) alike, through the store the composition root builds."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.config import load_settings
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import EduportalError, NotFoundError
from eduportal.domain.images import Lifecycle
from eduportal.domain.keys import variant_keys
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.observability.logged_store import LoggedObjectStore
from eduportal.observability.logging import log_context
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.ports import ObjectStore
from eduportal.services.image_store import ImageStore
from eduportal.wiring import build
from tests.support.fixture_types import JsonLog, S3StoreFactory
from tests.support.flaky_store import FlakyStore
from tests.support.images import photograph, png
from tests.support.network import free_port

FIELDS = ("time", "correlation_id", "operation", "backend", "key", "bytes", "duration_ms")


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    if request.param == "local":
        local: ObjectStore = request.getfixturevalue("local_store")
        return local
    factory: S3StoreFactory = request.getfixturevalue("make_s3_store")
    return factory()


@pytest.fixture(params=["local", "s3"])
def failing_store(request: pytest.FixtureRequest, tmp_path: Path) -> ObjectStore:
    """A store whose writes fail as an unreachable backend's do, after its retries on S3."""
    if request.param == "local":
        return FlakyStore(tmp_path / "data", prefix="", failures=1)
    factory: S3StoreFactory = request.getfixturevalue("make_s3_store")
    return factory(endpoint=f"http://127.0.0.1:{free_port()}", timeout=3.0)


def storage_lines(json_log: JsonLog) -> list[dict[str, Any]]:
    return [line for line in json_log() if line["logger"] == "eduportal.storage"]


def test_an_illustration_stored_and_read_leaves_a_line_per_operation_with_its_context(
    store: ObjectStore, json_log: JsonLog
) -> None:
    metrics = PrometheusMetrics()
    images = ImageStore(
        LoggedObjectStore(store, metrics), ImageOptimizer(), metrics, public_url="http://x"
    )
    with correlation_scope("cid-log-1"), log_context(user="teacher-9", assignment_id="a6"):
        stored = images.store_generated("a6", png(photograph("chelsea")), teacher_id="teacher-9")
        images.fetch(stored.key)
        images.fetch(stored.key)  # from the cache: no storage operation, no line
        images.mark_permanent(stored.key)
        images.delete(stored.key)

    logged = storage_lines(json_log)
    others = [line for line in logged if line["key"] != stored.key]
    thumbnails = [line["key"] for line in others if line["operation"] == "put"]
    assert sorted(thumbnails) == sorted(stored.thumbnail_keys)
    deleted = {line["key"] for line in others if line["operation"] == "delete"}
    assert deleted == set(variant_keys(stored.key))  # none made here, but each looked for
    own = [line for line in logged if line["key"] == stored.key]
    assert [line["operation"] for line in own] == ["put", "get", "set_lifecycle", "delete"]
    for line in logged:
        assert all(line[name] is not None for name in FIELDS), line
        assert line["correlation_id"] == "cid-log-1"
        assert line["user"] == "teacher-9" and line["assignment_id"] == "a6"
        assert line["outcome"] == "success" and line["attempts"] == 1
        assert line["backend"] == store.backend and line["duration_ms"] >= 0
    assert own[0]["bytes"] == own[1]["bytes"] == stored.figures.optimized_size_bytes
    assert metrics.value("image_upload_seconds", backend=store.backend) == 1 + len(thumbnails)
    assert metrics.value("image_download_seconds", backend=store.backend) == 1


def test_head_listing_and_a_missing_key_are_logged_without_counting_as_failures(
    store: ObjectStore, json_log: JsonLog
) -> None:
    metrics = PrometheusMetrics()
    logged = LoggedObjectStore(store, metrics)
    for name in ("a", "b", "c"):
        logged.put(f"k/{name}.bin", b"x" * 10, content_type="x/y", cache_control="no-cache")
    with log_context(image_id="img-1"):
        assert logged.head("k/a.bin").size_bytes == 10
        assert logged.get_lifecycle("k/a.bin") is Lifecycle.AUTO
        assert len(list(logged.list_objects("k/"))) == 3
        first = next(logged.list_keys("k/"))  # abandoned after one: logged as far as it went
        assert first.startswith("k/")
        with pytest.raises(NotFoundError):
            logged.get("k/missing.bin")

    lines = [line for line in storage_lines(json_log) if line.get("image_id") == "img-1"]
    assert [line["operation"] for line in lines] == [
        "head",
        "get_lifecycle",
        "list",
        "list",
        "get",
    ]
    assert lines[0]["bytes"] == 10
    assert lines[2]["objects"] == 3 and lines[2]["bytes"] == 30 and lines[2]["key"] == "k/"
    assert lines[3]["objects"] == 1
    missing = lines[4]
    assert missing["outcome"] == "failure" and missing["error_kind"] == "not_found"
    assert missing["level"] == "INFO"  # an answer, not trouble: variants are looked for so
    assert (
        metrics.value("image_download_failures_total", backend=store.backend, kind="not_found") == 0
    )


def test_a_failed_write_is_logged_with_its_attempts_detail_and_kind(
    failing_store: ObjectStore, json_log: JsonLog
) -> None:
    metrics = PrometheusMetrics()
    logged = LoggedObjectStore(failing_store, metrics)
    with (
        correlation_scope("cid-fails"),
        log_context(user="teacher-2", image_id="img-2"),
        pytest.raises(EduportalError) as caught,
    ):
        logged.put("uploads/img-2/a.png", b"x" * 5, content_type="image/png", cache_control="c")

    [line] = storage_lines(json_log)
    assert line["level"] == "ERROR" and line["outcome"] == "failure"
    assert line["correlation_id"] == "cid-fails"
    assert line["user"] == "teacher-2" and line["image_id"] == "img-2"
    assert line["operation"] == "put" and line["key"] == "uploads/img-2/a.png"
    assert caught.value.transient  # unreachable, not refused
    assert line["error_kind"] == caught.value.kind.value and line["detail"]
    assert line["attempts"] == (caught.value.attempts or 1)
    if failing_store.backend == "s3":
        assert line["attempts"] > 1  # botocore's retries, counted
    kind = {"backend": failing_store.backend, "kind": caught.value.kind.value}
    assert metrics.value("image_upload_failures_total", **kind) == 1


@pytest.fixture
def pipeline_container(tmp_path: Path) -> Iterator[Any]:
    container = build(load_settings(storage="local", data_dir=tmp_path / "data"))
    yield container


def test_an_upload_and_its_pipeline_run_log_every_operation_with_the_image_and_uploader(
    pipeline_container: Any, json_log: JsonLog
) -> None:
    """The composition root wraps the store once, so the parts that never logged themselves
    (the upload service, the pipeline's stages) are in the log as well."""
    container = pipeline_container
    record = container.uploads.upload(
        png(photograph("astronaut")), file_name="a.png", content_type="image/png", uploader="t1"
    )
    container.worker().run(drain=True)

    lines = [line for line in storage_lines(json_log) if line.get("image_id") == record.image_id]
    upload = [line for line in lines if line["key"].startswith("uploads/")]
    assert upload[0]["operation"] == "put" and upload[0]["user"] == "t1"
    written = {line["key"].split("/")[0] for line in lines if line["operation"] == "put"}
    assert {"uploads", "processed", "thumbnails", "archive"} <= written, written
    assert all(line["outcome"] == "success" for line in lines)
    assert isinstance(container.raw_objects, LocalObjectStore)  # the canary's, unlogged
