"""The embedded default's store, announcing new uploads as S3 does on AWS.

On AWS the bucket itself sends EventBridge an "Object Created" event for every object put
under `uploads/`, whoever put it. Files on one machine send nothing, so this wrapper does it:
after a put under the prefix has succeeded, the same event, in S3's shape, goes to the event
bus, whose rules hand it to the record writer and the processing queue. A put that fails
announces nothing; an announcement that fails reaches the uploader as an error, so an upload
is never taken without the pipeline hearing of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Final

from eduportal.domain.images import Lifecycle
from eduportal.domain.keys import UPLOADS_PREFIX
from eduportal.ports import Event, EventBus, ObjectInfo, ObjectStore, PutReceipt, StoredObject

OBJECT_CREATED: Final = "Object Created"
LOCAL_BUCKET: Final = "local"


def object_created(key: str, receipt: PutReceipt, time: float) -> Event:
    return Event(
        source="aws.s3",
        detail_type=OBJECT_CREATED,
        detail={
            "bucket": {"name": LOCAL_BUCKET},
            "object": {"key": key, "size": receipt.size_bytes, "etag": receipt.etag},
            "reason": "PutObject",
        },
        time=time,
    )


def envelope(event: Event) -> dict[str, Any]:
    """The event as EventBridge delivers it to a target: an SQS message's body."""
    return {
        "source": event.source,
        "detail-type": event.detail_type,
        "time": event.time,
        "detail": dict(event.detail),
    }


class AnnouncingObjectStore:
    def __init__(self, inner: ObjectStore, bus: EventBus, clock: Callable[[], float]) -> None:
        self._inner = inner
        self._bus = bus
        self._clock = clock
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
        receipt = self._inner.put(
            key,
            data,
            content_type=content_type,
            cache_control=cache_control,
            metadata=metadata,
            lifecycle=lifecycle,
        )
        if key.startswith(UPLOADS_PREFIX):
            self._bus.publish(object_created(key, receipt, self._clock()))
        return receipt

    def get(self, key: str) -> StoredObject:
        return self._inner.get(key)

    def head(self, key: str) -> ObjectInfo:
        return self._inner.head(key)

    def delete(self, key: str) -> None:
        self._inner.delete(key)

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None:
        self._inner.set_lifecycle(key, lifecycle)

    def get_lifecycle(self, key: str) -> Lifecycle:
        return self._inner.get_lifecycle(key)

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        return self._inner.list_keys(prefix)

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        return self._inner.list_objects(prefix)

    def check(self) -> None:
        self._inner.check()
