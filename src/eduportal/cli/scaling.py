"""`eduportal scaling watch`: watch an Auto Scaling group during a load test and judge its
scaling against requirement 10 (scale out within 5 minutes of CPU passing 70 %, back to the
minimum within 10 minutes of the load ending, every instance healthy behind the load
balancer).

Progress goes to standard error, one line per poll, so whoever runs the load test sees the
group react; the report goes to standard output, and the timeline, the report and a chart to
the output directory.
"""

from __future__ import annotations

import argparse
import re
import signal
import sys
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Final

from eduportal.cli.common import (
    EXIT_FAILURE,
    EXIT_NEEDS_ATTENTION,
    Commands,
    UsageError,
    print_json,
)
from eduportal.cli.storage import parse_duration
from eduportal.domain.errors import EduportalError, NotFoundError
from eduportal.domain.scaling import Sample
from eduportal.domain.scaling_events import ScalingEvent
from eduportal.domain.scaling_verdicts import (
    CPU_THRESHOLD_PERCENT,
    HEALTH_GRACE_SECONDS,
    SCALE_IN_BUDGET_SECONDS,
    SCALE_OUT_BUDGET_SECONDS,
    Budgets,
    Verdict,
    spoken,
)
from eduportal.services.scaling_watch import DEFAULT_INTERVAL_SECONDS, WatchResult

EXIT_NOT_OBSERVED: Final = 4
"""No budget failed, but one could not be judged: the watch ended before what it waits for
happened (no load, the load still on, the group still scaling)."""
EXIT_CODES: Final = {
    Verdict.PASS: 0,
    Verdict.FAIL: EXIT_NEEDS_ATTENTION,
    Verdict.NOT_OBSERVED: EXIT_NOT_OBSERVED,
}
REPORTS_DIR: Final = Path("scaling-reports")
CLOUDWATCH_PERIODS: Final = (1, 5, 10, 20, 30)
"""Periods under a minute CloudWatch accepts (for high-resolution metrics); longer ones are
multiples of 60."""

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _cmd_watch(args: argparse.Namespace) -> int:
    from eduportal.cli.scaling_chart import draw_chart, matplotlib_missing
    from eduportal.cli.scaling_documents import report_document, timeline_document
    from eduportal.services.scaling_watch import WatchSettings
    from eduportal.wiring import run_scaling_watch

    missing = matplotlib_missing()
    if missing is not None:
        sys.stderr.write(f"error: {missing}\n")
        return EXIT_FAILURE
    directory = _output_dir(args.output_dir, args.asg)
    settings = WatchSettings(
        group=args.asg,
        interval_seconds=args.interval,
        duration_seconds=args.duration,
        threshold=args.cpu_threshold,
        budgets=Budgets(
            scale_out_seconds=args.scale_out_budget,
            scale_in_seconds=args.scale_in_budget,
            health_grace_seconds=args.health_grace,
        ),
    )
    _say(
        f"Watching Auto Scaling group {args.asg} every {args.interval:g} s "
        + (f"for {spoken(args.duration)}" if args.duration else "until Ctrl-C")
        + f" (times in UTC); the report goes to {directory}/"
    )
    stop = threading.Event()
    try:
        with _stopped_by_signals(stop):
            result = run_scaling_watch(
                args.settings,
                settings,
                cpu_period_seconds=args.cpu_period,
                stop=stop,
                on_sample=_Progress(args.cpu_threshold),
                on_failure=_failed_poll,
            )
    except NotFoundError as exc:
        _remove_if_empty(directory, created=not args.output_dir)
        raise UsageError(exc.user_message) from exc
    except EduportalError:
        _remove_if_empty(directory, created=not args.output_dir)
        raise
    files = {
        "timeline": directory / "timeline.json",
        "report": directory / "report.json",
        "chart": directory / "timeline.png",
    }
    report = report_document(result)
    report["files"] = {name: str(path) for name, path in files.items()}
    _write_json(files["timeline"], timeline_document(result))
    _write_json(files["report"], report)
    draw_chart(result, files["chart"])
    if args.json:
        print_json(report)
    else:
        _print_summary(result, files)
    return EXIT_CODES[result.report.verdict]


class _Progress:
    """One line per poll on standard error: time, CPU, sizes, target health, alarms; and a
    line per event the poll revealed."""

    def __init__(self, threshold: float) -> None:
        self._threshold = threshold

    def __call__(self, sample: Sample, events: Sequence[ScalingEvent]) -> None:
        latest = sample.latest_cpu
        cpu = "CPU    —  " if latest is None else f"CPU {latest.percent:5.1f} %"
        mark = "▲" if latest is not None and latest.percent > self._threshold else " "
        alarms = ", ".join(f"{a.name} {a.state}" for a in sample.alarms) or "none"
        parts = [
            f"{_clock(sample.at)}  {cpu} {mark}",
            f"desired {sample.desired}",
            f"in service {sample.in_service}/{len(sample.instances)}",
        ]
        if sample.target_groups:
            parts.append(f"healthy {sample.healthy}")
        parts.append(f"alarms: {alarms}")
        lines = ["  ".join(parts)]
        lines += [f"          {_clock(e.at)}  {e.describe()}" for e in events]
        _say("\n".join(lines))


def _failed_poll(at: float, error: EduportalError) -> None:
    _say(f"{_clock(at)}  poll failed, the watch goes on: {error.user_message}")


def _print_summary(result: WatchResult, files: dict[str, Path]) -> None:
    timeline = result.timeline
    report = result.report
    out = sys.stdout
    out.write(
        f"Scaling watch of {timeline.settings.group}: {_clock(timeline.started_at)} to "
        f"{_clock(timeline.ended_at)} UTC, {len(timeline.samples)} polls"
        + (f", {len(timeline.failed_polls)} failed" if timeline.failed_polls else "")
        + f". Verdict: {report.verdict.value}.\n"
    )
    names = {"scale-out": "scale-out", "scale-in": "back to minimum", "target-health": "healthy"}
    for check in report.checks:
        out.write(f"  {names[check.name]:<16} {check.verdict.value:<13} {check.summary}\n")
    for window in result.windows:
        state = "" if window.completed else " (still scaling when the watch ended)"
        out.write(
            f"  {window.kind} from {_clock(window.started_at)} to {_clock(window.ended_at)}: "
            f"desired {window.from_desired} to {window.to_desired}{state}\n"
        )
    for name, path in files.items():
        out.write(f"  {name}: {path}\n")
    out.flush()


@contextmanager
def _stopped_by_signals(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C (or SIGTERM) ends the watch after the poll in flight and still writes the
    report; a second one interrupts at once."""
    previous = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}

    def stop_watching(signum: int, frame: FrameType | None) -> None:
        stop.set()
        _say("Stopping after this poll and writing the report (Ctrl-C again to quit at once).")
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)

    for sig in previous:
        signal.signal(sig, stop_watching)
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _output_dir(given: Path | None, group: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    directory = given or REPORTS_DIR / f"{stamp}-{_UNSAFE.sub('-', group).strip('-') or 'group'}"
    try:
        directory.mkdir(parents=True, exist_ok=True)
        probe = directory / ".writable"
        probe.touch()
        probe.unlink()
    except OSError as exc:
        raise UsageError(f"Cannot write the report to {directory}: {exc.strerror or exc}.") from exc
    return directory


def _remove_if_empty(directory: Path, *, created: bool) -> None:
    """A watch that never polled leaves no empty report directory behind."""
    if created and not any(directory.iterdir()):
        directory.rmdir()


def _write_json(path: Path, document: object) -> None:
    import json

    try:
        path.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def _clock(at: float) -> str:
    return datetime.fromtimestamp(at, UTC).strftime("%H:%M:%S")


def _seconds(text: str) -> float:
    """The poll interval: seconds, fractions allowed (a test polls moto every 0.2 s)."""
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value <= 3600:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give the interval in seconds, more than 0 and at most 3600 (e.g. 15)."
        )
    return value


def _percent(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0 < value < 100:
        raise argparse.ArgumentTypeError(f"{text!r}: give a percentage between 0 and 100.")
    return value


def _period(text: str) -> int:
    value = int(text) if text.isdigit() else 0
    if value not in CLOUDWATCH_PERIODS and (value < 60 or value % 60):
        raise argparse.ArgumentTypeError(
            f"{text!r}: CloudWatch periods are 1, 5, 10, 20, 30 or a multiple of 60 seconds."
        )
    return value


def _positive_duration(text: str) -> int:
    seconds = parse_duration(text)
    if seconds == 0:
        raise argparse.ArgumentTypeError(f"{text!r}: give a duration longer than 0.")
    return seconds


def register(commands: Commands) -> None:
    scaling = commands.add_parser(
        "scaling",
        help="evidence that an Auto Scaling group scales as requirement 10 asks",
        description="Watch an Auto Scaling group on AWS during a load test.",
    )
    actions = scaling.add_subparsers(dest="scaling_command", required=True, metavar="ACTION")
    watch = actions.add_parser(
        "watch",
        help="poll the group during a load test and judge its scaling",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description="""\
Poll an Auto Scaling group every --interval seconds: its desired, minimum and
maximum sizes and its instances (lifecycle state, health), its average CPU
(CloudWatch AWS/EC2 CPUUtilization by AutoScalingGroupName), the state of the
alarms on its scaling policies, the load balancer's target health of its
instances (the health check is /readyz) and its scaling activities. Start it
before the load test and stop it (Ctrl-C, or --duration) once the group has
settled. Progress goes to standard error, one line per poll.

It then reports:
  scale-out        time from CPU first crossing the threshold (the start of
                   the first CloudWatch period above it) to a new instance in
                   service; budget 5 min (requirement 10.2)
  back to minimum  time from the load ending (the first period below the
                   threshold after the last one above it) to the group back at
                   its minimum for good; budget 10 min (requirement 10.3)
  healthy          whether every instance in service passed the load
                   balancer's health check at some poll (requirement 10.4);
                   instances that never did are listed
A check is "not observed" when the watch ended before it could be judged (no
load, the load still on, a budget not yet run out).

It writes timeline.json (every poll, the events: CPU crossings, instances
launched, in service and terminated, alarm and size changes, and the scaling
windows), report.json (what --json prints) and timeline.png (the chart) into
--output-dir. AWS settings come from the environment: AWS_REGION,
AWS_ENDPOINT_URL, and the usual AWS credentials. It needs matplotlib (the
loadtest extra) and read-only permissions: autoscaling:Describe*,
cloudwatch:GetMetricData, cloudwatch:DescribeAlarms,
elasticloadbalancing:DescribeTargetHealth.

exit status:
  0  every check passed
  1  a failure (AWS unreachable, a refused read, matplotlib missing)
  2  bad command-line input, or no group of that name
  3  a check failed: a budget exceeded, or an instance never healthy
  4  nothing failed, but a check was not observed""",
    )
    watch.add_argument(
        "--asg", required=True, metavar="NAME", help="the Auto Scaling group's name (required)"
    )
    watch.add_argument(
        "--interval",
        type=_seconds,
        default=DEFAULT_INTERVAL_SECONDS,
        metavar="SECONDS",
        help=f"seconds between polls, fractions allowed (default: {DEFAULT_INTERVAL_SECONDS:g})",
    )
    watch.add_argument(
        "--duration",
        type=_positive_duration,
        metavar="DURATION",
        help="stop after this long: 90s, 30m, 2h (default: until Ctrl-C or SIGTERM, after "
        "which the report is still written)",
    )
    watch.add_argument(
        "--cpu-threshold",
        type=_percent,
        default=CPU_THRESHOLD_PERCENT,
        metavar="PERCENT",
        help="the CPU the scale-out policy acts on, as the alarm's threshold "
        f"(default: {CPU_THRESHOLD_PERCENT:g}, requirement 10.2)",
    )
    watch.add_argument(
        "--cpu-period",
        type=_period,
        default=60,
        metavar="SECONDS",
        help="the CloudWatch period of the CPU metric: 60 with EC2 detailed monitoring, 300 "
        "with basic monitoring (default: 60)",
    )
    watch.add_argument(
        "--scale-out-budget",
        type=_positive_duration,
        default=int(SCALE_OUT_BUDGET_SECONDS),
        metavar="DURATION",
        help="the longest acceptable scale-out reaction (default: 5m, requirement 10.2)",
    )
    watch.add_argument(
        "--scale-in-budget",
        type=_positive_duration,
        default=int(SCALE_IN_BUDGET_SECONDS),
        metavar="DURATION",
        help="the longest acceptable return to the minimum (default: 10m, requirement 10.3)",
    )
    watch.add_argument(
        "--health-grace",
        type=parse_duration,
        default=int(HEALTH_GRACE_SECONDS),
        metavar="DURATION",
        help="how long an instance may be in service before its health check must have "
        "passed; one in service for less when the watch ends is not held against the group "
        "(default: 5m)",
    )
    watch.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help=f"where to write timeline.json, report.json and timeline.png (default: "
        f"{REPORTS_DIR}/<UTC time>-<group>/)",
    )
    watch.add_argument(
        "--json",
        action="store_true",
        help="print the report as JSON on standard output instead of a summary",
    )
    watch.set_defaults(handler=_cmd_watch)
