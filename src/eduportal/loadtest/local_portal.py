"""The portal a run starts when it is given no host: the embedded default, as a newcomer runs
it, in a temporary data directory, with accounts of its own.

Started the way a deployment starts it, `python -m eduportal serve --no-ui`, in a process of
its own session (so a Ctrl-C meant for the command reaches it only when the command decides),
on a free loopback port, with no worker: no request of the load test enters the processing
pipeline, and an idle worker would only take CPU from the server being measured. Its
accounts are made with `eduportal users add`, the operator's way, with a random password on
standard input. Stopped with SIGINT, as a person stops it, and killed only if it hangs.
"""

from __future__ import annotations

import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Final, TextIO

from eduportal.config import Settings
from eduportal.loadtest import LoadTestError
from eduportal.loadtest.accounts import Account

HOST: Final = "127.0.0.1"
TEACHER: Final = "loadteacher"
STUDENT: Final = "loadstudent"
START_SECONDS: Final = 90.0
STOP_SECONDS: Final = 20.0


@dataclass(frozen=True)
class Portal:
    url: str
    teacher: Account
    student: Account
    pid: int


def portal_env(base: Mapping[str, str], data_dir: Path, port: int) -> dict[str, str]:
    """The embedded default whatever the caller's shell says: every variable the settings
    read is dropped (a bucket, a database, tuning), then the portal's own are set. One
    teacher creates all the load's assignments, so the generation allowances are lifted."""
    read = {
        name
        for field in Settings.model_fields.values()
        for name in getattr(field.validation_alias, "choices", ())
        if isinstance(name, str)
    }
    env = {key: value for key, value in base.items() if key not in read}
    env.update(
        EDUPORTAL_STORAGE="local",
        EDUPORTAL_GENERATORS="offline",
        EDUPORTAL_DATA_DIR=str(data_dir),
        EDUPORTAL_API_HOST=HOST,
        EDUPORTAL_API_PORT=str(port),
        EDUPORTAL_PUBLIC_URL=f"http://{HOST}:{port}",
        EDUPORTAL_QUESTION_GENERATIONS_PER_TEACHER="0",
        EDUPORTAL_IMAGE_GENERATIONS_PER_TEACHER="0",
    )
    return env


@contextmanager
def running_portal(work: Path, log: TextIO, python_path: str) -> Iterator[Portal]:
    """Start the portal on a data directory under `work`, its output into `log`; stop it when
    the block ends."""
    port = _free_port()
    env = portal_env({**os.environ, "PYTHONPATH": python_path}, work / "data", port)
    teacher = Account(TEACHER, secrets.token_urlsafe(18))
    student = Account(STUDENT, secrets.token_urlsafe(18))
    for account, role in ((teacher, "teacher"), (student, "student")):
        _add_user(env, account, role)
    command = [
        *(sys.executable, "-m", "eduportal", "serve", "--no-ui", "--workers", "0"),
        *("--parent-pid", str(os.getpid())),  # a command killed outright leaves no portal
    ]
    process = subprocess.Popen(  # noqa: S603 - fixed argv
        command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        url = f"http://{HOST}:{port}"
        _wait_until_up(url, process)
        yield Portal(url, teacher, student, process.pid)
    finally:
        _stop(process)


def _add_user(env: Mapping[str, str], account: Account, role: str) -> None:
    command = [sys.executable, "-m", "eduportal", "users", "add", account.username, "--role", role]
    done = subprocess.run(  # noqa: S603 - fixed argv
        command,
        input=f"{account.password}\n",
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise LoadTestError(
            f"Could not make the account {account.username!r} for the portal: "
            f"{done.stderr.strip() or done.stdout.strip()}"
        )


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise LoadTestError(
                f"The portal stopped while starting (exit status {process.returncode}); "
                "its output is in server.log of the report."
            )
        try:
            with urllib.request.urlopen(f"{url}/readyz", timeout=2) as response:  # noqa: S310 - our loopback URL
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.2)
    raise LoadTestError(
        f"The portal did not answer within {START_SECONDS:.0f} s; its output is in server.log "
        "of the report."
    )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])
