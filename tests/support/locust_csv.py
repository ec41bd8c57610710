"""Small handmade Locust CSV files, in the exact columns Locust 2.x writes, for the report's
tests: what a run would leave, without running one."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from pathlib import Path

PERCENTILE_COLUMNS = [
    "50%",
    "66%",
    "75%",
    "80%",
    "90%",
    "95%",
    "98%",
    "99%",
    "99.9%",
    "99.99%",
    "100%",
]
STATS_COLUMNS = [
    "Type", "Name", "Request Count", "Failure Count", "Median Response Time",
    "Average Response Time", "Min Response Time", "Max Response Time", "Average Content Size",
    "Requests/s", "Failures/s", *PERCENTILE_COLUMNS,
]  # fmt: skip
HISTORY_COLUMNS = [
    "Timestamp", "User Count", "Type", "Name", "Requests/s", "Failures/s", *PERCENTILE_COLUMNS,
    "Total Request Count", "Total Failure Count", "Total Median Response Time",
    "Total Average Response Time", "Total Min Response Time", "Total Max Response Time",
    "Total Average Content Size",
]  # fmt: skip


def stats_row(
    kind: str,
    name: str,
    count: int,
    failures: int = 0,
    *,
    p50: float | str = 10,
    p95: float | str = 20,
    p99: float | str = 30,
    rps: float = 1.0,
) -> list[str]:
    """One entry of PREFIX_stats.csv; "N/A" percentiles for an entry with no sample."""
    if count == 0:
        p50 = p95 = p99 = "N/A"
    percentiles = {"50%": p50, "95%": p95, "99%": p99}
    return [
        kind, name, str(count), str(failures), str(p50), "12.5", "1", "99.9", "100",
        str(rps), "0.0",
        *(str(percentiles.get(column, p95)) for column in PERCENTILE_COLUMNS),
    ]  # fmt: skip


def history_row(
    timestamp: int,
    kind: str,
    name: str,
    *,
    users: int = 3,
    rps: float = 1.0,
    failures_per_s: float = 0.0,
    p95: float | str = 20,
    total: int = 10,
    failed: int = 0,
) -> list[str]:
    return [
        str(timestamp), str(users), kind, name, f"{rps:2f}", f"{failures_per_s:2f}",
        *(str(p95) for _ in PERCENTILE_COLUMNS),
        str(total), str(failed), "10", "12.0", "1", "99", "100",
    ]  # fmt: skip


def csv_text(columns: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def write_stats(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    """Rows plus Locust's Aggregated row (which the report must ignore)."""
    aggregated = stats_row("", "Aggregated", 99999, 999, p95=99999)
    path.write_text(csv_text(STATS_COLUMNS, [*rows, aggregated]))
    return path


def write_history(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    path.write_text(csv_text(HISTORY_COLUMNS, rows))
    return path
