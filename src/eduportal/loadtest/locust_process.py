"""Locust as a child process: where its users are, its command line, following its progress,
stopping it.

A child process, never an import: Locust patches the standard library for gevent when it is
imported. It runs headless with its statistics written as CSV every second
(`--csv-full-history`) and its own HTML report; the progress lines come from the history file
it appends to, and a Ctrl-C here becomes one SIGINT there, on which Locust stops its users and
still writes its report.
"""

from __future__ import annotations

import contextlib
import importlib.util
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, TextIO

import eduportal
from eduportal.loadtest import LoadTestError
from eduportal.loadtest.accounts import Account
from eduportal.loadtest.locust_stats import CSV_PREFIX, HistoryRow
from eduportal.loadtest.operations import STUDENT_PASSWORD_ENV, TEACHER_PASSWORD_ENV
from eduportal.loadtest.profiles import Profile, format_duration

SCENARIOS: Final = "load-testing"
LOCUSTFILE: Final = "locustfile.py"
SPIKE_SHAPE: Final = "spike_shape.py"
HTML_REPORT: Final = "locust_report.html"
PROGRESS_SECONDS: Final = 5.0
FINISH_GRACE_SECONDS: Final = 120.0
"""Beyond its run time, how long Locust may take to start, make the assignments to view and
stop, before it is stopped."""
STOP_SECONDS: Final = 30.0

Say = Callable[[str], None]


def missing_tools() -> list[str]:
    """The load-test extra's packages this installation lacks (found without importing)."""
    return [name for name in ("locust", "matplotlib") if importlib.util.find_spec(name) is None]


def package_root() -> Path:
    """The directory holding the `eduportal` package this process runs: its children are
    given it first on their path, so they run the same code."""
    return Path(eduportal.__file__).resolve().parents[1]


def scenarios_dir(cwd: Path) -> Path:
    """`load-testing/` of the repository this package was installed from, else of `cwd`."""
    candidates = (package_root().parent / SCENARIOS, cwd / SCENARIOS)
    for candidate in candidates:
        if (candidate / LOCUSTFILE).is_file():
            return candidate
    raise LoadTestError(
        f"The Locust users live in {SCENARIOS}/{LOCUSTFILE} of the eduportal repository, and "
        "none was found: run from a clone of the repository (its root), with eduportal "
        "installed from it."
    )


def command(
    profile: Profile,
    host: str,
    scenarios: Path,
    report_dir: Path,
    teacher: Account,
    student: Account,
) -> list[str]:
    """Locust's command line for `profile`. No password is on it (see `environment`)."""
    files = [scenarios / LOCUSTFILE]
    if profile.spike_from is not None:
        files.append(scenarios / SPIKE_SHAPE)
    options = [
        "-f", ",".join(str(f) for f in files),
        "--headless",
        "--host", host,
        "--users", str(profile.users),
        "--spawn-rate", f"{profile.spawn_rate:g}",
        "--run-time", f"{profile.run_seconds}s",
        "--csv", str(report_dir / CSV_PREFIX),
        "--csv-full-history",
        "--html", str(report_dir / HTML_REPORT),
        "--only-summary",
        "--think-min", f"{profile.think_time.low:g}",
        "--think-max", f"{profile.think_time.high:g}",
        "--teacher", teacher.username,
        "--student", student.username,
    ]  # fmt: skip
    if profile.spike_from is not None:
        options += ["--spike-from", str(profile.spike_from)]
    return [sys.executable, "-m", "locust", *options, *profile.user_classes]


def environment(base: Mapping[str, str], teacher: Account, student: Account) -> dict[str, str]:
    python_path = [str(package_root()), *filter(None, [base.get("PYTHONPATH")])]
    return {
        **base,
        "PYTHONPATH": ":".join(python_path),
        "PYTHONUNBUFFERED": "1",
        TEACHER_PASSWORD_ENV: teacher.password,
        STUDENT_PASSWORD_ENV: student.password,
    }


def start(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, log: TextIO
) -> subprocess.Popen[bytes]:
    """In a session of its own: a Ctrl-C at the terminal reaches this process only, which
    passes it on once (`interrupt`)."""
    return subprocess.Popen(  # noqa: S603 - our own argv
        list(argv),
        env=dict(env),
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


@dataclass
class Progress:
    """The latest second of Locust's history, as one line for a person watching."""

    total_seconds: int
    _latest: list[HistoryRow] = field(default_factory=list)

    def update(self, rows: Sequence[HistoryRow]) -> None:
        if rows:
            newest = max(row.timestamp for row in rows)
            self._latest = [row for row in rows if row.timestamp == newest]

    def line(self, elapsed: float) -> str:
        total = self.total_seconds
        clock = f"{format_duration(min(elapsed, total))} / {format_duration(total)}"
        if not self._latest:
            return f"loadtest: {clock} · starting"
        requests = [
            r for r in self._latest if not r.is_aggregated and r.type not in ("STORAGE", "CACHE")
        ]
        users = next((r.users for r in self._latest if r.is_aggregated), 0)
        count = sum(r.total_count for r in requests)
        failures = sum(r.total_failures for r in requests)
        rate = sum(r.rps for r in requests)
        return (
            f"loadtest: {clock} · {users} users · {count:,} requests · {failures:,} failures "
            f"· {rate:.1f} requests/s"
        )


def follow(
    process: subprocess.Popen[bytes],
    new_rows: Callable[[], list[HistoryRow]],
    run_seconds: int,
    say: Say,
) -> bool:
    """Wait for Locust to finish, saying how it goes every few seconds; True when the run
    was cut short by Ctrl-C (Locust is then stopped and writes what it has)."""
    progress = Progress(run_seconds)
    started = time.monotonic()
    deadline = started + run_seconds + FINISH_GRACE_SECONDS
    try:
        while process.poll() is None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=PROGRESS_SECONDS)
            progress.update(new_rows())
            if process.poll() is None:
                say(progress.line(time.monotonic() - started))
            if time.monotonic() > deadline:
                say("loadtest: Locust did not stop after its run time; stopping it.")
                interrupt(process)
    except KeyboardInterrupt:
        say("loadtest: stopping (Ctrl-C); the report is written with what was measured.")
        interrupt(process)
        return True
    return False


def interrupt(process: subprocess.Popen[bytes]) -> None:
    """SIGINT, on which Locust stops its users and writes its report; killed if it hangs or
    at a second Ctrl-C."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=STOP_SECONDS)
    except (subprocess.TimeoutExpired, KeyboardInterrupt):
        process.kill()
        process.wait()


def last_words(path: Path) -> str:
    """The last line Locust wrote, which names what stopped it (after a traceback, the
    exception and its message); the traceback itself stays in the file."""
    try:
        lines = [line.strip() for line in path.read_text(errors="replace").splitlines()]
    except OSError:
        return "(no output)"
    return next((line for line in reversed(lines) if line), "(no output)")
