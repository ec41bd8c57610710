"""Reading what Locust writes with `--csv PREFIX --csv-full-history`.

`PREFIX_stats.csv` holds one row per entry (request name and type) for the whole run, plus
Locust's "Aggregated" row, rewritten every second but not at the end: the users write the same
once every user has stopped, as `PREFIX_stats_final.csv` (`FINAL_STATS_SUFFIX`), which a report
prefers; `PREFIX_stats_history.csv` gets, every second, a row per entry with
its current rate and its percentiles over the last ten seconds, plus an Aggregated row. Both
name their percentile columns "50%", "95%", "99%", with "N/A" before an entry's first sample.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from eduportal.loadtest.operations import MEASURED_TYPES

CSV_PREFIX: Final = "locust"
"""`--csv` of the runs `eduportal loadtest` makes: locust_stats.csv, ..."""
AGGREGATED: Final = "Aggregated"
STATS_SUFFIX: Final = "_stats.csv"
FINAL_STATS_SUFFIX: Final = "_stats_final.csv"
HISTORY_SUFFIX: Final = "_stats_history.csv"
PERCENTILES: Final = ("50%", "95%", "99%")


@dataclass(frozen=True)
class EntryStats:
    """One entry's figures over the whole run; times in milliseconds."""

    type: str
    name: str
    count: int
    failures: int
    mean_ms: float
    max_ms: float
    rps: float
    percentiles_ms: Mapping[str, float | None]
    """"50%", "95%", "99%" -> milliseconds, None when the entry had no sample."""

    @property
    def is_request(self) -> bool:
        """An HTTP request Locust made, rather than a measurement inside one."""
        return self.type not in MEASURED_TYPES


@dataclass(frozen=True)
class HistoryRow:
    """One entry at one second: its current rates and its percentiles over the last ten
    seconds (Locust writes 0 for those until ten seconds of samples exist)."""

    timestamp: int
    users: int
    type: str
    name: str
    rps: float
    failures_per_s: float
    percentiles_ms: Mapping[str, float | None]
    total_count: int
    total_failures: int

    @property
    def is_aggregated(self) -> bool:
        return self.name == AGGREGATED and not self.type


def read_stats(path: Path) -> list[EntryStats]:
    """Every entry of `PREFIX_stats.csv` but Locust's Aggregated row."""
    with path.open(newline="") as file:
        return [
            EntryStats(
                type=row["Type"],
                name=row["Name"],
                count=_int(row["Request Count"]),
                failures=_int(row["Failure Count"]),
                mean_ms=_float(row["Average Response Time"]) or 0.0,
                max_ms=_float(row["Max Response Time"]) or 0.0,
                rps=_float(row["Requests/s"]) or 0.0,
                percentiles_ms={p: _float(row.get(p, "")) for p in PERCENTILES},
            )
            for row in csv.DictReader(file)
            if not (row["Name"] == AGGREGATED and not row["Type"])
        ]


def read_history(path: Path) -> list[HistoryRow]:
    with path.open(newline="") as file:
        return parse_history(file.read().splitlines())


def parse_history(lines: Iterable[str], header: list[str] | None = None) -> list[HistoryRow]:
    """History rows from CSV lines; `header` when the lines do not start with it."""
    reader = csv.reader(io.StringIO("\n".join(lines)))
    columns = header if header is not None else next(reader, None)
    if columns is None:
        return []
    rows = []
    for values in reader:
        if len(values) != len(columns):
            continue  # a line Locust was still writing
        row = dict(zip(columns, values, strict=True))
        rows.append(
            HistoryRow(
                timestamp=_int(row["Timestamp"]),
                users=_int(row["User Count"]),
                type=row["Type"],
                name=row["Name"],
                rps=_float(row["Requests/s"]) or 0.0,
                failures_per_s=_float(row["Failures/s"]) or 0.0,
                percentiles_ms={p: _float(row.get(p, "")) for p in PERCENTILES},
                total_count=_int(row["Total Request Count"]),
                total_failures=_int(row["Total Failure Count"]),
            )
        )
    return rows


class HistoryFollower:
    """The rows Locust appended to its history file since the last call, for progress while
    it runs; a line not yet complete waits for the next call."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._offset = 0
        self._header: list[str] | None = None

    def new_rows(self) -> list[HistoryRow]:
        try:
            with self.path.open("rb") as file:
                file.seek(self._offset)
                chunk = file.read()
        except OSError:
            return []
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        lines = complete.decode("utf-8", errors="replace").splitlines()
        if self._header is None and lines:
            self._header = next(csv.reader([lines[0]]))
            lines = lines[1:]
        return parse_history(lines, self._header) if self._header else []


def _int(text: str) -> int:
    value = _float(text)
    return 0 if value is None else int(value)


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text not in (None, "", "N/A") else None
    except ValueError:
        return None
