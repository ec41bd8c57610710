"""The Operations page's words and chart data: shares that say "—" for no traffic, who
reported, and charts that leave a gap (null) for a minute with nothing to measure, or are not
drawn at all for an empty hour."""

from __future__ import annotations

from datetime import UTC

from eduportal.domain.metric_snapshots import MetricsSnapshot
from eduportal.services.metric_windows import intervals, merged
from eduportal.services.operations import History, Latency, Traffic, figures, stage_times
from eduportal.ui import operations_charts as charts
from eduportal.ui.operations_words import (
    optimized_words,
    percent_words,
    processes_words,
    traffic_words,
)
from tests.support.snapshots import counter, histogram, snapshot

T0 = 1_800_000_000.0


def hour(*snapshots: MetricsSnapshot) -> History:
    minutes = intervals(snapshots, start=T0, step=60, count=60, counted_from=T0)
    whole = merged(minutes)
    return History(
        start=T0,
        end=T0 + 3600,
        minutes=tuple(figures(m) for m in minutes),
        recent=figures(whole),
        hour=figures(whole),
        stages=stage_times(whole),
        processes={"api": 1},
    )


def test_shares_read_as_a_person_says_them() -> None:
    assert percent_words(None) == "—"
    assert percent_words(0.0) == "0 %"
    assert percent_words(0.0004) == "under 0.1 %"
    assert percent_words(0.046) == "4.6 %"
    assert percent_words(0.834) == "83 %"


def test_what_a_share_was_made_of() -> None:
    assert traffic_words(Traffic(0, 0, Latency()), "save", "saves") == "no saves"
    assert traffic_words(Traffic(120, 1, Latency()), "save", "saves") == "1 of 120 saves failed"
    assert optimized_words(0, 0) is None
    assert optimized_words(3, 0) == "3 images optimized in the hour, all stored as WebP."
    assert optimized_words(4, 1) == (
        "1 of 4 images optimized in the hour were stored as PNG (25 %): WebP encoding failed "
        "for them."
    )


def test_who_reported() -> None:
    assert processes_words({"api": 1}) == "the API"
    assert processes_words({"api": 1, "ui": 1, "worker": 2}) == "the API, the pages and 2 workers"
    assert processes_words({"worker": 1, "lambda": 1}) == "1 worker and lambda"


def test_an_empty_hour_draws_no_chart() -> None:
    quiet = hour()
    assert charts.latency_chart(quiet, lambda m: m.uploads, UTC) is None
    assert charts.failure_chart(quiet, UTC) is None
    assert charts.cache_chart(quiet, UTC) is None
    assert charts.queue_chart(quiet, UTC) is None
    assert charts.optimized_chart(quiet, UTC) is None
    assert charts.stages_chart(quiet.stages) is None


def test_a_minute_without_traffic_is_a_gap_not_a_zero() -> None:
    busy = hour(
        snapshot("api", T0 + 90, histogram("image_upload_seconds", [0.02]), started_at=T0),
        snapshot(
            "api",
            T0 + 210,
            histogram("image_upload_seconds", [0.02, 0.03]),
            counter("image_upload_failures_total", 1),
            started_at=T0,
        ),
    )
    drawn = charts.failure_chart(busy, UTC)
    assert drawn is not None
    rows = drawn.to_dict()["datasets"]
    (values,) = [v for v in rows.values() if any("series" in row for row in v)]
    saves = [row["value"] for row in values if row["series"] == "Saves that failed"]
    assert saves[:4] == [None, 0.0, None, 1.0]  # minutes 0-3: nothing, 0 of 1, nothing, 1 of 1
