"""The Protocols every adapter implements. Services see only these."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from eduportal.domain.images import Lifecycle


@dataclass(frozen=True, slots=True)
class PutReceipt:
    key: str
    etag: str
    """Unquoted, strong: it changes whenever the bytes change."""
    size_bytes: int
    attempts: int
    """Requests it took, retries included: 1 when the first one succeeded."""
    version_id: str | None = None


@dataclass(frozen=True, slots=True)
class StoredObject:
    key: str
    data: bytes
    content_type: str
    etag: str
    metadata: Mapping[str, str] = field(default_factory=dict)
    cache_control: str | None = None
    attempts: int = 1


class ObjectStore(Protocol):
    """Durable bytes under validated keys (files in the embedded default, S3 on AWS).

    Every method raises only `eduportal.domain.errors` types: `NotFoundError` for a missing
    key, `OperationTimeoutError` past the deadline, and so on, each with its user sentence.
    """

    backend: str
    """A short name for logs and metrics: `local`, `s3`."""

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str,
        metadata: Mapping[str, str] | None = None,
        lifecycle: Lifecycle = Lifecycle.AUTO,
    ) -> PutReceipt:
        """Write all of `data` under `key` or nothing: readers never see a partial object."""
        ...

    def get(self, key: str) -> StoredObject: ...

    def delete(self, key: str) -> None:
        """Idempotent: deleting a missing key is not an error."""
        ...

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None: ...

    def get_lifecycle(self, key: str) -> Lifecycle: ...

    def list_keys(self, prefix: str = "") -> Iterator[str]: ...

    def check(self) -> None:
        """Raise when the store cannot serve requests; used by readiness probes."""
        ...
