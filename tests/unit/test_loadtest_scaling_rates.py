"""Success rates of uploads and downloads within the windows the group spent changing size
(requirement 10.5), from Locust's running totals."""

from __future__ import annotations

from eduportal.domain.scaling_events import ScalingWindow
from eduportal.loadtest.locust_stats import HistoryRow
from eduportal.loadtest.operations import CREATE, IMAGE, VIEW
from eduportal.loadtest.scaling_rates import verdict, window_rates


def row(at: int, name: str, total: int, failures: int) -> HistoryRow:
    return HistoryRow(
        timestamp=at,
        users=50,
        type="GET" if name != CREATE else "POST",
        name=name,
        rps=0.0,
        failures_per_s=0.0,
        percentiles_ms={},
        total_count=total,
        total_failures=failures,
    )


def window(start: float, end: float) -> ScalingWindow:
    return ScalingWindow("scale-out", start, end, from_desired=1, to_desired=2, completed=True)


HISTORY = [
    row(100, CREATE, 10, 0),
    row(100, IMAGE, 40, 0),
    row(100, VIEW, 40, 5),  # not an upload or a download: never counted
    row(110, CREATE, 30, 1),
    row(110, IMAGE, 100, 6),
    row(120, CREATE, 50, 1),
    row(120, IMAGE, 160, 6),
]


def test_the_requests_in_a_window_are_the_totals_at_its_end_less_those_at_its_start() -> None:
    upload, download = window_rates(HISTORY, [window(100.5, 110.2)])
    assert (upload.operation, upload.requests, upload.failures) == ("upload", 20, 1)
    assert upload.success == 0.95 and upload.outcome == "fail"  # above 95 %, not at it
    assert (download.requests, download.failures, download.outcome) == (60, 6, "fail")
    assert verdict([upload, download]) == "fail"


def test_a_window_with_few_failures_passes() -> None:
    rates = window_rates(HISTORY, [window(110, 125)])
    assert [(r.operation, r.requests, r.failures, r.outcome) for r in rates] == [
        ("upload", 20, 0, "pass"),
        ("download", 60, 0, "pass"),
    ]
    assert verdict(rates) == "pass"


def test_a_window_before_the_first_row_counts_from_zero() -> None:
    upload, _ = window_rates(HISTORY, [window(90, 105)])
    assert (upload.requests, upload.failures) == (10, 0)


def test_a_window_after_the_load_ended_is_not_measured_never_a_pass() -> None:
    rates = window_rates(HISTORY, [window(130, 400)])
    assert {rate.outcome for rate in rates} == {"not measured"}
    assert rates[0].as_dict()["success_rate"] is None
    assert verdict(rates) == "not measured"
    assert verdict([]) == "not measured"
