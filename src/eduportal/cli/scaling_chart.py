"""The scaling watch's chart: the group's CPU against the threshold above, the desired and
in-service counts below, alarm changes marked across both, and the two measured reactions
shaded, so one picture shows whether the group kept up with the load.

matplotlib comes with the `loadtest` extra, not with the portal, and is imported only here,
when a chart is drawn (with the Agg backend: no display needed).
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Final

from eduportal.domain.scaling_events import EventKind, cpu_series
from eduportal.domain.scaling_verdicts import Check, Verdict, spoken
from eduportal.services.scaling_watch import WatchResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes

MISSING_MATPLOTLIB: Final = (
    "The scaling watch draws its chart with matplotlib, which comes with eduportal's "
    "loadtest extra: install it with `pip install 'eduportal[loadtest]'` (or `make install` "
    "in a clone), then run the watch again."
)
ALARM_COLOURS: Final = {"ALARM": "#c62828", "OK": "#2e7d32", "INSUFFICIENT_DATA": "#757575"}
SECONDS_PER_DAY: Final = 86400.0
VERDICT_WORDS: Final = {Verdict.PASS: "pass", Verdict.FAIL: "FAIL", Verdict.NOT_OBSERVED: "—"}


def matplotlib_missing() -> str | None:
    """The sentence to show when matplotlib is not installed, else None: checked before a
    watch starts, not after half an hour of polling."""
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return MISSING_MATPLOTLIB
    return None


def draw_chart(result: WatchResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.dates as mdates
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter

    timeline = result.timeline
    settings = timeline.settings
    figure, (cpu_axes, size_axes) = plt.subplots(
        2,
        1,
        figsize=(12, 7.5),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 2], "hspace": 0.08},
        layout="constrained",
    )
    try:
        _cpu(cpu_axes, result)
        _sizes(size_axes, result)
        for axes in (cpu_axes, size_axes):
            _alarms(axes, result, label=axes is cpu_axes)
            _reactions(axes, result, label=axes is size_axes)
            axes.grid(True, color="#e0e0e0", linewidth=0.6)
            axes.set_axisbelow(True)
        locator = mdates.AutoDateLocator(tz=UTC, minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
        size_axes.xaxis.set_major_locator(locator)
        size_axes.xaxis.set_major_formatter(FuncFormatter(_clock_label))
        size_axes.set_xlabel("time (UTC)")
        started, ended = _when(timeline.started_at), _when(timeline.ended_at)
        cpu_axes.set_xlim(_x(min(_first_time(result), timeline.started_at)), _x(timeline.ended_at))
        figure.suptitle(
            f"Auto Scaling group {settings.group}, "
            f"{started:%Y-%m-%d %H:%M:%S} to {ended:%H:%M:%S} UTC "
            f"({len(timeline.samples)} polls every {settings.interval_seconds:g} s)",
            fontsize=12,
            fontweight="bold",
        )
        cpu_axes.set_title(_verdict_line(result), fontsize=9.5, loc="left")
        figure.savefig(path, dpi=110)
    finally:
        plt.close(figure)


def _cpu(axes: Axes, result: WatchResult) -> None:
    threshold = result.timeline.settings.threshold
    points = cpu_series(result.timeline.samples)
    if points:
        axes.plot(
            [_x(p.at) for p in points],
            [p.percent for p in points],
            color="#1565c0",
            marker="o",
            markersize=3,
            linewidth=1.6,
            label="average CPU of the group (per CloudWatch period)",
        )
    else:
        axes.text(
            0.5,
            0.5,
            "no CPU data from CloudWatch",
            transform=axes.transAxes,
            ha="center",
            color="#757575",
        )
    axes.axhline(
        threshold,
        color="#c62828",
        linestyle="--",
        linewidth=1.2,
        label=f"threshold {threshold:g} %",
    )
    axes.set_ylim(0, 105)
    axes.set_ylabel("CPU %")
    axes.legend(loc="upper left", fontsize=8, framealpha=0.9)


def _sizes(axes: Axes, result: WatchResult) -> None:
    from matplotlib.ticker import MaxNLocator

    samples = result.timeline.samples
    times = [_x(s.at) for s in samples]
    if times and result.timeline.ended_at > samples[-1].at:
        times.append(_x(result.timeline.ended_at))
        samples = (*samples, samples[-1])
    axes.step(
        times,
        [s.desired for s in samples],
        where="post",
        color="#ef6c00",
        linestyle="--",
        linewidth=1.8,
        label="desired",
    )
    axes.step(
        times,
        [s.in_service for s in samples],
        where="post",
        color="#1565c0",
        linewidth=1.8,
        label="in service",
    )
    axes.step(
        times,
        [s.min_size for s in samples],
        where="post",
        color="#9e9e9e",
        linestyle=":",
        linewidth=1,
        label="minimum",
    )
    failed = result.timeline.failed_polls
    if failed:
        axes.plot(
            [_x(f.at) for f in failed],
            [0] * len(failed),
            linestyle="none",
            marker="x",
            color="#c62828",
            label="failed poll",
        )
    top = max((max(s.desired, s.in_service, s.min_size) for s in samples), default=1)
    axes.set_ylim(-0.2 if failed else 0, top + 1)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("instances")
    axes.legend(loc="upper left", fontsize=8, framealpha=0.9)


def _alarms(axes: Axes, result: WatchResult, *, label: bool) -> None:
    """A vertical line at each alarm change, coloured by the state entered; named on the
    CPU panel."""
    for event in result.events:
        if event.kind is not EventKind.ALARM:
            continue
        colour = ALARM_COLOURS.get(event.after, "#757575")
        when = _x(event.at)
        axes.axvline(when, color=colour, linewidth=1, alpha=0.8)
        if label:
            axes.annotate(
                f"{event.subject}: {event.after}",
                xy=(when, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3, -4),
                textcoords="offset points",
                rotation=90,
                va="top",
                fontsize=7.5,
                color=colour,
            )


def _reactions(axes: Axes, result: WatchResult, *, label: bool) -> None:
    """The measured spans shaded: CPU crossing to a new instance in service, and the load's
    end to the group back at its minimum."""
    report = result.report
    for check, colour, name in (
        (report.scale_out, "#ffb74d", "scale-out reaction"),
        (report.scale_in, "#81c784", "back to minimum"),
    ):
        if check.started_at is None:
            continue
        end = check.ended_at if check.ended_at is not None else result.timeline.ended_at
        axes.axvspan(
            _x(check.started_at),
            _x(end),
            color=colour,
            alpha=0.25,
            label=f"{name}: {_figure(check)}" if label else None,
        )
    if label:
        axes.legend(loc="upper left", fontsize=8, framealpha=0.9)


def _verdict_line(result: WatchResult) -> str:
    report = result.report
    parts = [
        f"scale-out {_figure(report.scale_out)}",
        f"back to minimum {_figure(report.scale_in)}",
        f"instances healthy: {VERDICT_WORDS[report.target_health.verdict]}",
    ]
    return "   ·   ".join(parts)


def _figure(check: Check) -> str:
    budget = f"budget {spoken(check.budget_seconds)}" if check.budget_seconds else ""
    if check.seconds is None:
        return (
            f"not observed ({budget})"
            if check.verdict is Verdict.NOT_OBSERVED
            else (f"not reached, FAIL ({budget})")
        )
    return f"{spoken(check.seconds)} ({budget}) {VERDICT_WORDS[check.verdict]}"


def _first_time(result: WatchResult) -> float:
    """The chart starts with the CPU periods read before the watch began, if any."""
    points = cpu_series(result.timeline.samples)
    return points[0].at if points else result.timeline.started_at


def _when(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _x(at: float) -> float:
    """matplotlib's date number: days since its default epoch, 1970-01-01 UTC."""
    return at / SECONDS_PER_DAY


def _clock_label(x: float, _position: object) -> str:
    return _when(x * SECONDS_PER_DAY).strftime("%H:%M:%S")
