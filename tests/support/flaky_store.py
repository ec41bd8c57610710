"""A real file store that refuses writes (or reads) under a prefix as an unavailable backend
would: the storage failures the pipeline, the uploads and the generation cache must survive,
without a stub of our own code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.errors import StorageUnavailableError
from eduportal.ports import PutReceipt, StoredObject


class FlakyStore(LocalObjectStore):
    """Files whose writes under `prefix` (and ending in one of `suffixes`, when given) fail
    `failures` times as an unavailable backend."""

    def __init__(
        self, root: Path, prefix: str, failures: int, *, suffixes: tuple[str, ...] = ("",)
    ) -> None:
        super().__init__(root)
        self.prefix = prefix
        self.failures = failures
        self.suffixes = suffixes

    def put(self, key: str, data: bytes, **options: Any) -> PutReceipt:
        refused = key.startswith(self.prefix) and key.endswith(self.suffixes)
        if refused and self.failures > 0:
            self.failures -= 1
            raise StorageUnavailableError(detail=f"test: {key} refused")
        return super().put(key, data, **options)


class FlakyReadStore(LocalObjectStore):
    """Files whose reads under `prefix` fail `failures` times as an unavailable backend."""

    def __init__(self, root: Path, prefix: str, failures: int) -> None:
        super().__init__(root)
        self.prefix = prefix
        self.failures = failures

    def get(self, key: str) -> StoredObject:
        if key.startswith(self.prefix) and self.failures > 0:
            self.failures -= 1
            raise StorageUnavailableError(detail=f"test: {key} unreadable")
        return super().get(key)
