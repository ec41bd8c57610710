"""The arithmetic that turns every process's cumulative snapshots into what happened in each
interval: differences per process, summed over processes, restarts, quantiles from buckets
(as Prometheus's histogram_quantile), shares that say "no traffic" rather than 0 %."""

from __future__ import annotations

import math

import pytest

from eduportal.domain.metric_snapshots import MetricsSnapshot
from eduportal.services.metric_windows import (
    Change,
    change_between,
    intervals,
    merged,
    quantile,
    ratio,
)
from tests.support.snapshots import counter, gauge, histogram, snapshot

HITS = "image_cache_hits_total"
UPLOAD = "image_upload_seconds"
T0 = 1_800_000_000.0  # a whole minute


def minutes(*snapshots: MetricsSnapshot) -> list[float]:
    """The cache hits counted in each of the three minutes from T0."""
    found = intervals(snapshots, start=T0, step=60, count=3, counted_from=T0 - 600)
    return [interval.total(HITS) for interval in found]


def buckets(*pairs: tuple[float, float]) -> Change:
    return Change(buckets=dict(pairs), count=pairs[-1][1])


# --- quantiles ---------------------------------------------------------------------------------


def test_a_quantile_is_interpolated_inside_the_bucket_that_holds_its_rank() -> None:
    seen = buckets((0.1, 10), (0.5, 30), (1.0, 40), (math.inf, 40))
    assert quantile(0.5, seen) == pytest.approx(0.1 + 0.4 * 10 / 20)  # rank 20 of 40
    assert quantile(0.95, seen) == pytest.approx(0.5 + 0.5 * 8 / 10)  # rank 38


def test_the_first_bucket_starts_at_zero() -> None:
    assert quantile(0.5, buckets((0.1, 4), (1.0, 4), (math.inf, 4))) == pytest.approx(0.05)


def test_a_rank_in_the_inf_bucket_gives_the_highest_finite_bound() -> None:
    seen = buckets((0.1, 1), (1.0, 2), (math.inf, 10))
    assert quantile(0.5, seen) == 1.0
    assert quantile(0.99, seen) == 1.0
    assert quantile(0.1, seen) == pytest.approx(0.1)  # rank 1: the top of the first bucket


def test_observations_all_in_one_bucket_spread_across_it() -> None:
    seen = histogram(UPLOAD, [0.2, 0.3, 0.4, 0.5])  # all in (0.1, 1.0]
    change = change_between(None, seen)
    assert quantile(0.5, change) == pytest.approx(0.1 + 0.9 * 0.5)
    assert quantile(0.99, change) == pytest.approx(0.1 + 0.9 * 0.99)


def test_no_quantile_without_observations_or_without_a_finite_bucket() -> None:
    assert quantile(0.5, Change()) is None
    assert quantile(0.5, buckets((0.1, 0), (math.inf, 0))) is None
    assert quantile(0.5, buckets((math.inf, 5))) is None  # one bucket only: nothing to place


def test_a_share_of_nothing_is_no_traffic_not_zero() -> None:
    assert ratio(0, 0) is None
    assert ratio(0, 10) == 0.0
    assert ratio(1, 4) == 0.25


# --- differences, processes, restarts ----------------------------------------------------------


def test_each_change_lands_in_the_interval_of_the_later_snapshot() -> None:
    assert minutes(
        snapshot("api", T0 - 30, counter(HITS, 5)),  # the starting point, before the hour
        snapshot("api", T0 + 30, counter(HITS, 7)),
        snapshot("api", T0 + 60, counter(HITS, 10)),  # exactly at the minute's end: that minute
        snapshot("api", T0 + 150, counter(HITS, 10)),
    ) == [5, 0, 0]


def test_two_processes_are_summed() -> None:
    assert minutes(
        snapshot("api", T0 - 10, counter(HITS, 100)),
        snapshot("ui", T0 - 5, counter(HITS, 40)),
        snapshot("api", T0 + 20, counter(HITS, 103)),
        snapshot("ui", T0 + 25, counter(HITS, 44)),
        snapshot("api", T0 + 80, counter(HITS, 110)),
        snapshot("ui", T0 + 85, counter(HITS, 44)),
    ) == [7, 7, 0]


def test_a_value_lower_than_before_means_a_restart_and_counts_the_new_value() -> None:
    assert minutes(
        snapshot("api", T0 - 10, counter(HITS, 100)),
        snapshot("api", T0 + 20, counter(HITS, 120)),
        snapshot("api", T0 + 80, counter(HITS, 3)),  # started again: 3 since
        snapshot("api", T0 + 140, counter(HITS, 9)),
    ) == [20, 3, 6]


def test_a_new_start_time_under_the_same_name_counts_from_zero() -> None:
    assert minutes(
        snapshot("api", T0 - 10, counter(HITS, 100)),
        snapshot("api", T0 + 80, counter(HITS, 150), started_at=T0 + 70),
    ) == [0, 150, 0]


def test_a_first_snapshot_counts_from_zero_only_for_a_process_started_in_the_read() -> None:
    started_long_ago = snapshot("old", T0 + 30, counter(HITS, 1000), started_at=T0 - 86_400)
    started_now = snapshot("new", T0 + 30, counter(HITS, 4), started_at=T0 + 1)
    assert minutes(started_long_ago, started_now) == [4, 0, 0]


def test_a_histogram_is_differenced_bucket_by_bucket_and_summed_over_processes() -> None:
    found = intervals(
        [
            snapshot("api", T0 - 10, histogram(UPLOAD, [0.05])),
            snapshot("ui", T0 - 10, histogram(UPLOAD, [])),
            snapshot("api", T0 + 30, histogram(UPLOAD, [0.05, 0.005, 0.5])),
            snapshot("ui", T0 + 30, histogram(UPLOAD, [5.0])),
        ],
        start=T0,
        step=60,
        count=1,
        counted_from=T0 - 600,
    )
    seen = found[0].observations(UPLOAD)
    assert seen.count == 3
    assert seen.value == pytest.approx(5.505)
    assert seen.buckets == {0.01: 1, 0.1: 1, 1.0: 2, 10.0: 3, math.inf: 3}


def test_a_histogram_that_went_down_counts_whole() -> None:
    before = histogram(UPLOAD, [0.5, 0.5, 0.5])
    after = histogram(UPLOAD, [0.05])
    change = change_between(before, after)
    assert change.count == 1 and change.buckets[0.1] == 1


def test_labels_select_and_add_up() -> None:
    (interval,) = intervals(
        [
            snapshot(
                "w",
                T0 + 10,
                counter("image_upload_failures_total", 2, backend="s3", kind="timeout"),
                counter("image_upload_failures_total", 1, backend="s3", kind="upload"),
                histogram("pipeline_stage_seconds", [0.02], stage="resize", outcome="completed"),
                histogram("pipeline_stage_seconds", [0.5], stage="resize", outcome="failed"),
                histogram("pipeline_stage_seconds", [0.02], stage="archive", outcome="completed"),
                started_at=T0,
            )
        ],
        start=T0,
        step=60,
        count=1,
        counted_from=T0 - 600,
    )
    assert interval.total("image_upload_failures_total") == 3
    assert interval.total("image_upload_failures_total", kind="timeout") == 2
    assert interval.observations("pipeline_stage_seconds", stage="resize").count == 2


def test_an_empty_hour_has_nothing_in_it() -> None:
    found = intervals([], start=T0, step=60, count=60, counted_from=T0 - 600)
    assert len(found) == 60
    assert all(not i.changes and not i.readings and not i.processes for i in found)
    assert quantile(0.5, found[0].observations(UPLOAD)) is None


def test_a_gauge_keeps_its_latest_reading_and_is_never_summed() -> None:
    found = intervals(
        [
            snapshot("api", T0 + 10, gauge("pipeline_queue_messages", 4, state="waiting")),
            snapshot("api", T0 + 40, gauge("pipeline_queue_messages", 2, state="waiting")),
            snapshot("ui", T0 + 20, gauge("pipeline_queue_messages", 9, state="waiting")),
        ],
        start=T0,
        step=60,
        count=2,
        counted_from=T0 - 600,
    )
    assert found[0].reading("pipeline_queue_messages", state="waiting") == 2
    assert found[1].reading("pipeline_queue_messages", state="waiting") is None
    assert merged(found).reading("pipeline_queue_messages", state="waiting") == 2


def test_merged_minutes_add_up_to_the_hour() -> None:
    found = intervals(
        [
            snapshot("api", T0 + 10, counter(HITS, 3), started_at=T0),
            snapshot("api", T0 + 70, counter(HITS, 5), started_at=T0),
            snapshot("ui", T0 + 130, counter(HITS, 2), started_at=T0 + 100),
        ],
        start=T0,
        step=60,
        count=3,
        counted_from=T0 - 600,
    )
    whole = merged(found)
    assert (whole.start, whole.end) == (T0, T0 + 180)
    assert whole.total(HITS) == 7
    assert whole.processes == {"api", "ui"}
