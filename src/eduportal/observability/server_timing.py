"""The storage time of one HTTP request, for its `Server-Timing` header (W3C Server Timing).

A load test sees a create as one request of a second or so; how much of it the object store
took is the figure the storage alarms are about (upload p95 < 3 s, download p95 < 1 s). The
API answers each request with the duration of every storage operation it made while
answering (`storage-put;dur=12.3, storage-put;dur=2.1`), so a load generator, through any
proxy and without access to the server's metrics, can put storage latency beside the
end-to-end latency of the very requests it made.

How it is collected: the API's middleware opens a collection for each request
(`collecting`), held in a context variable; `storage_log._finish`, which ends every storage
operation, `record`s into whatever collection the current context holds. A thread started by
`run_in_threadpool` runs in a copy of the request's context, and the copy holds the same
list, so what the thread records is the request's. Outside a request (the CLI, the worker,
the Streamlit pages) there is no collection and recording costs one lookup.

The header carries durations only: no key, no size, nothing a caller could not time itself
less precisely.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Final

HEADER: Final = "server-timing"
STORAGE_PREFIX: Final = "storage-"
"""Each storage operation is the metric `storage-<operation>`: storage-put, storage-get, ..."""
FAILED: Final = "failure"
"""The `desc` of an operation that failed (after its retries)."""
MAX_ENTRIES: Final = 32
"""Bounds the header's size; no request of the API makes more than a handful of operations."""


@dataclass(frozen=True, slots=True)
class Timing:
    """One `Server-Timing` metric: its name, its duration in milliseconds (None when the
    metric has none, as `cache;desc=hit`) and its description."""

    name: str
    duration_ms: float | None = None
    description: str | None = None


_collection: ContextVar[list[Timing] | None] = ContextVar("server_timing", default=None)


@contextmanager
def collecting() -> Iterator[list[Timing]]:
    """Collect what `record` is given in this context (and in threads run in copies of it)
    until the block ends; yields the list, filled as operations finish."""
    timings: list[Timing] = []
    token = _collection.set(timings)
    try:
        yield timings
    finally:
        _collection.reset(token)


@contextmanager
def detached() -> Iterator[None]:
    """Record nothing in this block: for work a request starts but does not wait for (an
    image's variants made in the background), which is not the request's time."""
    token = _collection.set(None)
    try:
        yield
    finally:
        _collection.reset(token)


def record(operation: str, seconds: float, *, failed: bool) -> None:
    """A storage operation finished: note it for the current request's header, if any."""
    timings = _collection.get()
    if timings is None or len(timings) >= MAX_ENTRIES:
        return
    # list.append is atomic: threads of one request may record at once.
    timings.append(
        Timing(f"{STORAGE_PREFIX}{operation}", round(seconds * 1000, 1), FAILED if failed else None)
    )


def header_value(timings: list[Timing]) -> str:
    """`storage-put;dur=12.3, storage-get;dur=4.1;desc="failure"`."""
    return ", ".join(_metric(timing) for timing in timings)


def _metric(timing: Timing) -> str:
    parts = [timing.name]
    if timing.duration_ms is not None:
        parts.append(f"dur={timing.duration_ms:g}")
    if timing.description is not None:
        parts.append(f'desc="{_quoted(timing.description)}"')
    return ";".join(parts)


def _quoted(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


_PARAM = re.compile(r'([^=\s]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^"]*))?')


def parse(value: str) -> list[Timing]:
    """Every metric of a `Server-Timing` value, ours or anyone's (a CDN adds its own); a
    parameter that does not parse is skipped, never guessed at."""
    found: list[Timing] = []
    for metric in _split_outside_quotes(value, ","):
        name, *params = _split_outside_quotes(metric, ";")
        duration: float | None = None
        description: str | None = None
        for param in params:
            parsed = _PARAM.fullmatch(param)
            if parsed is None:
                continue
            key, raw = parsed[1].lower(), (parsed[2] or "").strip()
            text = re.sub(r"\\(.)", r"\1", raw[1:-1]) if raw.startswith('"') else raw
            if key == "dur":
                try:
                    duration = float(text)
                except ValueError:
                    continue
            elif key == "desc":
                description = text
        found.append(Timing(name, duration, description))
    return found


def _split_outside_quotes(text: str, separator: str) -> list[str]:
    """`text` cut at each `separator` outside a quoted string, parts stripped, empty ones
    dropped."""
    parts: list[str] = []
    current: list[str] = []
    quoted = escaped = False
    for char in text:
        if escaped:
            escaped = False
        elif quoted and char == "\\":
            escaped = True
        elif char == '"':
            quoted = not quoted
        elif char == separator and not quoted:
            parts.append("".join(current).strip())
            current = []
            continue
        current.append(char)
    parts.append("".join(current).strip())
    return [part for part in parts if part]
