"""The report's PNG charts: latency percentiles, requests per second, errors, server CPU.

Drawn with matplotlib's Agg canvas on `Figure` objects, never through pyplot: no GUI backend is
chosen, nothing global is kept between charts. A chart without data still draws, saying why,
so the report's page never shows a broken image.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Final

from matplotlib.axes import Axes
from matplotlib.figure import Figure

from eduportal.loadtest.locust_stats import HistoryRow
from eduportal.loadtest.operations import CHARTED
from eduportal.loadtest.server_metrics import ServerSample, cpu_series

WINDOW_SECONDS: Final = 10
"""Locust's percentiles over time cover the last ten seconds; before an entry has ten seconds
of samples it writes 0, which is no measurement and is left out."""
CHARTS: Final = {
    "latency": "latency.png",
    "throughput": "throughput.png",
    "errors": "errors.png",
    "server_cpu": "server_cpu.png",
}
_PERCENTILES: Final = (
    ("50%", "p50", "#4c78a8"),
    ("95%", "p95", "#f58518"),
    ("99%", "p99", "#e45756"),
)
_WIDTH, _DPI = 10.0, 100


class _Clock:
    """Seconds or minutes since the start, whichever reads better for the run's length."""

    def __init__(self, start: float, end: float) -> None:
        self.start = start
        self.minutes = end - start > 180
        self.end = self(end)
        self.label = "minutes since start" if self.minutes else "seconds since start"

    def __call__(self, at: float) -> float:
        return (at - self.start) / (60 if self.minutes else 1)

    def span(self, ax: Axes) -> None:
        """Every chart spans the whole run, so their times line up."""
        ax.set_xlim(0, self.end)


def draw_all(
    out_dir: Path,
    history: Sequence[HistoryRow],
    samples: Sequence[ServerSample],
    *,
    started_at: float,
    ended_at: float,
    server_note: str | None,
) -> dict[str, str]:
    """Write every chart into `out_dir`; returns chart -> file name."""
    clock = _Clock(started_at, max(ended_at, started_at + 1))
    _save(latency(history, clock), out_dir / CHARTS["latency"])
    _save(throughput(history, clock), out_dir / CHARTS["throughput"])
    _save(errors(history, clock), out_dir / CHARTS["errors"])
    _save(server_cpu(samples, clock, server_note), out_dir / CHARTS["server_cpu"])
    return dict(CHARTS)


def latency(history: Sequence[HistoryRow], clock: _Clock) -> Figure:
    series = _by_entry(history)
    names = [name for name in CHARTED if _has_percentiles(series.get(name, []))]
    rows = max(1, (len(names) + 1) // 2)
    figure = Figure(figsize=(_WIDTH, 2.6 * rows + 0.6), dpi=_DPI, layout="constrained")
    figure.suptitle("Latency percentiles over time (each over the last 10 s), milliseconds")
    if not names:
        _say(figure.add_subplot(), "No operation has ten seconds of samples yet.")
        return figure
    axes = figure.subplots(rows, 2, squeeze=False).flatten()
    for ax, name in zip(axes, names, strict=False):
        points = _measured(series[name])
        for column, label, colour in _PERCENTILES:
            xs = [clock(row.timestamp) for row in points if row.percentiles_ms[column] is not None]
            ys = [
                row.percentiles_ms[column]
                for row in points
                if row.percentiles_ms[column] is not None
            ]
            ax.plot(xs, ys, label=label, color=colour, linewidth=1.4)
        ax.set_title(name, fontsize=10)
        ax.set_ylabel("ms")
        # At least 0-1 ms: an operation under Locust's 1 ms resolution reads 0, not noise.
        ax.set_ylim(
            0, max([1.0, *(v for r in points for v in r.percentiles_ms.values() if v)]) * 1.1
        )
        clock.span(ax)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="upper left")
    for ax in axes[len(names) :]:
        ax.set_visible(False)
    for ax in axes[max(0, len(names) - 2) : len(names)]:
        ax.set_xlabel(clock.label)
    return figure


def throughput(history: Sequence[HistoryRow], clock: _Clock) -> Figure:
    figure = Figure(figsize=(_WIDTH, 4), dpi=_DPI, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title("Requests per second (HTTP), and users")
    totals, users = _request_totals(history, "rps"), _users(history)
    if not totals:
        _say(ax, "No request was made.")
        return figure
    ax.plot(*_xy(totals, clock), label="all requests", color="#4c78a8", linewidth=1.8)
    series = _by_entry(history)
    # A view is one API request and one image: their lines would hide each other undashed.
    styles = (("#f58518", "-"), ("#54a24b", "-"), ("#b279a2", ":"))
    for name, (colour, style) in zip(CHARTED[:3], styles, strict=True):
        points = {row.timestamp: row.rps for row in series.get(name, [])}
        if points:
            ax.plot(*_xy(points, clock), label=name, color=colour, linestyle=style, linewidth=1.3)
    clock.span(ax)
    ax.set_xlabel(clock.label)
    ax.set_ylabel("requests / s")
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    twin.plot(*_xy(users, clock), label="users", color="#888888", linestyle="--", linewidth=1.2)
    twin.set_ylabel("users")
    twin.set_ylim(bottom=0)
    _legend(ax, twin)
    return figure


def errors(history: Sequence[HistoryRow], clock: _Clock) -> Figure:
    figure = Figure(figsize=(_WIDTH, 3.6), dpi=_DPI, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title("Failures per second")
    totals = _request_totals(history, "failures_per_s")
    if not totals:
        _say(ax, "No request was made.")
        return figure
    ax.plot(*_xy(totals, clock), label="HTTP requests", color="#e45756", linewidth=1.6)
    storage: dict[int, float] = defaultdict(float)
    for row in history:
        if row.type == "STORAGE":
            storage[row.timestamp] += row.failures_per_s
    if storage:
        ax.plot(*_xy(storage, clock), label="storage operations", color="#b279a2", linewidth=1.2)
    last = max(history, key=lambda row: row.timestamp)
    failed = sum(
        r.total_failures for r in history if r.timestamp == last.timestamp and _is_request(r)
    )
    if failed == 0 and not any(storage.values()):
        ax.text(
            0.5,
            0.6,
            "No failures",
            transform=ax.transAxes,
            ha="center",
            fontsize=14,
            color="#54a24b",
        )
    clock.span(ax)
    ax.set_xlabel(clock.label)
    ax.set_ylabel("failures / s")
    ax.set_ylim(bottom=0, top=max([1.0, *totals.values(), *storage.values()]) * 1.1)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, loc="upper left")
    return figure


def server_cpu(samples: Sequence[ServerSample], clock: _Clock, note: str | None) -> Figure:
    figure = Figure(figsize=(_WIDTH, 3.6), dpi=_DPI, layout="constrained")
    ax = figure.add_subplot()
    ax.set_title("Server CPU (cores busy) and memory, from its /metrics")
    cpu = cpu_series(samples)
    rss = [(s.at, s.rss_bytes / 2**20) for s in samples if s.rss_bytes is not None]
    if not cpu and not rss:
        _say(ax, f"Server metrics not available: {note or 'no sample was read'}.")
        return figure
    ax.plot(
        [clock(t) for t, _ in cpu],
        [v for _, v in cpu],
        label="CPU, cores busy",
        color="#4c78a8",
        linewidth=1.6,
    )
    clock.span(ax)
    ax.set_xlabel(clock.label)
    ax.set_ylabel("cores busy")
    ax.set_ylim(bottom=0, top=max([1.0, *(v for _, v in cpu)]) * 1.15)
    ax.grid(alpha=0.3)
    twin = ax.twinx()
    twin.plot(
        [clock(t) for t, _ in rss],
        [v for _, v in rss],
        label="resident memory, MiB",
        color="#54a24b",
        linestyle="--",
        linewidth=1.2,
    )
    twin.set_ylabel("MiB")
    twin.set_ylim(bottom=0, top=max([1.0, *(v for _, v in rss)]) * 1.15)
    _legend(ax, twin)
    return figure


def _by_entry(history: Sequence[HistoryRow]) -> dict[str, list[HistoryRow]]:
    series: dict[str, list[HistoryRow]] = defaultdict(list)
    for row in history:
        if not row.is_aggregated:
            series[row.name].append(row)
    return series


def _measured(rows: Sequence[HistoryRow]) -> list[HistoryRow]:
    """The rows after the entry's first ten seconds, whose percentiles are measurements."""
    if not rows:
        return []
    first = rows[0].timestamp
    return [row for row in rows if row.timestamp - first >= WINDOW_SECONDS]


def _has_percentiles(rows: Sequence[HistoryRow]) -> bool:
    return any(row.percentiles_ms["95%"] is not None for row in _measured(rows))


def _is_request(row: HistoryRow) -> bool:
    return not row.is_aggregated and row.type not in ("STORAGE", "CACHE")


def _request_totals(history: Sequence[HistoryRow], field: str) -> dict[int, float]:
    totals: dict[int, float] = defaultdict(float)
    for row in history:
        if _is_request(row):
            totals[row.timestamp] += getattr(row, field)
    return dict(totals)


def _users(history: Sequence[HistoryRow]) -> dict[int, float]:
    return {row.timestamp: float(row.users) for row in history if row.is_aggregated}


def _xy(points: dict[int, float], clock: _Clock) -> tuple[list[float], list[float]]:
    times = sorted(points)
    return [clock(t) for t in times], [points[t] for t in times]


def _legend(ax: Axes, twin: Axes) -> None:
    lines, labels = ax.get_legend_handles_labels()
    more, more_labels = twin.get_legend_handles_labels()
    # Below the plot: inside, it would hide the users' line, which sits at the top.
    ax.legend(
        lines + more,
        labels + more_labels,
        fontsize=8,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.16),
        ncol=len(labels + more_labels),
        frameon=False,
    )


def _say(ax: Axes, message: str) -> None:
    ax.set_axis_off()
    ax.text(
        0.5, 0.5, message, transform=ax.transAxes, ha="center", va="center", fontsize=12, wrap=True
    )


def _save(figure: Figure, path: Path) -> None:
    figure.savefig(path, format="png")
