"""Accounts, passwords and sessions.

Passwords are hashed with Argon2id (memory-hard, argon2-cffi's RFC 9106 low-memory profile).
Sessions are opaque bearer tokens: only their SHA-256 is stored, so a leaked database does not
leak live sessions. Each instance remembers the sessions it checked for `SESSION_CACHE_SECONDS`
to spare two database reads per request; so a sign-out, a deleted account, a changed password
or role takes effect at once on the instance that made the change and within
`SESSION_CACHE_SECONDS` on every other one (the API server while the CLI deletes an account).
Expiry takes effect at once everywhere.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
import time
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
from eduportal.domain.errors import ForbiddenError, NotFoundError, UnauthenticatedError
from eduportal.ports import AccountRepository
from eduportal.services.read_cache import RecentCache

log = logging.getLogger(__name__)

SESSION_CACHE_SECONDS: Final = 5.0
"""How long an instance trusts a session it checked without asking the database again: the
longest a revoked session keeps working on instances other than the one that revoked it."""

DEMO_ACCOUNTS = (("teacher", Role.TEACHER), ("student", Role.STUDENT), ("student2", Role.STUDENT))
_BAD_LOGIN = "The user name or password is not right."


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
        *,
        session_hours: float = 12.0,
        cache_seconds: float = SESSION_CACHE_SECONDS,
    ) -> None:
        self.repository = repository
        self.session_seconds = session_hours * 3600
        # Token hash -> (account, expiry). Spares two database reads on every API request; a
        # revocation elsewhere reaches this instance within `cache_seconds`, expiry at once.
        self._recent: RecentCache[str, tuple[Account, float]] = RecentCache(cache_seconds)
        self._hasher = PasswordHasher()
        # Verifying against a real hash for unknown users keeps login time the same for both,
        # so response times do not reveal which user names exist.
        self._decoy_hash = self._hasher.hash(secrets.token_urlsafe(16))

    def register(self, username: str, password: str, role: Role) -> Account:
        account = Account(
            username=validate_username(username),
            role=role,
            password_hash=self._hasher.hash(validate_password(password)),
            created_at=time.time(),
        )
        self.repository.add(account)
        log.info("account created", extra={"user": account.username, "role": role.value})
        return account

    def login(self, username: str, password: str) -> SignedIn:
        account = self.repository.get(username.strip().lower())
        try:
            self._hasher.verify(account.password_hash if account else self._decoy_hash, password)
        except (VerificationError, InvalidHashError):
            account = None
        if account is None:
            log.warning("login refused", extra={"user": username[:64]})
            raise UnauthenticatedError(_BAD_LOGIN, detail=f"bad credentials for {username[:64]!r}")
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
        password_hash = self._hasher.hash(validate_password(password))
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
