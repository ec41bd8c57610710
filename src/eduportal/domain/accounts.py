"""Accounts and roles: teachers write assignments, students answer them."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from eduportal.domain.errors import ValidationError

_USERNAME = re.compile(r"[a-z0-9][a-z0-9._-]{1,31}")
MIN_PASSWORD_CHARS = 8


class Role(StrEnum):
    TEACHER = "teacher"
    STUDENT = "student"


def validate_username(name: str) -> str:
    name = name.strip().lower()
    if not _USERNAME.fullmatch(name):
        raise ValidationError(
            "A user name has 2 to 32 characters: lower-case letters, digits, '.', '-' or '_'."
        )
    return name


def validate_password(password: str) -> str:
    if len(password) < MIN_PASSWORD_CHARS:
        raise ValidationError(f"A password needs at least {MIN_PASSWORD_CHARS} characters.")
    return password


@dataclass(frozen=True, slots=True)
class Account:
    username: str
    role: Role
    password_hash: str
    created_at: float


@dataclass(frozen=True, slots=True)
class Session:
    """A bearer token's record; only the token's hash is stored."""

    token_hash: str
    username: str
    role: Role
    expires_at: float
