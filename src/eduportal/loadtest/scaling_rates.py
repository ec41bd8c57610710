"""Image uploads and downloads that succeeded while the group was changing size (property 29,
requirement 10.5): the load test's own counts, cut at the scaling watch's windows.

Locust's history holds each entry's running totals once a second, so the requests within a
window are the totals at its end less those at its start: an upload is a create with an
illustration (the request that stores one), a download an image fetched from the URL the API
returned. Only what happened while the load ran can be judged: a window opened after the load
ended counts no request and is "not measured", never a pass.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final

from eduportal.domain.scaling_events import ScalingWindow
from eduportal.loadtest.locust_stats import HistoryRow
from eduportal.loadtest.operations import CREATE, IMAGE

SUCCESS_FLOOR: Final = 0.95
"""Requirement 10.5: above 95 % while the group scales."""

RATED: Final = (("upload", CREATE), ("download", IMAGE))


@dataclass(frozen=True)
class WindowRate:
    window: ScalingWindow
    operation: str
    """`upload` or `download`."""
    requests: int
    failures: int

    @property
    def success(self) -> float | None:
        return None if self.requests == 0 else 1 - self.failures / self.requests

    @property
    def outcome(self) -> str:
        if self.success is None:
            return "not measured"
        return "pass" if self.success > SUCCESS_FLOOR else "fail"

    def as_dict(self) -> dict[str, Any]:
        return {
            "kind": self.window.kind,
            "started_at": self.window.started_at,
            "ended_at": self.window.ended_at,
            "completed": self.window.completed,
            "from_desired": self.window.from_desired,
            "to_desired": self.window.to_desired,
            "operation": self.operation,
            "requests": self.requests,
            "failures": self.failures,
            "success_rate": None if self.success is None else round(self.success, 4),
            "floor": SUCCESS_FLOOR,
            "outcome": self.outcome,
        }


def window_rates(
    history: Sequence[HistoryRow], windows: Sequence[ScalingWindow]
) -> list[WindowRate]:
    """For each window, one rate per operation, from the running totals at its two ends."""
    rates = []
    for window in windows:
        for operation, name in RATED:
            rows = [row for row in history if row.name == name and not row.is_aggregated]
            start, end = _totals_at(rows, window.started_at), _totals_at(rows, window.ended_at)
            rates.append(
                WindowRate(
                    window,
                    operation,
                    requests=max(end[0] - start[0], 0),
                    failures=max(end[1] - start[1], 0),
                )
            )
    return rates


def _totals_at(rows: Sequence[HistoryRow], at: float) -> tuple[int, int]:
    """The running totals as of `at`: those of the last row written by then, else none."""
    before = [row for row in rows if row.timestamp <= at]
    if not before:
        return 0, 0
    last = max(before, key=lambda row: row.timestamp)
    return last.total_count, last.total_failures


def verdict(rates: Sequence[WindowRate]) -> str:
    """`fail` when a measured rate fell to the floor; `not measured` when the load met no
    window; else `pass`."""
    if any(rate.outcome == "fail" for rate in rates):
        return "fail"
    if all(rate.outcome == "not measured" for rate in rates):
        return "not measured"
    return "pass"
