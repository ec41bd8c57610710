"""A report directory written from handmade Locust files: summary.json, the charts (valid
PNGs, even without data), index.html referencing them with everything escaped."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from eduportal.loadtest import LoadTestError, report
from eduportal.loadtest.operations import CREATE, IMAGE, S3_DOWNLOAD, S3_UPLOAD, VIEW
from eduportal.loadtest.profiles import PROFILES
from eduportal.loadtest.server_metrics import ServerSample
from eduportal.loadtest.thresholds import resolve
from tests.support.locust_csv import history_row, stats_row, write_history, write_stats

START = 1_700_000_000
HOSTILE = "<script>alert('x')</script>"


def run_info(**extra: Any) -> dict[str, Any]:
    return {
        "host": "http://127.0.0.1:1/?a=<b>",
        "portal": "given by --host",
        "started_at": START,
        "ended_at": START + 40,
        "started_at_utc": "2023-11-14 22:13:20",
        "ended_at_utc": "2023-11-14 22:14:00",
        "duration": "0:40",
        "interrupted": False,
        **extra,
    }


def write_run(directory: Path, *, final: bool = False) -> None:
    rows = [
        stats_row("POST", CREATE, 10, 0, p50=800, p95=1500, p99=1900),
        stats_row("GET", VIEW, 20),
        stats_row("GET", IMAGE, 20, 1),
        stats_row("STORAGE", S3_UPLOAD, 30, 0, p95=15),
        stats_row("STORAGE", S3_DOWNLOAD, 5, 0, p95=0),
        stats_row("GET", HOSTILE, 1),
    ]
    write_stats(directory / report.STATS, rows[:2])  # a second older than the final file
    if final:
        write_stats(directory / report.FINAL_STATS, rows)
    history = [
        history_row(START + second, kind, name, p95=p95, rps=rate, total=second)
        for second in range(1, 40)
        for kind, name, p95, rate in (
            ("POST", CREATE, 1500, 0.5),
            ("GET", IMAGE, 5, 1.0),
            ("STORAGE", S3_UPLOAD, 15, 1.5),
            ("", "Aggregated", 30, 3.0),
        )
    ]
    write_history(directory / report.HISTORY, history)


def samples() -> list[ServerSample]:
    return [ServerSample(START + 3 * i, 1.0 + 0.9 * i, 150e6 + i * 1e6) for i in range(14)]


def test_the_report_holds_the_summary_charts_and_a_page_that_shows_them(tmp_path: Path) -> None:
    write_run(tmp_path, final=True)
    figures = report.write(
        tmp_path,
        profile=PROFILES["smoke"],
        thresholds=resolve([]),
        samples=samples(),
        run=run_info(),
        server_note=None,
    )
    stored = json.loads((tmp_path / report.SUMMARY).read_text())
    assert stored == figures
    assert set(stored) >= {
        "verdict", "run", "profile", "machine", "overall", "operations", "thresholds",
        "server", "cdn_cache", "capacity", "charts",
    }  # fmt: skip
    names = [op["name"] for op in stored["operations"]]
    assert S3_UPLOAD in names and S3_DOWNLOAD in names and HOSTILE in names  # the final file
    assert [t["outcome"] for t in stored["thresholds"]] == ["pass", "pass", "pass"]
    assert stored["verdict"] == "pass"
    assert stored["server"]["cpu_seconds"] == 11.7
    assert stored["machine"]["cores"] >= 1
    assert stored["profile"]["name"] == "smoke"

    page = (tmp_path / report.INDEX).read_text()
    for chart in stored["charts"].values():
        with Image.open(tmp_path / chart) as image:
            image.verify()
            assert image.format == "PNG"
        assert f'src="{chart}"' in page
    assert HOSTILE not in page and "&lt;script&gt;" in page
    assert "?a=<b>" not in page
    assert 'href="locust_stats_final.csv"' in page and 'href="server_metrics.csv"' in page
    assert (tmp_path / report.SERVER_SAMPLES).read_text().count("\n") == 15

    text = report.table(figures)
    assert "upload-p95" in text and "S3 upload (STORAGE)" in text and "verdict: PASS" in text


def test_charts_without_data_still_draw_and_say_why(tmp_path: Path) -> None:
    write_stats(tmp_path / report.STATS, [])
    figures = report.write(
        tmp_path,
        profile=PROFILES["baseline"],
        thresholds=resolve([]),
        samples=[],
        run=run_info(interrupted=True),
        server_note="http://127.0.0.1:1/metrics could not be read (refused)",
    )
    assert figures["verdict"] == "fail"  # no request at all
    assert all(t["outcome"] == "not measured" for t in figures["thresholds"])
    assert figures["server"]["note"].startswith("http://127.0.0.1:1/metrics")
    for chart in figures["charts"].values():
        with Image.open(tmp_path / chart) as image:
            image.verify()
    page = (tmp_path / report.INDEX).read_text()
    assert "interrupted" in page and "No request was made" in page


def test_no_statistics_is_a_sentence(tmp_path: Path) -> None:
    with pytest.raises(LoadTestError, match="before writing any statistics"):
        report.write(
            tmp_path,
            profile=PROFILES["smoke"],
            thresholds=[],
            samples=[],
            run=run_info(),
            server_note=None,
        )
