"""The scaling watch's chart, three panels over one time axis: the group's CPU against the
threshold; each scaling alarm's state as a coloured band (a change of colour is a transition);
the desired, in-service and healthy instance counts. The two measured reactions are shaded
across all three and the verdicts head the chart, so one picture shows whether the group kept
up with the load.

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
ALARM_COLOURS: Final = {"ALARM": "#e53935", "OK": "#66bb6a", "INSUFFICIENT_DATA": "#bdbdbd"}
SPAN_COLOURS: Final = {"scale-out": "#ffb74d", "scale-in": "#64b5f6"}
SECONDS_PER_DAY: Final = 86400.0
VERDICT_WORDS: Final = {Verdict.PASS: "pass", Verdict.FAIL: "FAIL", Verdict.NOT_OBSERVED: ""}


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
    alarms = _alarm_names(result)
    figure, (cpu_axes, alarm_axes, size_axes) = plt.subplots(
        3,
        1,
        figsize=(13, 8 + 0.25 * len(alarms)),
        sharex=True,
        gridspec_kw={"height_ratios": [3, 0.35 + 0.3 * max(len(alarms), 1), 2]},
        layout="constrained",
    )
    try:
        _cpu(cpu_axes, result)
        _alarms(alarm_axes, result, alarms)
        _sizes(size_axes, result)
        _reactions(cpu_axes, result, labelled=True)
        _reactions(size_axes, result, labelled=False)
        for axes in (cpu_axes, size_axes):
            axes.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
        locator = mdates.AutoDateLocator(tz=UTC, minticks=4, maxticks=10)  # type: ignore[no-untyped-call]
        size_axes.xaxis.set_major_locator(locator)
        size_axes.xaxis.set_major_formatter(FuncFormatter(_clock_label))
        size_axes.set_xlabel("time (UTC)")
        cpu_axes.set_xlim(_x(_first_time(result)), _x(timeline.ended_at))
        started, ended = _when(timeline.started_at), _when(timeline.ended_at)
        failed = f", {len(timeline.failed_polls)} failed" if timeline.failed_polls else ""
        figure.suptitle(
            f"Auto Scaling group {settings.group}: {started:%Y-%m-%d %H:%M:%S} to "
            f"{ended:%H:%M:%S} UTC, {len(timeline.samples)} polls every "
            f"{settings.interval_seconds:g} s{failed}\n{_verdict_line(result)}",
            fontsize=11,
        )
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
            label="average CPU of the group\n(per CloudWatch period)",
        )
    else:
        axes.text(
            0.5,
            0.5,
            "CloudWatch returned no CPU data for the group",
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
    _grid(axes)


def _alarms(axes: Axes, result: WatchResult, names: list[str]) -> None:
    """One row per alarm, coloured by its state from poll to poll; CloudWatch's time of each
    change is where the colour changes."""
    timeline = result.timeline
    for row, name in enumerate(names):
        spans = _alarm_spans(result, name)
        ends = [at for at, _state in spans[1:]] + [timeline.ended_at]
        for (start, state), end in zip(spans, ends, strict=True):
            axes.broken_barh(
                [(_x(start), _x(end) - _x(start))],
                (row - 0.35, 0.7),
                facecolors=ALARM_COLOURS.get(state, "#bdbdbd"),
                edgecolor="white",
                linewidth=0.5,
            )
    if not names:
        axes.text(
            0.5,
            0.5,
            "no alarms on the group's scaling policies",
            transform=axes.transAxes,
            ha="center",
            va="center",
            color="#757575",
            fontsize=8,
        )
    axes.set_yticks(range(len(names)), names, fontsize=7.5)
    axes.set_ylim(-0.6, max(len(names), 1) - 0.4)
    axes.invert_yaxis()
    axes.tick_params(axis="y", length=0)
    handles = [
        axes.bar(0, 0, color=colour, label=state.replace("_", " "))
        for state, colour in ALARM_COLOURS.items()
    ]
    axes.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        fontsize=7,
        title="alarm state",
        title_fontsize=7,
        frameon=False,
    )


def _alarm_names(result: WatchResult) -> list[str]:
    return sorted({a.name for s in result.timeline.samples for a in s.alarms})


def _alarm_spans(result: WatchResult, name: str) -> list[tuple[float, str]]:
    """(from when, state) for `name`: its state at the first poll that saw it, then each
    change."""
    samples = result.timeline.samples
    first = next((s, a) for s in samples for a in s.alarms if a.name == name)
    spans = [(first[0].at, first[1].state)]
    spans += [
        (e.at, e.after) for e in result.events if e.kind is EventKind.ALARM and e.subject == name
    ]
    return spans


def _sizes(axes: Axes, result: WatchResult) -> None:
    from matplotlib.ticker import MaxNLocator

    timeline = result.timeline
    samples = list(timeline.samples)
    times = [_x(s.at) for s in samples]
    if timeline.ended_at > samples[-1].at:
        times.append(_x(timeline.ended_at))
        samples.append(samples[-1])
    lines = [
        ("in service", [s.in_service for s in samples], "#1565c0", "-", 3.0),
        ("desired", [s.desired for s in samples], "#ef6c00", "--", 1.6),
    ]
    if any(s.target_groups for s in samples):
        lines.append(
            ("healthy behind the\nload balancer", [s.healthy for s in samples], "#2e7d32", ":", 2.0)
        )
    lines.append(("minimum", [s.min_size for s in samples], "#9e9e9e", "-.", 1.0))
    for label, values, colour, style, width in lines:
        axes.step(
            times,
            values,
            where="post",
            color=colour,
            linestyle=style,
            linewidth=width,
            label=label,
        )
    failed = timeline.failed_polls
    if failed:
        axes.plot(
            [_x(f.at) for f in failed],
            [0] * len(failed),
            linestyle="none",
            marker="x",
            color="#c62828",
            label="failed poll",
        )
    top = max(max(s.desired, s.in_service, s.min_size) for s in samples)
    axes.set_ylim(-0.3, top + 1.2)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylabel("instances")
    _grid(axes)


def _reactions(axes: Axes, result: WatchResult, *, labelled: bool) -> None:
    """The measured spans shaded: CPU crossing to a new instance in service, and the load's
    end to the group back at its minimum (to the end of the watch when never reached)."""
    report = result.report
    for check, name in (
        (report.scale_out, "scale-out reaction"),
        (report.scale_in, "back to minimum"),
    ):
        if check.started_at is None:
            continue
        end = check.ended_at if check.ended_at is not None else result.timeline.ended_at
        axes.axvspan(
            _x(check.started_at),
            _x(end),
            color=SPAN_COLOURS[check.name],
            alpha=0.22,
            linewidth=0,
            label=f"{name}:\n{_figure(check)}" if labelled else None,
            zorder=0,
        )


def _verdict_line(result: WatchResult) -> str:
    report = result.report
    health = report.target_health
    if health.verdict is Verdict.PASS:
        healthy = "every instance healthy: pass"
    elif health.verdict is Verdict.FAIL:
        healthy = f"never healthy: {len(report.never_healthy)} instance(s) FAIL"
    elif report.never_healthy:
        healthy = "health: not yet settled"
    else:
        healthy = "health: not observed (no target group)"
    return "     ".join(
        (
            f"scale-out {_figure(report.scale_out)}",
            f"back to minimum {_figure(report.scale_in)}",
            healthy,
        )
    )


def _figure(check: Check) -> str:
    budget = f"(budget {spoken(check.budget_seconds)})" if check.budget_seconds else ""
    if check.verdict is Verdict.NOT_OBSERVED:
        return f"not observed {budget}"
    if check.seconds is None:
        return f"not reached {budget} FAIL"
    return f"{spoken(check.seconds)} {budget} {VERDICT_WORDS[check.verdict]}"


def _grid(axes: Axes) -> None:
    axes.grid(True, color="#e0e0e0", linewidth=0.6)
    axes.set_axisbelow(True)


def _first_time(result: WatchResult) -> float:
    """The chart starts with the CPU periods read before the watch began, if any."""
    points = cpu_series(result.timeline.samples)
    return min(points[0].at, result.timeline.started_at) if points else result.timeline.started_at


def _when(at: float) -> datetime:
    return datetime.fromtimestamp(at, UTC)


def _x(at: float) -> float:
    """matplotlib's date number: days since its default epoch, 1970-01-01 UTC."""
    return at / SECONDS_PER_DAY


def _clock_label(x: float, _position: object) -> str:
    return _when(x * SECONDS_PER_DAY).strftime("%H:%M:%S")
