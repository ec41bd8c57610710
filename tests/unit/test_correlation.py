"""Correlation ids: explicit scopes, no side effects, only safe ids from callers."""

from __future__ import annotations

import threading

import pytest

from eduportal.domain.correlation import (
    correlation_scope,
    current_correlation_id,
    current_or_new_correlation_id,
)
from eduportal.domain.errors import ValidationError


def test_reading_outside_a_scope_creates_nothing() -> None:
    assert current_correlation_id() is None
    fresh = current_or_new_correlation_id()
    assert len(fresh) == 16 and current_correlation_id() is None
    assert current_or_new_correlation_id() != fresh


def test_a_scope_sets_and_restores_the_id() -> None:
    with correlation_scope("job-42") as outer:
        assert outer == current_correlation_id() == "job-42"
        with correlation_scope() as inner:
            assert current_correlation_id() == inner != outer
        assert current_correlation_id() == "job-42"
        assert ValidationError("x").correlation_id == "job-42"
    assert current_correlation_id() is None


@pytest.mark.parametrize("unsafe", ["", "a b", "a\nb", "x" * 65, "id.with.dots", "ünï"])
def test_an_unsafe_id_is_replaced(unsafe: str) -> None:
    with correlation_scope(unsafe) as cid:
        assert cid != unsafe and len(cid) == 16


def test_a_thread_does_not_inherit_an_id_it_was_not_given() -> None:
    seen: list[str | None] = []
    with correlation_scope("request-1"):
        thread = threading.Thread(target=lambda: seen.append(current_correlation_id()))
        thread.start()
        thread.join()
    assert seen == [None]
