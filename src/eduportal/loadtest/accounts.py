"""The accounts the users sign in with: a teacher who creates, a student who views.

Against a host given on the command line they are named by flags and their passwords come
from the environment (`operations.TEACHER_PASSWORD_ENV`, `STUDENT_PASSWORD_ENV`), never from
the command line, which `ps` shows to everyone on the machine. Both are tried before the run,
so a wrong name, password or role is a sentence up front, not a run of 401s.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass

from eduportal.loadtest import LoadTestError


@dataclass(frozen=True)
class Account:
    username: str
    password: str = ""


def from_environment(username: str, variable: str, env: Mapping[str, str]) -> Account:
    password = env.get(variable, "")
    if not password:
        raise LoadTestError(
            f"Set {variable} to the password of {username!r}: with --host, passwords come "
            "from the environment, never from the command line."
        )
    return Account(username, password)


def check_sign_in(host: str, account: Account, role: str) -> None:
    """Sign in once; raise `LoadTestError` with the reason when it fails or the role differs."""
    request = urllib.request.Request(  # noqa: S310 - the http(s) URL of the host under test
        f"{host}/api/login",
        data=json.dumps({"username": account.username, "password": account.password}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 - as above
            body = json.loads(response.read())
    except urllib.error.HTTPError as exc:
        reason = _error_sentence(exc)
        raise LoadTestError(f"{account.username!r} could not sign in at {host}: {reason}") from exc
    except (OSError, ValueError) as exc:
        raise LoadTestError(f"{host} did not answer a sign-in: {exc}.") from exc
    if body.get("role") != role:
        raise LoadTestError(
            f"{account.username!r} is a {body.get('role')} account; --{role} must name a "
            f"{role} account."
        )


def _error_sentence(error: urllib.error.HTTPError) -> str:
    try:
        return str(json.loads(error.read())["error"])
    except (OSError, ValueError, KeyError, TypeError):
        return f"HTTP {error.code}."
