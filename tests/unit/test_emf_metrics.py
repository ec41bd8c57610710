"""The catalogue's metrics in CloudWatch's embedded metric format: what an alarm will read.

Each line is checked against the format's rules (namespace, dimension sets whose keys are
top-level members, a unit per metric, a value for each), and an agent's listener is a real
TCP socket on loopback."""

from __future__ import annotations

import io
import json
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from eduportal.config import load_settings
from eduportal.domain.deployment_figures import METRICS_NAMESPACE as NAMESPACE
from eduportal.observability.emf_metrics import (
    MAX_BUFFERED_VALUES,
    EmfMetrics,
    StreamSink,
)
from eduportal.observability.metrics import CATALOGUE
from eduportal.wiring import build, build_metrics
from tests.support.network import wait_for

UNITS = {spec.name: spec.unit for spec in CATALOGUE}


def events(text: str) -> list[dict[str, Any]]:
    """The EMF events in `text`, each checked against the format's rules."""
    found = [json.loads(line) for line in text.splitlines() if line.strip()]
    for event in found:
        [directive] = event["_aws"]["CloudWatchMetrics"]
        assert directive["Namespace"] == NAMESPACE
        assert isinstance(event["_aws"]["Timestamp"], int)
        for dimension_set in directive["Dimensions"]:
            assert all(isinstance(event[key], str) for key in dimension_set)
        for metric in directive["Metrics"]:
            assert metric["Unit"] == UNITS[metric["Name"]]
            assert metric["Name"] in event
    return found


def value(event: dict[str, Any], name: str) -> list[float]:
    found = event[name]
    return found if isinstance(found, list) else [found]


@pytest.fixture
def stream() -> io.StringIO:
    return io.StringIO()


@pytest.fixture
def metrics(stream: io.StringIO) -> Iterator[EmfMetrics]:
    published = EmfMetrics(StreamSink(lambda: stream), flush_seconds=0)
    yield published
    published.close()


def test_counters_are_summed_and_histograms_keep_every_value_per_label_set(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    for seconds in (0.1, 0.2, 0.3):
        metrics.observe("image_upload_seconds", seconds, backend="s3")
    metrics.increment("image_upload_retries_total", 2, backend="s3")
    metrics.increment("image_upload_retries_total", 1, backend="s3")
    metrics.increment("image_cache_hits_total")
    metrics.observe("image_download_seconds", 0.05, backend="local")
    assert stream.getvalue() == ""  # nothing before the flush

    metrics.flush()
    published = events(stream.getvalue())
    by_dimensions = {
        json.dumps(event["_aws"]["CloudWatchMetrics"][0]["Dimensions"]): event
        for event in published
    }
    assert set(by_dimensions) == {'[["backend"]]', "[[]]"}
    s3 = next(event for event in published if event.get("backend") == "s3")
    assert value(s3, "image_upload_seconds") == [0.1, 0.2, 0.3]
    assert value(s3, "image_upload_retries_total") == [3.0]
    local = next(event for event in published if event.get("backend") == "local")
    assert value(local, "image_download_seconds") == [0.05]
    assert value(by_dimensions["[[]]"], "image_cache_hits_total") == [1.0]
    assert metrics.value("image_upload_seconds", backend="s3") == 3  # /metrics counts too

    stream.truncate(0)
    metrics.flush()
    assert stream.getvalue() == ""  # what was published is not published again


def test_failures_are_also_published_without_their_kind_for_the_failure_rate_alarm(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    metrics.increment("image_upload_failures_total", backend="s3", kind="timeout")
    metrics.increment("image_upload_failures_total", backend="s3", kind="unavailable")
    metrics.flush()
    published = events(stream.getvalue())
    assert len(published) == 2
    for event in published:
        directive = event["_aws"]["CloudWatchMetrics"][0]
        assert directive["Dimensions"] == [["backend", "kind"], ["backend"]]
        assert value(event, "image_upload_failures_total") == [1.0]


def test_a_flood_of_values_is_published_before_it_can_grow_without_bound(
    metrics: EmfMetrics, stream: io.StringIO
) -> None:
    for _ in range(MAX_BUFFERED_VALUES):
        metrics.observe("image_optimize_seconds", 0.01)
    published = events(stream.getvalue())
    assert sum(len(value(event, "image_optimize_seconds")) for event in published) == (
        MAX_BUFFERED_VALUES
    )
    assert all(len(value(event, "image_optimize_seconds")) <= 100 for event in published)


def test_values_are_published_every_interval_without_being_asked(stream: io.StringIO) -> None:
    metrics = EmfMetrics(StreamSink(lambda: stream), flush_seconds=0.05)
    try:
        metrics.increment("login_failures_total")
        wait_for(lambda: "login_failures_total" in stream.getvalue(), seconds=5, what="a flush")
    finally:
        metrics.close()


def test_a_failing_sink_costs_the_values_and_never_the_caller(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(io.StringIO):
        def write(self, text: str) -> int:
            raise OSError("disk full")

    metrics = EmfMetrics(StreamSink(Broken), flush_seconds=0)
    metrics.increment("login_failures_total")
    metrics.flush()
    assert "not published" in caplog.text
    assert metrics.value("login_failures_total") == 1


@pytest.fixture
def agent() -> Iterator[tuple[int, list[bytes]]]:
    """A CloudWatch agent's EMF listener, as far as the portal can tell: a TCP socket on
    loopback that collects what it is sent."""
    server = socket.create_server(("127.0.0.1", 0))
    received: list[bytes] = []

    def serve() -> None:
        with server:
            connection, _ = server.accept()
            with connection:
                while chunk := connection.recv(65536):
                    received.append(chunk)

    threading.Thread(target=serve, daemon=True).start()
    yield server.getsockname()[1], received


def test_on_an_instance_the_events_go_to_the_agent_with_their_log_group(
    agent: tuple[int, list[bytes]], tmp_path: Path
) -> None:
    port, received = agent
    settings = load_settings(
        data_dir=tmp_path,
        metrics="emf",
        emf_endpoint=f"tcp://127.0.0.1:{port}",
        emf_log_group="eduportal-test-metrics",
    )
    metrics = build_metrics(settings)
    assert isinstance(metrics, EmfMetrics)
    metrics.observe("pipeline_stage_seconds", 0.4, stage="resize", outcome="ok")
    metrics.flush()
    wait_for(lambda: b"\n" in b"".join(received), seconds=5, what="the agent's line")
    [event] = events(b"".join(received).decode())
    assert event["_aws"]["LogGroupName"] == "eduportal-test-metrics"
    assert event["stage"] == "resize" and value(event, "pipeline_stage_seconds") == [0.4]
    metrics.close()


def test_the_default_keeps_prometheus_alone_and_emf_is_chosen_by_setting(tmp_path: Path) -> None:
    assert type(build(load_settings(data_dir=tmp_path)).metrics).__name__ == "PrometheusMetrics"
    chosen = build(load_settings(data_dir=tmp_path, metrics="emf")).metrics
    assert isinstance(chosen, EmfMetrics)
    chosen.close()


def test_an_endpoint_that_is_not_tcp_or_udp_is_refused_with_the_setting_named(
    tmp_path: Path,
) -> None:
    with pytest.raises(Exception, match=r"emf_endpoint|EDUPORTAL_EMF_ENDPOINT"):
        load_settings(data_dir=tmp_path, metrics="emf", emf_endpoint="http://agent")
