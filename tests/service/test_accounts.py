"""Accounts: hashing, login, sessions, demo accounts, administration and revocation."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

import pytest
from argon2 import PasswordHasher

from eduportal.domain.accounts import Account, Role
from eduportal.domain.errors import (
    ConflictError,
    NotFoundError,
    UnauthenticatedError,
    ValidationError,
)
from eduportal.services.accounts import SESSION_CACHE_SECONDS, AccountService
from eduportal.wiring import Container
from tests.support.texts import PASSWORD


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


# --- administration ----------------------------------------------------------------------------


def test_accounts_are_listed_by_name(container: Container) -> None:
    container.accounts.register("zoe", PASSWORD, Role.STUDENT)
    container.accounts.register("ann", PASSWORD, Role.TEACHER)
    listed = container.accounts.list_accounts()
    assert [(a.username, a.role) for a in listed] == [("ann", Role.TEACHER), ("zoe", Role.STUDENT)]


def test_a_deleted_accounts_cached_token_fails_at_once(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    signed = container.accounts.login("ann", PASSWORD)
    container.accounts.authenticate(signed.token)  # now in the recent-sessions cache
    assert container.accounts.peek(signed.token) is not None
    container.accounts.delete_account("Ann")
    assert container.accounts.peek(signed.token) is None
    with pytest.raises(UnauthenticatedError):
        container.accounts.authenticate(signed.token)
    assert container.accounts.list_accounts() == []
    with pytest.raises(UnauthenticatedError):
        container.accounts.login("ann", PASSWORD)


def test_revocation_reaches_another_instance_that_had_not_cached_the_token(
    container: Container,
) -> None:
    """Another instance (the server while the CLI runs) asks the database, where the sessions
    are gone; one that had cached the token asks again after SESSION_CACHE_SECONDS."""
    other = AccountService(container.repositories.accounts, container.attempts, container.metrics)
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    signed = container.accounts.login("ann", PASSWORD)
    container.accounts.set_password("ann", "a brand new password")
    with pytest.raises(UnauthenticatedError):
        other.authenticate(signed.token)
    assert SESSION_CACHE_SECONDS == 5.0


def test_deleting_one_account_keeps_others_signed_in(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    container.accounts.register("bob", PASSWORD, Role.STUDENT)
    bob = container.accounts.login("bob", PASSWORD)
    container.accounts.authenticate(bob.token)
    container.accounts.delete_account("ann")
    assert container.accounts.peek(bob.token) is not None
    assert container.accounts.authenticate(bob.token).username == "bob"


def test_a_new_password_revokes_old_tokens_and_replaces_the_old_password(
    container: Container,
) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    tokens = [container.accounts.login("ann", PASSWORD).token for _ in range(2)]
    container.accounts.authenticate(tokens[0])  # one cached, one not
    assert container.accounts.set_password("ann", "a brand new password") == 2
    for token in tokens:
        with pytest.raises(UnauthenticatedError):
            container.accounts.authenticate(token)
    with pytest.raises(UnauthenticatedError):
        container.accounts.login("ann", PASSWORD)
    fresh = container.accounts.login("ann", "a brand new password")
    assert container.accounts.authenticate(fresh.token).username == "ann"


def test_a_short_new_password_is_refused_and_changes_nothing(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    signed = container.accounts.login("ann", PASSWORD)
    with pytest.raises(ValidationError):
        container.accounts.set_password("ann", "short")
    assert container.accounts.authenticate(signed.token).username == "ann"
    container.accounts.login("ann", PASSWORD)


def test_a_role_change_revokes_sessions_and_the_next_sign_in_has_the_new_role(
    container: Container,
) -> None:
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    signed = container.accounts.login("ann", PASSWORD)
    assert container.accounts.authenticate(signed.token).role is Role.STUDENT
    assert container.accounts.set_role("ann", Role.TEACHER) == 1
    with pytest.raises(UnauthenticatedError):
        container.accounts.authenticate(signed.token)
    fresh = container.accounts.login("ann", PASSWORD)
    assert container.accounts.authenticate(fresh.token).role is Role.TEACHER


def test_setting_the_same_role_keeps_the_account_signed_in(container: Container) -> None:
    container.accounts.register("ann", PASSWORD, Role.TEACHER)
    signed = container.accounts.login("ann", PASSWORD)
    assert container.accounts.set_role("ann", Role.TEACHER) == 0
    assert container.accounts.authenticate(signed.token).role is Role.TEACHER


@pytest.mark.parametrize(
    "change",
    [
        lambda accounts: accounts.delete_account("ghost"),
        lambda accounts: accounts.set_password("ghost", PASSWORD),
        lambda accounts: accounts.set_role("ghost", Role.TEACHER),
    ],
)
def test_changing_an_unknown_account_names_it(
    container: Container, change: Callable[[AccountService], object]
) -> None:
    with pytest.raises(NotFoundError) as caught:
        change(container.accounts)
    assert caught.value.user_message == "There is no account named 'ghost'."


def test_a_hash_made_with_older_parameters_is_upgraded_at_sign_in(container: Container) -> None:
    """Accounts from before the Argon2 change (64 MiB, t=3, p=4) still sign in, and their
    hash is redone with the current parameters then."""
    old = PasswordHasher(time_cost=3, memory_cost=65536, parallelism=4)
    container.repositories.accounts.add(
        Account("ann", Role.STUDENT, old.hash(PASSWORD), created_at=1.0)
    )
    container.accounts.login("ann", PASSWORD)
    stored = container.repositories.accounts.get("ann")
    assert stored is not None and "m=47104,t=1,p=1" in stored.password_hash
    assert container.accounts.login("ann", PASSWORD).account.username == "ann"


def test_password_checks_run_at_most_concurrent_hashes_at_once(
    container: Container, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bound that keeps a flood of sign-ins to about 2 x 46 MiB."""
    container.accounts.register("ann", PASSWORD, Role.STUDENT)
    running = 0
    peak = 0
    lock = threading.Lock()
    real_verify = PasswordHasher.verify

    def counting_verify(hasher: PasswordHasher, hash_: str, password: str) -> bool:
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        try:
            return real_verify(hasher, hash_, password)
        finally:
            with lock:
                running -= 1

    monkeypatch.setattr(PasswordHasher, "verify", counting_verify)
    barrier = threading.Barrier(12)

    def sign_in(n: int) -> None:
        barrier.wait()
        with contextlib.suppress(UnauthenticatedError):
            container.accounts.login(f"user{n}", "wrong password", f"10.0.0.{n}")

    threads = [threading.Thread(target=sign_in, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert container.accounts.policy.concurrent_hashes == 2
    assert 0 < peak <= 2  # unbounded, the twelve checks ran at once
