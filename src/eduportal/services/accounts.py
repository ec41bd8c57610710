"""Accounts, passwords, sessions, and the rules that keep sign-in safe.

Passwords are hashed with Argon2id (see `ARGON2_TIME_COST`). Sessions are opaque bearer
tokens: only their SHA-256 is stored, so a leaked database does not leak live sessions. Each
instance remembers the sessions it checked for `SESSION_CACHE_SECONDS` to spare two database
reads per request; so a sign-out, a deleted account, a changed password or role takes effect at
once on the instance that made the change and within `SESSION_CACHE_SECONDS` on every other one
(the API server while the CLI deletes an account). Expiry takes effect at once everywhere.

Sign-in resists guessing and floods (`SignInPolicy`): failed attempts are counted per account
and per client address in a moving window, and past the limit sign-in is refused with a 429
without even checking the password, until the oldest failure leaves the window; and at most
`concurrent_hashes` password checks run at once, so a flood of sign-ins costs bounded memory
and leaves the other endpoints their threads.
"""

from __future__ import annotations

import hashlib
import logging
import math
import secrets
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Final

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from eduportal.domain.accounts import (
    Account,
    Role,
    Session,
    validate_password,
    validate_username,
)
from eduportal.domain.errors import (
    BusyError,
    EduportalError,
    ForbiddenError,
    NotFoundError,
    RateLimitedError,
    UnauthenticatedError,
)
from eduportal.domain.waits import wait_words
from eduportal.ports import AccountRepository, AttemptCounter, Metrics
from eduportal.services.read_cache import RecentCache

log = logging.getLogger(__name__)

SESSION_CACHE_SECONDS: Final = 5.0
"""How long an instance trusts a session it checked without asking the database again: the
longest a revoked session keeps working on instances other than the one that revoked it."""

DEMO_ACCOUNTS = (("teacher", Role.TEACHER), ("student", Role.STUDENT), ("student2", Role.STUDENT))
_BAD_LOGIN = "The user name or password is not right."

ARGON2_MEMORY_KIB = 47_104
ARGON2_TIME_COST = 1
"""Argon2id with 46 MiB, one pass, one lane: the first of OWASP's equivalent recommended
settings (46 MiB/t=1 ~ 19 MiB/t=2), chosen over argon2-cffi's default (64 MiB, t=3, p=4) for
memory x concurrency: on a 2-core machine a check takes about 41 ms and 46 MiB, so the
`concurrent_hashes` = 2 default bounds sign-in at about 92 MiB and two cores, where the old
default took 138 ms and 64 MiB each with no bound (40 concurrent failed logins, 2.4 GiB).
Hashes made with other parameters still verify; they are upgraded at the next sign-in."""


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    """How much guessing and how much concurrent hashing sign-in allows (see README)."""

    failures_per_account: int = 10
    """Per user name, existing or not: 10 in 15 minutes is 960 guesses a day at most, and a
    real user who mistypes still has room. An attacker can lock a user out for a window;
    the per-address limit and the window's end bound that."""
    failures_per_address: int = 200
    """Per client address, over every user name: high, because a school puts a classroom
    behind one address, and thirty students mistyping twice must not lock the class out;
    still about 13 guesses a minute at most from one address."""
    window_seconds: int = 900
    concurrent_hashes: int = 2
    """Password checks at once: the cores' count, since hashing is CPU-bound."""
    hash_wait_seconds: float = 10.0
    """How long a sign-in waits for a free hashing slot before a 503 asks to retry."""


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    account: Account
    expires_at: float


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def require_role(account: Account, role: Role) -> None:
    if account.role is not role:
        raise ForbiddenError(
            f"Only {role.value}s can do that.",
            detail=f"{account.username} ({account.role.value}) needs role {role.value}",
        )


class AccountService:
    def __init__(
        self,
        repository: AccountRepository,
        attempts: AttemptCounter,
        metrics: Metrics,
        *,
        policy: SignInPolicy | None = None,
        session_hours: float = 12.0,
        cache_seconds: float = SESSION_CACHE_SECONDS,
    ) -> None:
        self.repository = repository
        self.attempts = attempts
        self.metrics = metrics
        self.policy = policy or SignInPolicy()
        self.session_seconds = session_hours * 3600
        # Token hash -> (account, expiry). Spares two database reads on every API request; a
        # revocation elsewhere reaches this instance within `cache_seconds`, expiry at once.
        self._recent: RecentCache[str, tuple[Account, float]] = RecentCache(cache_seconds)
        self._hash_slots = threading.BoundedSemaphore(self.policy.concurrent_hashes)
        self._hasher = PasswordHasher(
            time_cost=ARGON2_TIME_COST, memory_cost=ARGON2_MEMORY_KIB, parallelism=1
        )
        # Verifying against a real hash for unknown users keeps login time the same for both,
        # so response times do not reveal which user names exist.
        self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def register(self, username: str, password: str, role: Role) -> Account:
        account = Account(
            username=validate_username(username),
            role=role,
            password_hash=self._hash(validate_password(password)),
            created_at=time.time(),
        )
        self.repository.add(account)
        log.info("account created", extra={"user": account.username, "role": role.value})
        return account

    def login(self, username: str, password: str, client_address: str | None = None) -> SignedIn:
        """Sign in; `client_address` (the face knows it) is throttled beside the account."""
        name = username.strip().lower()[:64]
        limits = self._limits(name, client_address)
        self._refuse_if_throttled(name, limits)
        account = self.repository.get(name)
        with self._hash_slot():
            try:
                self._hasher.verify(
                    account.password_hash if account else self._decoy_hash, password
                )
            except (VerificationError, InvalidHashError):
                account = None
        if account is None:
            for key, limit in limits.values():
                self.attempts.add(key, limit=limit, window_seconds=self.policy.window_seconds)
            self.metrics.increment("login_failures_total")
            log.warning("login refused", extra={"user": name, "client": client_address})
            raise UnauthenticatedError(_BAD_LOGIN, detail=f"bad credentials for {name!r}")
        account_key, account_limit = limits["account"]
        self.attempts.clear(
            account_key, limit=account_limit, window_seconds=self.policy.window_seconds
        )
        if self._hasher.check_needs_rehash(account.password_hash):
            account = self._rehashed(account, password)
        token = secrets.token_urlsafe(32)
        expires_at = time.time() + self.session_seconds
        self.repository.add_session(
            Session(token_hash(token), account.username, account.role, expires_at)
        )
        return SignedIn(token=token, account=account, expires_at=expires_at)

    def authenticate(self, token: str | None) -> Account:
        """The account behind a bearer token; raises `UnauthenticatedError`."""
        if not token:
            raise UnauthenticatedError(detail="no bearer token")
        account = self.peek(token)
        if account is not None:
            return account
        hashed = token_hash(token)
        session = self.repository.get_session(hashed)
        if session is None or session.expires_at <= time.time():
            raise UnauthenticatedError(detail="unknown or expired token")
        account = self.repository.get(session.username)
        if account is None:
            raise UnauthenticatedError(detail=f"session of deleted account {session.username}")
        self._recent.put(hashed, (account, session.expires_at))
        return account

    def peek(self, token: str) -> Account | None:
        """The account if its session was checked recently and has not expired; no I/O."""
        entry = self._recent.get(token_hash(token))
        if entry is None or entry[1] <= time.time():
            return None
        return entry[0]

    def logout(self, token: str) -> None:
        hashed = token_hash(token)
        self._recent.forget(hashed)
        self.repository.delete_session(hashed)

    def _limits(self, name: str, client_address: str | None) -> dict[str, tuple[str, int]]:
        """Scope -> (counter key, allowed failures in the window)."""
        limits = {"account": (f"account:{name}", self.policy.failures_per_account)}
        if client_address:
            limits["address"] = (f"address:{client_address}", self.policy.failures_per_address)
        return limits

    def _refuse_if_throttled(self, name: str, limits: dict[str, tuple[str, int]]) -> None:
        for scope, (key, limit) in limits.items():
            wait = self.attempts.retry_after(
                key, limit=limit, window_seconds=self.policy.window_seconds
            )
            if wait > 0:
                self.metrics.increment("login_throttled_total", scope=scope)
                log.warning(
                    "login throttled",
                    extra={"user": name, "scope": scope, "retry_after_s": round(wait)},
                )
                raise RateLimitedError(
                    f"Too many failed sign-ins. Please wait {wait_words(wait)} and try again.",
                    retry_after_seconds=math.ceil(wait),
                    detail=f"{scope} {key} over {limit} failures",
                )

    @contextmanager
    def _hash_slot(self) -> Iterator[None]:
        if not self._hash_slots.acquire(timeout=self.policy.hash_wait_seconds):
            raise BusyError(
                "Many people are signing in right now. Please try again in a moment.",
                detail=f"no password-hashing slot within {self.policy.hash_wait_seconds} s",
            )
        try:
            yield
        finally:
            self._hash_slots.release()

    def _rehashed(self, account: Account, password: str) -> Account:
        """The hash redone with today's parameters, while the password is at hand; a failure
        to save it only postpones the upgrade to the next sign-in."""
        upgraded = replace(account, password_hash=self._hash(password))
        try:
            self.repository.update(upgraded)
        except EduportalError:
            log.warning("password hash not upgraded", extra={"user": account.username})
            return account
        log.info("password hash upgraded", extra={"user": account.username})
        return upgraded

    def _hash(self, password: str) -> str:
        with self._hash_slot():
            return self._hasher.hash(password)

    # -- administration (the `eduportal users` commands) ---------------------------------------

    def list_accounts(self) -> list[Account]:
        """Every account, by user name."""
        return self.repository.list_accounts()

    def delete_account(self, username: str) -> None:
        """Delete the account and its sessions; its tokens stop working (see module docstring).

        Deleting the last teacher is allowed: an operator may be replacing accounts, and
        `eduportal users add` can always create another one.
        """
        name = self._existing(username).username
        self.repository.delete(name)
        self._forget_sessions_of(name)
        log.info("account deleted", extra={"user": name})

    def set_password(self, username: str, password: str) -> int:
        """Replace the password and sign the account out everywhere; return sessions revoked.

        Whoever resets a password usually fears someone else knows the old one, so sessions
        signed in with it must end too.
        """
        password_hash = self._hash(validate_password(password))
        account = replace(self._existing(username), password_hash=password_hash)
        revoked = self._update_and_revoke(account)
        log.info("password changed", extra={"user": account.username, "revoked": revoked})
        return revoked

    def set_role(self, username: str, role: Role) -> int:
        """Change the role and sign the account out everywhere; return sessions revoked.

        Instances keep the role with each session they checked, so a session that outlived a
        role change could act with the old role; ending them is simpler than chasing copies.
        The same role again changes nothing and keeps the account signed in.
        """
        current = self._existing(username)
        if current.role is role:
            return 0
        account = replace(current, role=role)
        revoked = self._update_and_revoke(account)
        log.info("role changed", extra={"user": account.username, "role": role.value})
        return revoked

    def _existing(self, username: str) -> Account:
        account = self.repository.get(username.strip().lower())
        if account is None:
            raise NotFoundError(
                f"There is no account named {username.strip()[:64]!r}.",
                detail=f"no account {username[:64]!r}",
            )
        return account

    def _update_and_revoke(self, account: Account) -> int:
        """The account is written first: sessions created after that used the new password,
        so revoking afterwards leaves none from before. If revoking fails the error reaches
        the operator, and running the command again is safe."""
        if not self.repository.update(account):
            raise NotFoundError(
                f"There is no account named {account.username!r}.",
                detail=f"account {account.username} vanished while being changed",
            )
        revoked = self.repository.delete_sessions(account.username)
        self._forget_sessions_of(account.username)
        return revoked

    def _forget_sessions_of(self, username: str) -> None:
        """After the database: forgetting first would let a concurrent request cache a
        session again from the rows that are about to go."""
        self._recent.forget_where(lambda _, entry: entry[0].username == username)

    def ensure_demo_accounts(self) -> dict[str, str]:
        """On a database with no account at all, create demo accounts; return their passwords."""
        if self.repository.count() > 0:
            return {}
        created = {}
        for username, role in DEMO_ACCOUNTS:
            password = secrets.token_urlsafe(9)
            self.register(username, password, role)
            created[username] = password
        return created
