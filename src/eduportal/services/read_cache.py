"""A bounded in-memory cache with single-flight loading (requirements 3.4, 3.5).

Bounded by bytes (least recently used goes first). Concurrent readers of a key that is not
cached share one load: the first becomes the leader, the others wait for its result, and a
failure is shared as well, so fifty readers of an unreachable object wait for one timeout,
not fifty in a row. Failures are not cached; the next reader after them tries again.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Hashable
from concurrent.futures import Future
from enum import StrEnum
from typing import Generic, TypeVar

from cachetools import LRUCache, TTLCache

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")
R = TypeVar("R")


class CacheOutcome(StrEnum):
    HIT = "hit"
    LOADED = "loaded"
    """This caller loaded the value from the backend."""
    SHARED = "shared"
    """This caller waited for another caller's load of the same key."""


class SingleFlightCache(Generic[K, V]):
    def __init__(self, max_bytes: int, sizeof: Callable[[V], int]) -> None:
        self._lru: LRUCache[K, V] = LRUCache(maxsize=max(max_bytes, 1), getsizeof=sizeof)
        self._enabled = max_bytes > 0
        self._lock = threading.Lock()
        self._flights: dict[K, Future[V]] = {}

    def get(self, key: K, load: Callable[[K], V]) -> tuple[V, CacheOutcome]:
        with self._lock:
            if self._enabled and key in self._lru:
                return self._lru[key], CacheOutcome.HIT
            flight = self._flights.get(key)
            leader = flight is None
            if flight is None:
                flight = self._flights[key] = Future()
        if not leader:
            return flight.result(), CacheOutcome.SHARED
        try:
            value = load(key)
        except BaseException as exc:
            flight.set_exception(exc)
            raise
        else:
            flight.set_result(value)
            if self._enabled:
                # cachetools refuses a value larger than the whole cache: serve it, don't keep it.
                with self._lock, contextlib.suppress(ValueError):
                    self._lru[key] = value
            return value, CacheOutcome.LOADED
        finally:
            with self._lock:
                del self._flights[key]

    def peek(self, key: K) -> V | None:
        """The cached value or None, without loading: lets async callers skip a thread hop."""
        if not self._enabled:
            return None
        with self._lock:
            return self._lru.get(key)

    def evict(self, key: K) -> None:
        with self._lock:
            self._lru.pop(key, None)

    @property
    def size_bytes(self) -> int:
        return int(self._lru.currsize)


class RecentCache(Generic[K, V]):
    """What was read in the last `seconds`, for hot reads that may be a little stale.

    Used where a read costs more than the request around it (a session or an assignment on
    every API call). Writes made through this process forget the key at once; other instances
    see them within `seconds`.
    """

    def __init__(self, seconds: float, max_entries: int = 4096) -> None:
        self._entries: TTLCache[K, V] = TTLCache(maxsize=max_entries, ttl=seconds)
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            return self._entries.get(key)

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._entries[key] = value

    def forget(self, key: K) -> None:
        with self._lock:
            self._entries.pop(key, None)

    def forget_where(self, doomed: Callable[[K, V], bool]) -> int:
        """Forget every entry for which `doomed(key, value)` holds; return how many.

        For writes that touch entries not known by key, such as every cached session of one
        account (the cache is keyed by token hash). Scans the whole cache: meant for rare
        administrative writes, not for the request path.
        """
        with self._lock:
            forgotten = 0
            for key in list(self._entries):
                value = self._entries.get(key)  # None when it expired since the listing
                if value is not None and doomed(key, value):
                    del self._entries[key]
                    forgotten += 1
            return forgotten


class RenderCache(Generic[K, V, R]):
    """What a value was rendered to (a serialized view), kept for as long as the value is the
    very same object.

    For the hot reads that `RecentCache` answers with one shared object: rendering it again
    for every request (to a document, a pydantic model, JSON) was a sixth of reading an
    assignment (bench/hot_paths.py). An entry holds its value, so the identity check cannot be
    fooled by a recycled id,
    and a changed value is a new object (cached values are immutable), so an edit is never
    answered with the old rendering: no invalidation is needed, only a bound on the entries.
    """

    def __init__(self, max_entries: int = 1024) -> None:
        self._entries: LRUCache[K, tuple[V, R]] = LRUCache(maxsize=max_entries)
        self._lock = threading.Lock()

    def get(self, key: K, value: V, render: Callable[[V], R]) -> R:
        with self._lock:
            entry = self._entries.get(key)
        if entry is not None and entry[0] is value:
            return entry[1]
        rendered = render(value)
        with self._lock:
            self._entries[key] = (value, rendered)
        return rendered
