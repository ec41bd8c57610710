"""What every command shares: exit statuses, JSON output, files, confirmation, usage errors."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeAlias

from eduportal.services.uploads import MAX_PAGE

Commands: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"
"""What each command group's `register` adds its commands to."""

EXIT_FAILURE = 1
EXIT_BAD_INPUT = 2
EXIT_NEEDS_ATTENTION = 3
"""`storage reconcile` found something this run did not fix, or `upload --wait` ended short of
COMPLETED: cron and scripts can alert on it."""

Handler = Callable[[argparse.Namespace], int]


class UsageError(Exception):
    """Bad command-line input (a path, a password typed twice differently): exit 2."""


def print_json(payload: object) -> None:
    sys.stdout.write(json.dumps(payload, indent=2) + "\n")
    sys.stdout.flush()


def read_input(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise UsageError(f"Cannot read {path}: {exc.strerror or exc}.") from exc


def write_output(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as exc:
        raise UsageError(f"Cannot write {path}: {exc.strerror or exc}.") from exc


def confirm(question: str) -> None:
    """Ask on a terminal; refuse to guess anywhere else (a script must say --yes)."""
    if not sys.stdin.isatty():
        raise UsageError("Not asking for confirmation without a terminal: add --yes.")
    sys.stderr.write(f"{question} [y/N] ")
    sys.stderr.flush()
    if sys.stdin.readline().strip().lower() not in ("y", "yes"):
        raise UsageError("Nothing was changed.")


def iso_time(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).isoformat(timespec="seconds")


def page_size(text: str) -> int:
    """An argparse type: how many items a listing shows, as the services allow."""
    if not text.isdigit() or not 1 <= int(text) <= MAX_PAGE:
        raise argparse.ArgumentTypeError(f"{text!r}: give a number from 1 to {MAX_PAGE}.")
    return int(text)


def offset(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number, 0 or more.")
    return int(text)
