"""`eduportal users ...` as an operator runs it, on a real data directory."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Role
from eduportal.domain.errors import UnauthenticatedError
from eduportal.wiring import Container, build
from tests.support.cli import run_cli
from tests.support.texts import PASSWORD


@pytest.fixture
def portal(env: dict[str, str]) -> Container:
    """The same data directory as the command's, seen from this process (the "server")."""
    settings = load_settings(
        storage="local", data_dir=Path(env["EDUPORTAL_DATA_DIR"]), generators="offline"
    )
    container = build(settings)
    container.accounts.register("ann", PASSWORD, Role.TEACHER)
    container.accounts.register("sam", PASSWORD, Role.STUDENT)
    return container


def test_list_prints_every_account_without_secrets(env: dict[str, str], portal: Container) -> None:
    result = run_cli(["users", "list"], env)
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(a["username"], a["role"]) for a in listed] == [("ann", "teacher"), ("sam", "student")]
    assert all(a["created_at"].endswith("+00:00") for a in listed)
    assert "argon2" not in result.stdout


def test_list_of_an_empty_database_is_an_empty_array(env: dict[str, str]) -> None:
    result = run_cli(["users", "list"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == []


def test_delete_with_yes_ends_the_accounts_sessions(env: dict[str, str], portal: Container) -> None:
    token = portal.accounts.login("sam", PASSWORD).token
    result = run_cli(["users", "delete", "sam", "--yes"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"username": "sam", "deleted": True}
    assert result.stderr == ""  # a teacher is left: no note
    with pytest.raises(UnauthenticatedError):
        portal.accounts.authenticate(token)
    assert [a.username for a in portal.accounts.list_accounts()] == ["ann"]


def test_delete_without_a_terminal_needs_yes(env: dict[str, str], portal: Container) -> None:
    result = run_cli(["users", "delete", "sam"], env)
    assert result.returncode == 2
    assert "add --yes" in result.stderr
    assert [a.username for a in portal.accounts.list_accounts()] == ["ann", "sam"]


@pytest.mark.parametrize(("answer", "deleted"), [("y\n", True), ("\n", False)])
def test_delete_on_a_terminal_asks_first(
    env: dict[str, str], portal: Container, answer: str, deleted: bool
) -> None:
    controller, terminal = os.openpty()
    try:
        os.write(controller, answer.encode())
        result = subprocess.run(
            [sys.executable, "-m", "eduportal", "users", "delete", "sam"],
            stdin=terminal, capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip
    finally:
        os.close(terminal)
        os.close(controller)
    assert "Delete account 'sam'" in result.stderr
    assert result.returncode == (0 if deleted else 2)
    assert (portal.repositories.accounts.get("sam") is None) is deleted


def test_deleting_the_last_teacher_is_allowed_with_a_note(
    env: dict[str, str], portal: Container
) -> None:
    result = run_cli(["users", "delete", "ann", "--yes"], env)
    assert result.returncode == 0, result.stderr
    assert "no teacher account is left" in result.stderr
    assert [a.username for a in portal.accounts.list_accounts()] == ["sam"]


def test_set_password_from_stdin_replaces_the_password_and_ends_sessions(
    env: dict[str, str], portal: Container
) -> None:
    token = portal.accounts.login("sam", PASSWORD).token
    result = run_cli(["users", "set-password", "sam"], env, stdin="a brand new password\n")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {"username": "sam", "sessions_revoked": 1}
    with pytest.raises(UnauthenticatedError):
        portal.accounts.authenticate(token)
    with pytest.raises(UnauthenticatedError):
        portal.accounts.login("sam", PASSWORD)
    assert portal.accounts.login("sam", "a brand new password").account.username == "sam"


def test_a_short_password_is_bad_input_and_changes_nothing(
    env: dict[str, str], portal: Container
) -> None:
    result = run_cli(["users", "set-password", "sam"], env, stdin="short\n")
    assert result.returncode == 2
    assert "at least 8 characters" in result.stderr and "reference:" in result.stderr
    assert portal.accounts.login("sam", PASSWORD).account.username == "sam"


def test_set_role_changes_the_role_and_ends_sessions(
    env: dict[str, str], portal: Container
) -> None:
    token = portal.accounts.login("ann", PASSWORD).token
    result = run_cli(["users", "set-role", "ann", "--role", "student"], env)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "username": "ann",
        "role": "student",
        "sessions_revoked": 1,
    }
    assert "no teacher account is left" in result.stderr
    with pytest.raises(UnauthenticatedError):
        portal.accounts.authenticate(token)
    assert portal.accounts.login("ann", PASSWORD).account.role is Role.STUDENT


@pytest.mark.parametrize(
    "command",
    [
        ["users", "delete", "ghost", "--yes"],
        ["users", "set-role", "ghost", "--role", "teacher"],
        ["users", "set-password", "ghost"],
    ],
)
def test_an_unknown_account_fails_with_one_sentence(
    env: dict[str, str], portal: Container, command: list[str]
) -> None:
    result = run_cli(command, env, stdin=PASSWORD + "\n")
    assert result.returncode == 1
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: There is no account named 'ghost'. (reference: ")
    assert "Traceback" not in result.stderr


def test_a_bad_role_is_a_usage_error(env: dict[str, str]) -> None:
    result = run_cli(["users", "set-role", "ann", "--role", "admin"], env)
    assert result.returncode == 2
    assert "invalid choice: 'admin'" in result.stderr
