"""`eduportal loadtest`: the design's load profiles against a portal, and a report.

Locust runs in a child process (never imported here: it patches the standard library for
gevent); without --host the command starts the embedded portal itself, so a newcomer needs one
command. While it runs, the server's `/metrics` is sampled for its CPU and memory; afterwards
the report is written whether the run ended, failed a threshold or was cut short by Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import tempfile
import time
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eduportal.cli.common import EXIT_FAILURE, EXIT_NEEDS_ATTENTION, Commands, UsageError
from eduportal.loadtest import LoadTestError, profiles, thresholds
from eduportal.loadtest.operations import ALIASES, STUDENT_PASSWORD_ENV, TEACHER_PASSWORD_ENV

if TYPE_CHECKING:
    from eduportal.services.scaling_watch import BackgroundWatch, WatchResult

EXIT_INTERRUPTED = 130
"""As a shell reports a command ended by Ctrl-C."""


def _say(message: str) -> None:
    sys.stderr.write(message + "\n")
    sys.stderr.flush()


def _cmd_loadtest(args: argparse.Namespace) -> int:
    from eduportal.loadtest import locust_process

    missing = locust_process.missing_tools()
    if missing:
        _say(
            f"error: eduportal loadtest needs {' and '.join(missing)}, which this installation "
            "lacks (a server installs without them): pip install 'eduportal[loadtest]'"
        )
        return EXIT_FAILURE
    profile = profiles.with_overrides(
        profiles.PROFILES[args.profile],
        users=args.users,
        spawn_rate=args.spawn_rate,
        run_seconds=args.run_time,
        think_time=args.think_time,
    )
    checks = thresholds.resolve(args.threshold or [])
    _stop_on_signals()
    if args.watch_asg and not args.host:
        raise UsageError(
            "--watch-asg needs --host: the portal this command starts by itself runs on this "
            "machine, in no Auto Scaling group."
        )
    try:
        return _run(args, profile, checks)
    except LoadTestError as exc:
        _say(f"error: {exc}")
        return EXIT_FAILURE


def _run(
    args: argparse.Namespace, profile: profiles.Profile, checks: list[thresholds.Threshold]
) -> int:
    from eduportal.loadtest import accounts, locust_process, report
    from eduportal.loadtest.local_portal import running_portal
    from eduportal.loadtest.locust_stats import HistoryFollower
    from eduportal.loadtest.server_metrics import MetricsSampler

    scenarios = locust_process.scenarios_dir(Path.cwd())
    if args.host:  # checked before anything is written: a wrong password leaves no report
        host = args.host.rstrip("/")
        teacher = accounts.from_environment(args.teacher, TEACHER_PASSWORD_ENV, os.environ)
        student = accounts.from_environment(args.student, STUDENT_PASSWORD_ENV, os.environ)
        accounts.check_sign_in(host, teacher, "teacher")
        accounts.check_sign_in(host, student, "student")
        portal = f"given by --host (accounts {teacher.username}, {student.username})"
    report_dir = _report_dir(args.output_dir or scenarios / "reports", profile.name)
    _say(
        f"loadtest: {profile.name} ({profile.purpose}): {profile.users} users, "
        f"{profile.spawn_rate:g}/s, {profiles.format_duration(profile.run_seconds)}, think time "
        f"{profile.think_time}; report in {report_dir}"
    )
    with ExitStack() as stack:
        if not args.host:
            _say("loadtest: starting the portal on the embedded default (server.log) ...")
            work = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="loadtest-")))
            log = stack.enter_context((report_dir / "server.log").open("w"))
            local = stack.enter_context(
                running_portal(work, log, str(locust_process.package_root()))
            )
            host, teacher, student = local.url, local.teacher, local.student
            portal = (
                "started by this command: `eduportal serve --no-ui --workers 0`, local files, "
                "SQLite and offline generators in a temporary directory"
            )
        watch = _start_watch(args.watch_asg, args.watch_interval) if args.watch_asg else None
        sampler = MetricsSampler(f"{host}/metrics")
        sampler.start()
        argv = locust_process.command(profile, host, scenarios, report_dir, teacher, student)
        env = locust_process.environment(os.environ, teacher, student)
        locust_log = stack.enter_context((report_dir / "locust.log").open("w"))
        started_at = time.time()
        process = locust_process.start(argv, env, report_dir, locust_log)
        _say("loadtest: Locust started (its output: locust.log)")
        follower = HistoryFollower(report_dir / report.HISTORY)
        interrupted = locust_process.follow(process, follower.new_rows, profile.run_seconds, _say)
        ended_at = time.time()
        samples = sampler.stop()
        scaling = _stop_watch(watch, report_dir) if watch is not None else None
    run: dict[str, Any] = {
        "host": host,
        "portal": portal,
        "started_at": started_at,
        "ended_at": ended_at,
        "started_at_utc": _utc(started_at),
        "ended_at_utc": _utc(ended_at),
        "duration": profiles.format_duration(ended_at - started_at),
        "interrupted": interrupted,
        "locust_exit_code": process.returncode,
        "report_dir": str(report_dir),
    }
    note = None if samples else f"{host}/metrics could not be read ({sampler.last_error})"
    try:
        figures = report.write(
            report_dir,
            profile=profile,
            thresholds=checks,
            samples=samples,
            run=run,
            server_note=note,
            scaling=scaling,
        )
    except LoadTestError as exc:
        raise LoadTestError(
            f"{exc} It last said: {locust_process.last_words(report_dir / 'locust.log')} "
            f"(all of it: {report_dir / 'locust.log'})"
        ) from exc
    sys.stdout.write(report.table(figures) + f"\nreport: {report_dir / report.INDEX}\n")
    sys.stdout.flush()
    if interrupted:
        return EXIT_INTERRUPTED
    if figures["overall"]["requests"] == 0:
        _say(f"error: no request was made; locust.log in {report_dir} says why.")
        return EXIT_FAILURE
    return EXIT_NEEDS_ATTENTION if figures["verdict"] == "fail" else 0


def _stop_on_signals() -> None:
    """Ctrl-C and SIGTERM end the run with its report written (`locust_process.follow`).
    Set here, not inherited: a process started in the background by a non-interactive shell
    begins with SIGINT ignored, and Python then leaves it so."""
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, signal.default_int_handler)


def _start_watch(group: str, interval: float) -> BackgroundWatch:
    """The scaling watch in a thread, its first poll made: a wrong group name or missing
    credentials stop the run before any load."""
    from eduportal.config import load_settings
    from eduportal.domain.errors import EduportalError
    from eduportal.services.scaling_watch import WatchSettings
    from eduportal.wiring import start_scaling_watch

    try:
        watch = start_scaling_watch(
            load_settings(), WatchSettings(group=group, interval_seconds=interval)
        )
    except EduportalError as exc:
        raise LoadTestError(f"The scaling watch could not start: {exc.user_message}") from exc
    _say(f"loadtest: watching Auto Scaling group {group} every {interval:g} s")
    return watch


def _stop_watch(watch: BackgroundWatch, report_dir: Path) -> WatchResult | None:
    """The watch's result, its documents and chart written into scaling/; None (and a
    sentence) when its last poll failed, so the load test's own report is still written."""
    from eduportal.cli.scaling_chart import draw_chart
    from eduportal.cli.scaling_documents import report_document, timeline_document
    from eduportal.domain.errors import EduportalError

    try:
        result = watch.stop(timeout=120)
    except (EduportalError, TimeoutError) as exc:
        _say(f"loadtest: the scaling watch failed at the end, its figures are lost: {exc}")
        return None
    directory = report_dir / "scaling"
    directory.mkdir(exist_ok=True)
    for name, document in (
        ("timeline.json", timeline_document(result)),
        ("report.json", report_document(result)),
    ):
        (directory / name).write_text(json.dumps(document, indent=2) + "\n")
    draw_chart(result, directory / "timeline.png")
    return result


def _report_dir(parent: Path, profile: str) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for attempt in range(100):
        path = parent / (f"{stamp}-{profile}" + (f"-{attempt}" if attempt else ""))
        try:
            path.mkdir(parents=True)
        except FileExistsError:
            continue
        except OSError as exc:
            raise UsageError(
                f"Cannot make the report directory {path}: {exc.strerror or exc}."
            ) from exc
        return path
    raise UsageError(f"Cannot make a new report directory under {parent}.")


def _utc(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _argument(parse: Any) -> Any:
    """An argparse type from a parser that raises ValueError with its sentence."""

    def checked(text: str) -> Any:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return checked


def _count(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 10_000:
        raise ValueError(f"{text!r}: give a whole number from 1 to 10000.")
    return int(text)


def _rate(text: str) -> float:
    try:
        rate = float(text)
    except ValueError:
        rate = 0.0
    if not 0 < rate <= 1000:
        raise ValueError(f"{text!r}: give users per second, more than 0 (e.g. 5 or 0.5).")
    return rate


def _profile_lines() -> str:
    rows = [("", "users", "per s", "run time", "users' kind")] + [
        (
            p.name,
            f"{p.spike_from}-{p.users}" if p.spike_from is not None else str(p.users),
            f"{p.spawn_rate:g}",
            profiles.format_duration(p.run_seconds),
            "all three" if len(p.user_classes) > 1 else p.user_classes[0],
        )
        for p in profiles.PROFILES.values()
    ]
    return "\n".join(
        f"  {name:<10} {users:>6} {rate:>5} {run:>8}  {kind}"
        for name, users, rate, run, kind in rows
    )


def register(commands: Commands) -> None:
    parser = commands.add_parser(
        "loadtest",
        help="load the portal like classrooms do (Locust) and write a report with charts",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=f"""\
Run one of the design's load profiles with Locust (headless, in a child process)
and write a report: Locust's HTML and CSV files, summary.json, PNG charts and
index.html, in OUTPUT-DIR/<UTC time>-<profile>/ (default load-testing/reports/).

profiles (--users, --spawn-rate, --run-time and --think-time change them):
{_profile_lines()}
spike: 10 users, 100 (--users) from a quarter to three quarters of the run,
then 10 again. Think time: 1-3 s between two actions (smoke: 0.5-1.5 s).

users: ImageLoadTest creates an assignment with an illustration (weight 3, as the
teacher), views one with its image as a browser does (weight 5, as the student)
and lists the newest with their thumbnails (weight 1); ImageHeavyUser only
creates; CacheTestUser views the same few images again and again. The storage
uploads and downloads the API reports in its Server-Timing header are entries
of their own, "S3 upload" and "S3 download"; through a CDN, X-Cache gives the
cache profile its hit ratio (not available on the embedded origin).

Without --host, the command starts the portal itself on the embedded default
(local files, SQLite, offline generators, in a temporary directory; none of
your EDUPORTAL_* settings apply) with accounts of its own, and stops it after.
With --host, the users sign in as --teacher and --student, whose passwords
come from {TEACHER_PASSWORD_ENV} and
{STUDENT_PASSWORD_ENV} (never from the command line).

The server's CPU and memory come from its /metrics, read every few seconds.
Progress goes to standard error; the thresholds table to standard output.

With --watch-asg NAME (and --host), `eduportal scaling watch` runs beside the
load: its timeline, report and chart go to the report's scaling/ directory,
and the share of uploads (creates with an illustration) and downloads (images)
that succeeded within each stretch the group spent changing size must stay
above 95 % (requirement 10.5); a stretch after the load ended is not measured.

thresholds ([OPERATION-]STATISTIC=LIMIT; a value passes below its limit):
  defaults: {", ".join(thresholds.DEFAULTS)}
  OPERATION: {", ".join(ALIASES)}; none: every HTTP request (error-rate only)
  STATISTIC: p50, p95, p99 (LIMIT 250ms, 3s) or error-rate (LIMIT 5%)
  NAME=off drops a default. A threshold whose operation had no sample is "not
  measured": shown, neither passed nor failed, and it does not fail the run.

exit status:
  0    every measured threshold passed
  1    the run could not be made or reported (the portal or Locust failed, no
       request was made, locust or matplotlib missing)
  2    bad command-line input
  3    a threshold failed (the table says which), or a success rate while the
       group scaled
  130  stopped by Ctrl-C (the report holds what was measured until then)""",
    )
    parser.add_argument(
        "--profile", required=True, choices=list(profiles.PROFILES), help="the load profile to run"
    )
    parser.add_argument(
        "--host",
        metavar="URL",
        help="the portal to load, e.g. https://portal.example.org (default: start one here)",
    )
    parser.add_argument(
        "--users",
        type=_argument(_count),
        metavar="N",
        help="users at once (the spike's peak), instead of the profile's",
    )
    parser.add_argument(
        "--spawn-rate",
        type=_argument(_rate),
        metavar="R",
        help="users started per second, instead of the profile's",
    )
    parser.add_argument(
        "--run-time",
        type=_argument(profiles.parse_duration),
        metavar="T",
        help="how long: 90s, 3m, 1h, 1h30m, instead of the profile's",
    )
    parser.add_argument(
        "--think-time",
        type=_argument(profiles.parse_think_time),
        metavar="MIN-MAX",
        help="seconds each user waits between two actions, e.g. 1-3 (default 1-3; smoke 0.5-1.5)",
    )
    parser.add_argument(
        "--threshold",
        action="append",
        type=_argument(thresholds.parse),
        metavar="NAME=VALUE",
        help="add or change a threshold (repeatable), e.g. create-p95=2s or error-rate=1%%",
    )
    parser.add_argument(
        "--output-dir",
        type=Path,
        metavar="DIR",
        help="where the report's directory is made (default: load-testing/reports)",
    )
    parser.add_argument(
        "--teacher",
        default="teacher",
        metavar="USER",
        help=f"with --host: the teacher who creates (password: ${TEACHER_PASSWORD_ENV}; "
        "default: teacher)",
    )
    parser.add_argument(
        "--student",
        default="student",
        metavar="USER",
        help=f"with --host: the student who views (password: ${STUDENT_PASSWORD_ENV}; "
        "default: student)",
    )
    parser.add_argument(
        "--watch-asg",
        metavar="NAME",
        help="with --host: watch this Auto Scaling group during the run (AWS settings from "
        "the environment, as for `eduportal scaling watch`)",
    )
    parser.add_argument(
        "--watch-interval",
        type=_argument(_rate),
        default=15.0,
        metavar="SECONDS",
        help="seconds between two polls of the group (default: 15)",
    )
    parser.set_defaults(handler=_cmd_loadtest)
