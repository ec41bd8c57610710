"""`MetricsHistory` on the shared SQLite database: one row per snapshot, its series as JSON.

The API, the Streamlit server and every worker of one machine open the same file, so each
appends its own snapshots and the Operations page reads them all. A snapshot is a few
kilobytes (only the series the process has used), written every 30 s by default: four
processes keep about a thousand rows for the two hours kept. Each append deletes what has
aged past that, in the same transaction, so the table never needs a cleaner of its own.
"""

from __future__ import annotations

import json
from typing import Final

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.domain.metric_snapshots import MetricSeries, MetricsSnapshot

KEEP_SECONDS: Final = 2 * 3600.0
"""Twice the hour the page shows: the hour's first minute still finds each process's
snapshot before it, from which its change is counted."""


class SqliteMetricsHistory:
    def __init__(self, database: SqliteDatabase, *, keep_seconds: float = KEEP_SECONDS) -> None:
        self._db = database
        self._keep = keep_seconds

    def append(self, snapshot: MetricsSnapshot) -> None:
        series = json.dumps(
            [s.to_document() for s in snapshot.series], separators=(",", ":"), allow_nan=False
        )
        with self._db.transaction("append a metrics snapshot") as connection:
            connection.execute(
                """INSERT INTO metric_snapshots (at, process, role, started_at, series)
                VALUES (?, ?, ?, ?, ?)""",
                (snapshot.at, snapshot.process, snapshot.role, snapshot.started_at, series),
            )
            connection.execute(
                "DELETE FROM metric_snapshots WHERE at < ?", (snapshot.at - self._keep,)
            )

    def since(self, at: float) -> list[MetricsSnapshot]:
        rows = self._db.query(
            "read metrics snapshots",
            """SELECT at, process, role, started_at, series FROM metric_snapshots
            WHERE at >= ? ORDER BY at, id""",
            (at,),
        )
        return [
            MetricsSnapshot(
                process=row["process"],
                role=row["role"],
                started_at=row["started_at"],
                at=row["at"],
                series=tuple(MetricSeries.from_document(s) for s in json.loads(row["series"])),
            )
            for row in rows
        ]
