"""Where the pipeline meets an upload: the record writer and the reading of queue messages.

An "Object Created" event (EventBridge's envelope, from S3 on AWS or from the embedded
default's own store) reaches two subscribers: the record writer, which stores the record
`UPLOADED`, and the processing queue. Both may see an event more than once, and the queue's
consumer may see its message before the record writer has run; so `job_for` writes the record
too when it is missing. `ImageRecordRepository.add` keeps the first record, which makes one
record per upload however the deliveries interleave.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from eduportal.domain.image_records import FINAL, ImageRecord, ImageStatus
from eduportal.domain.keys import image_id_for_key
from eduportal.domain.messages import upload_key_in
from eduportal.ports import Clock, ImageRecordRepository, ObjectStore


@dataclass(frozen=True, slots=True)
class Intake:
    records: ImageRecordRepository
    store: ObjectStore
    clock: Clock

    def record_upload(self, key: str) -> ImageRecord:
        """The record of the upload at `key`, stored `UPLOADED` if there was none: size and
        content type are read from the store, since the event does not carry the type."""
        image_id = image_id_for_key(key)
        head = self.store.head(key)
        now = self.clock.now()
        record = ImageRecord(
            image_id=image_id,
            key=key,
            status=ImageStatus.UPLOADED,
            uploaded_at=head.last_modified,
            size_bytes=head.size_bytes,
            content_type=head.content_type or "application/octet-stream",
            updated_at=now,
        )
        if self.records.add(record):
            return record
        return self.records.get(image_id)

    def job_for(self, body: Mapping[str, Any]) -> dict[str, Any] | None:
        """The job a queue message asks for, or None when there is nothing left to do: the
        image's record is final (a duplicate or late delivery)."""
        record = self.record_upload(upload_key_in(body))
        if record.status in FINAL:
            return None
        return {"image_id": record.image_id, "key": record.key, "run": record.run}
