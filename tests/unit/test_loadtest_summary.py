"""The load test's figures and verdicts from Locust's CSV files: per operation, overall (HTTP
requests only), the CDN's hit ratio, thresholds passed, failed and not measured."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduportal.loadtest import summary, thresholds
from eduportal.loadtest.locust_stats import EntryStats, read_stats
from eduportal.loadtest.operations import (
    CDN_HIT,
    CDN_MISS,
    CREATE,
    IMAGE,
    S3_DOWNLOAD,
    S3_UPLOAD,
    VIEW,
)
from tests.support.locust_csv import stats_row, write_stats


@pytest.fixture
def entries(tmp_path: Path) -> list[EntryStats]:
    return read_stats(
        write_stats(
            tmp_path / "locust_stats.csv",
            [
                stats_row("GET", IMAGE, 80, 0, p50=2, p95=5, p99=9, rps=4.0),
                stats_row("POST", CREATE, 40, 2, p50=900, p95=2900, p99=3400, rps=2.0),
                stats_row("GET", VIEW, 80, 0, p50=3, p95=7, p99=12, rps=4.0),
                stats_row("STORAGE", S3_UPLOAD, 120, 6, p50=4, p95=3100, p99=5000, rps=6.0),
                stats_row("STORAGE", S3_DOWNLOAD, 0),
            ],
        )
    )


def test_reading_skips_locusts_aggregated_row_and_keeps_missing_percentiles(
    entries: list[EntryStats],
) -> None:
    assert [e.name for e in entries] == [IMAGE, CREATE, VIEW, S3_UPLOAD, S3_DOWNLOAD]
    download = entries[-1]
    assert download.count == 0
    assert download.percentiles_ms == {"50%": None, "95%": None, "99%": None}
    assert not download.is_request
    assert entries[1].percentiles_ms["95%"] == 2900


def test_operations_are_ordered_and_carry_their_rates(entries: list[EntryStats]) -> None:
    figures = [summary.operation_figures(e) for e in summary.ordered(entries)]
    assert [f["name"] for f in figures] == [CREATE, VIEW, IMAGE, S3_UPLOAD, S3_DOWNLOAD]
    create = figures[0]
    assert create["count"] == 40
    assert create["error_rate"] == 0.05
    assert create["success_rate"] == 0.95
    assert (create["p50_ms"], create["p95_ms"], create["p99_ms"]) == (900, 2900, 3400)
    assert figures[-1]["error_rate"] is None  # no sample: no rate, not 0


def test_overall_counts_http_requests_only(entries: list[EntryStats]) -> None:
    overall = summary.overall(entries)
    # 80 + 40 + 80 requests; the storage entries (and their 6 failures) are inside them.
    assert overall["requests"] == 200
    assert overall["failures"] == 2
    assert overall["error_rate"] == 0.01
    assert overall["rps"] == 10.0


def test_the_cdn_hit_ratio_is_not_invented_without_x_cache(entries: list[EntryStats]) -> None:
    assert summary.cdn_cache(entries)["hit_ratio"] is None
    assert "not available" in summary.cdn_cache(entries)["note"]
    with_cdn = [
        *entries,
        EntryStats("CACHE", CDN_HIT, 90, 0, 3.0, 9.0, 9.0, {"50%": 3, "95%": 5, "99%": 8}),
        EntryStats("CACHE", CDN_MISS, 10, 0, 40.0, 90.0, 1.0, {"50%": 40, "95%": 80, "99%": 90}),
    ]
    assert summary.cdn_cache(with_cdn) == {"hits": 90, "misses": 10, "hit_ratio": 0.9}
    assert summary.overall(with_cdn)["requests"] == 200  # cache entries are not requests


def test_the_default_thresholds_pass_fail_and_go_unmeasured(entries: list[EntryStats]) -> None:
    verdicts = thresholds.evaluate(thresholds.resolve([]), entries)
    outcomes = {v.threshold.name: (v.value, v.outcome) for v in verdicts}
    assert outcomes == {
        "upload-p95": (3100, "FAIL"),
        "download-p95": (None, "not measured"),
        "error-rate": (0.01, "pass"),
    }
    assert summary.verdict(verdicts, requests=200) == "fail"


def test_not_measured_does_not_fail_a_run_but_no_request_at_all_does(
    entries: list[EntryStats],
) -> None:
    relaxed = thresholds.resolve([thresholds.parse("upload-p95=6s")])
    verdicts = thresholds.evaluate(relaxed, entries)
    assert [v.passed for v in verdicts] == [True, None, True]
    assert summary.verdict(verdicts, requests=200) == "pass"
    assert summary.verdict(thresholds.evaluate(relaxed, []), requests=0) == "fail"


def test_a_threshold_on_one_operation_and_limits_are_strict(entries: list[EntryStats]) -> None:
    checks = [
        thresholds.parse("create-p95=2900ms"),  # equal is not below
        thresholds.parse("create-error-rate=5.1%"),
        thresholds.parse("view-p99=0.1s"),
    ]
    assert all(isinstance(check, thresholds.Threshold) for check in checks)
    verdicts = thresholds.evaluate(
        [c for c in checks if isinstance(c, thresholds.Threshold)], entries
    )
    assert [(v.value, v.passed) for v in verdicts] == [(2900, False), (0.05, True), (12, True)]


def test_thresholds_parse_with_units_and_resolve_against_the_defaults() -> None:
    upload = thresholds.parse("upload-p95=2.5s")
    assert upload == thresholds.Threshold("upload-p95", S3_UPLOAD, "p95", 2500.0)
    assert thresholds.parse("ERROR-RATE=0.5%") == thresholds.Threshold(
        "error-rate", None, "error-rate", 0.005
    )
    assert thresholds.parse("download-p95=off") == "download-p95"
    resolved = thresholds.resolve([upload, "download-p95", thresholds.parse("image-p99=50ms")])
    assert [(t.name, t.limit) for t in resolved] == [
        ("upload-p95", 2500.0),
        ("error-rate", 0.05),
        ("image-p99", 50.0),
    ]


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("upload-p95", "NAME=LIMIT"),
        ("upload-p95=3", "with its unit"),
        ("error-rate=0.05", "percentage"),
        ("error-rate=150%", "percentage"),
        ("p95=3s", "not a threshold name"),
        ("uploads-p95=3s", "unknown operation 'uploads'"),
        ("upload-p90=3s", "not a threshold name"),
    ],
)
def test_a_bad_threshold_says_what_one_looks_like(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        thresholds.parse(text)


def test_values_are_shown_with_their_unit_and_locusts_resolution() -> None:
    assert thresholds.format_value("p95", 2900.0) == "2.9 s"
    assert thresholds.format_value("p95", 12.0) == "12 ms"
    assert thresholds.format_value("p95", 0.0) == "<1 ms"
    assert thresholds.format_value("error-rate", 0.0123) == "1.23 %"
    assert thresholds.format_value("p95", None) == "-"


def test_capacity_counts_successful_creates_per_server_cpu_second(
    entries: list[EntryStats],
) -> None:
    assert summary.capacity(entries, {"cpu_seconds": 19.0}) == {
        "creates_per_second": 2.0,
        "successful_creates": 38,
        "creates_per_cpu_second": 2.0,
    }
    assert summary.capacity(entries, {"cpu_seconds": None})["creates_per_cpu_second"] is None
