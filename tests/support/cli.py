"""Running the `eduportal` command as an operator does: a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def cli_env(data_dir: Path) -> dict[str, str]:
    """This process's environment without eduportal's settings, on `data_dir`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("EDUPORTAL_", "S3_"))}
    return {**base, "EDUPORTAL_DATA_DIR": str(data_dir)}


def run_cli(
    args: list[str],
    env: dict[str, str],
    *,
    stdin: str | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`python -m eduportal ARGS` in `cwd` (default: this process's); standard input is
    `stdin`, or empty (never a terminal)."""
    return subprocess.run(
        [sys.executable, "-m", "eduportal", *args],
        input=stdin if stdin is not None else "",
        capture_output=True,
        text=True,
        env=env,
        timeout=timeout,
        check=False,
        cwd=cwd,
    )
