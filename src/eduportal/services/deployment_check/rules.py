"""What every rule of the deployment check is made of: a setting, the value it expects, and a
judge that turns a reading into a finding."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

from eduportal.domain.deployment import Read, Unreadable

R = TypeVar("R")
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Finding:
    passed: bool
    found: str
    """The value read, as the report shows it."""


@dataclass(frozen=True, slots=True)
class Rule(Generic[R]):
    """One setting of one resource, judged on the resource's reading `R`."""

    setting: str
    expected: str
    judge: Callable[[R], Finding]


def setting(value: Read[T], judge: Callable[[T], Finding]) -> Finding:
    """`judge` on a setting that has a read of its own; a failed read fails with its
    sentence."""
    if isinstance(value, Unreadable):
        return Finding(False, value.sentence)
    return judge(value)


def on_off(flag: bool) -> str:
    return "on" if flag else "off"


def listed(items: Iterable[str], *, empty: str = "none") -> str:
    return ", ".join(items) or empty
