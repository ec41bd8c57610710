"""A run's report directory: from Locust's CSV files and the server's samples to
`summary.json`, the charts and `index.html`, and the table printed at the end.

Reads and writes files; the figures themselves come from the pure functions of `summary` and
`thresholds`, the pictures from `charts` (imported here only, when a report is drawn).
"""

from __future__ import annotations

import csv
import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

from eduportal.loadtest import LoadTestError, page, server_metrics, summary
from eduportal.loadtest.locust_stats import (
    CSV_PREFIX,
    FINAL_STATS_SUFFIX,
    HISTORY_SUFFIX,
    STATS_SUFFIX,
    read_history,
    read_stats,
)
from eduportal.loadtest.profiles import Profile
from eduportal.loadtest.scaling_rates import verdict as scaling_verdict
from eduportal.loadtest.scaling_rates import window_rates
from eduportal.loadtest.server_metrics import ServerSample
from eduportal.loadtest.thresholds import Threshold, evaluate, format_value

if TYPE_CHECKING:
    from eduportal.services.scaling_watch import WatchResult

STATS: Final = f"{CSV_PREFIX}{STATS_SUFFIX}"
FINAL_STATS: Final = f"{CSV_PREFIX}{FINAL_STATS_SUFFIX}"
HISTORY: Final = f"{CSV_PREFIX}{HISTORY_SUFFIX}"
SUMMARY: Final = "summary.json"
INDEX: Final = "index.html"
SERVER_SAMPLES: Final = "server_metrics.csv"


def write(
    report_dir: Path,
    *,
    profile: Profile,
    thresholds: Sequence[Threshold],
    samples: Sequence[ServerSample],
    run: Mapping[str, Any],
    server_note: str | None,
    scaling: WatchResult | None = None,
) -> dict[str, Any]:
    """Write summary.json, the charts, server_metrics.csv and index.html; return the summary.

    Raises `LoadTestError` when Locust left no statistics (it stopped before measuring)."""
    from eduportal.loadtest import charts

    stats = next((report_dir / n for n in (FINAL_STATS, STATS) if (report_dir / n).is_file()), None)
    if stats is None:
        raise LoadTestError("Locust stopped before writing any statistics.")
    entries = read_stats(stats)
    history = read_history(report_dir / HISTORY) if (report_dir / HISTORY).is_file() else []
    _write_samples(report_dir / SERVER_SAMPLES, samples)
    server = server_metrics.summarize(samples, server_note)
    figures = summary.build(
        entries=entries,
        verdicts=evaluate(thresholds, entries),
        server=server,
        run=run,
        profile=profile.as_dict(),
    )
    if scaling is not None:
        rates = window_rates(history, scaling.windows)
        figures["scaling"] = {
            "group": scaling.timeline.settings.group,
            "verdict": scaling_verdict(rates),
            "windows": [rate.as_dict() for rate in rates],
            "checks": [check.name + ": " + check.summary for check in scaling.report.checks],
            "files": "scaling/timeline.json, scaling/report.json, scaling/timeline.png",
        }
        if figures["scaling"]["verdict"] == "fail":
            figures["verdict"] = "fail"
    figures["charts"] = charts.draw_all(
        report_dir,
        history,
        samples,
        started_at=run["started_at"],
        ended_at=run["ended_at"],
        server_note=server_note,
    )
    (report_dir / SUMMARY).write_text(json.dumps(figures, indent=2) + "\n")
    files = sorted(
        path.name
        for path in report_dir.iterdir()
        if path.is_file() and path.name != INDEX and not path.name.endswith(".png")
    )
    (report_dir / INDEX).write_text(page.render(figures, figures["charts"], files))
    return figures


def _write_samples(path: Path, samples: Sequence[ServerSample]) -> None:
    with path.open("w", newline="") as file:
        writer = csv.writer(file)
        writer.writerow(["unix_time", "cpu_seconds", "rss_bytes", "cache_hits", "cache_misses"])
        for s in samples:
            writer.writerow(
                [f"{s.at:.3f}", s.cpu_seconds, s.rss_bytes, s.cache_hits, s.cache_misses]
            )


def table(figures: Mapping[str, Any]) -> str:
    """The thresholds and the operations, as text for the terminal."""
    rows = [("threshold", "check", "measured", "outcome")] + [
        (
            t["name"],
            t["description"],
            format_value(t["statistic"], t["value"]),
            t["outcome"],
        )
        for t in figures["thresholds"]
    ]
    lines = _columns(rows)
    lines.append("")
    operations = [("operation", "count", "failed", "p50", "p95", "p99", "per s")] + [
        (
            f"{op['name']}" + (f" ({op['type']})" if op["type"] in ("STORAGE", "CACHE") else ""),
            f"{op['count']:,}",
            f"{op['failures']:,}",
            format_value("p50", op["p50_ms"]),
            format_value("p95", op["p95_ms"]),
            format_value("p99", op["p99_ms"]),
            f"{op['rps']:.2f}",
        )
        for op in figures["operations"]
    ]
    lines += _columns(operations)
    overall = figures["overall"]
    lines.append("")
    lines.append(
        f"all HTTP requests: {overall['requests']:,}, failed {overall['failures']:,} "
        f"({format_value('error-rate', overall['error_rate'])}), {overall['rps']:.2f} per second"
    )
    scaling = figures.get("scaling")
    if scaling is not None:
        lines.append("")
        lines.append(f"while Auto Scaling group {scaling['group']} changed size:")
        rows = [("window", "operation", "requests", "succeeded", "outcome")] + [
            (
                f"{w['kind']} {w['from_desired']}->{w['to_desired']}",
                w["operation"],
                f"{w['requests']:,}",
                "-" if w["success_rate"] is None else f"{w['success_rate']:.1%}",
                w["outcome"],
            )
            for w in scaling["windows"]
        ]
        lines += _columns(rows) if scaling["windows"] else ["  the group did not change size"]
        lines += [f"  {check}" for check in scaling["checks"]]
    lines.append(f"verdict: {figures['verdict'].upper()}")
    return "\n".join(lines)


def _columns(rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
