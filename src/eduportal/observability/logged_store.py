"""The object store every part of the portal writes through, logging each call it makes.

Requirement 8.1 asks for a log line for every storage operation. When services logged their
own calls, whatever a service forgot went unseen: the pipeline's stages and the upload service
wrote without a trace. Wrapping the store once, in the composition root, makes the log as
complete as the store's interface: whoever calls, the line and the metrics follow. The caller
binds who and what with `log_context` (user, assignment or image id); `storage_operation`
adds the rest.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from eduportal.domain.images import Lifecycle
from eduportal.observability.storage_log import storage_operation
from eduportal.ports import Metrics, ObjectInfo, ObjectStore, PutReceipt, StoredObject


class LoggedObjectStore:
    """`ObjectStore` around another, with one log line and the metrics per operation.

    `check` is not logged: readiness probes call it every few seconds and log their own
    failures. Listings are logged when they end, with the number of objects seen, because
    they are lazy and may be abandoned part-way.
    """

    def __init__(self, inner: ObjectStore, metrics: Metrics) -> None:
        self.inner = inner
        """The adapter it logs for."""
        self._metrics = metrics
        self.backend = inner.backend

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
        with storage_operation("put", key, self.backend, self._metrics) as record:
            receipt = self.inner.put(
                key,
                data,
                content_type=content_type,
                cache_control=cache_control,
                metadata=metadata,
                lifecycle=lifecycle,
            )
            record.bytes, record.attempts = receipt.size_bytes, receipt.attempts
        return receipt

    def get(self, key: str) -> StoredObject:
        with storage_operation("get", key, self.backend, self._metrics) as record:
            stored = self.inner.get(key)
            record.bytes, record.attempts = len(stored.data), stored.attempts
        return stored

    def head(self, key: str) -> ObjectInfo:
        with storage_operation("head", key, self.backend, self._metrics) as record:
            info = self.inner.head(key)
            record.bytes = info.size_bytes
        return info

    def delete(self, key: str) -> None:
        with storage_operation("delete", key, self.backend, self._metrics):
            self.inner.delete(key)

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None:
        with storage_operation("set_lifecycle", key, self.backend, self._metrics):
            self.inner.set_lifecycle(key, lifecycle)

    def get_lifecycle(self, key: str) -> Lifecycle:
        with storage_operation("get_lifecycle", key, self.backend, self._metrics):
            return self.inner.get_lifecycle(key)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        with storage_operation("list", prefix, self.backend, self._metrics) as record:
            record.objects = 0
            for key in self.inner.list_keys(prefix):
                record.objects += 1
                yield key

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        with storage_operation("list", prefix, self.backend, self._metrics) as record:
            record.objects = 0
            for info in self.inner.list_objects(prefix):
                record.objects += 1
                record.bytes += info.size_bytes
                yield info

    def check(self) -> None:
        self.inner.check()
