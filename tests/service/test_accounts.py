"""Accounts: hashing, login, sessions, demo accounts."""

from __future__ import annotations

import time

import pytest

from eduportal.domain.accounts import Role
from eduportal.domain.errors import ConflictError, UnauthenticatedError, ValidationError
from eduportal.wiring import Container
from tests.service.conftest import PASSWORD


def test_passwords_are_stored_as_argon2id_hashes(container: Container) -> None:
    account = container.accounts.register("ann", PASSWORD, Role.TEACHER)
    assert account.password_hash.startswith("$argon2id$")
    assert PASSWORD not in account.password_hash


def test_login_issues_a_token_that_authenticates(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    signed = container.accounts.login("Ann ", PASSWORD)
    assert container.accounts.authenticate(signed.token).username == "ann"
    assert signed.expires_at > time.time() + 3600


def test_wrong_password_and_unknown_user_get_the_same_answer(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    with pytest.raises(UnauthenticatedError) as wrong:
        container.accounts.login("ann", "not the password")
    with pytest.raises(UnauthenticatedError) as unknown:
        container.accounts.login("bob", PASSWORD)
    assert wrong.value.user_message == unknown.value.user_message


def test_logout_and_garbage_tokens_do_not_authenticate(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    signed = container.accounts.login("ann", PASSWORD)
    container.accounts.logout(signed.token)
    for token in (signed.token, "", None, "garbage"):
        with pytest.raises(UnauthenticatedError):
            container.accounts.authenticate(token)


def test_expired_sessions_do_not_authenticate(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    container.accounts.session_seconds = -1
    signed = container.accounts.login("ann", PASSWORD)
    with pytest.raises(UnauthenticatedError):
        container.accounts.authenticate(signed.token)


def test_duplicate_and_invalid_accounts_are_refused(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    with pytest.raises(ConflictError):
        container.accounts.register("ANN", PASSWORD, Role.TEACHER)
    with pytest.raises(ValidationError):
        container.accounts.register("x", PASSWORD, Role.TEACHER)
    with pytest.raises(ValidationError):
        container.accounts.register("carl", "short", Role.TEACHER)


def test_demo_accounts_only_on_an_empty_database(container: Container) -> None:
    demo = container.accounts.ensure_demo_accounts()
    assert set(demo) == {"teacher", "student", "student2"}
    assert container.accounts.login("teacher", demo["teacher"]).account.role is Role.TEACHER
    assert container.accounts.login("student", demo["student"]).account.role is Role.STUDENT
    assert container.accounts.ensure_demo_accounts() == {}
