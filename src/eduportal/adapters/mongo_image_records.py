"""`ImageRecordRepository` on MongoDB: one document per image, `_id` the image id.

A move is one `replace_one` filtered on the allowed statuses: the server applies it or not, so
two workers cannot both move a record, and a late one cannot move it backwards.
"""

from __future__ import annotations

from pymongo import DESCENDING
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from eduportal.adapters.mongo import Document, mapped_errors
from eduportal.domain.image_records import (
    DayRange,
    ImageRecord,
    ImageStatus,
    moved_meanwhile,
    no_such_image,
    sources_of,
    upload_day,
)

_NEWEST: list[tuple[str, int]] = [("uploaded_at", DESCENDING), ("_id", DESCENDING)]


def _stored(record: ImageRecord) -> Document:
    return {"_id": record.image_id, "uploaded_day": upload_day(record.uploaded_at)} | (
        record.to_document()
    )


def _record(document: Document) -> ImageRecord:
    return ImageRecord.from_document(
        {k: v for k, v in document.items() if k not in ("_id", "uploaded_day")}
    )


class MongoImageRecordRepository:
    def __init__(self, database: Database[Document]) -> None:
        self._records: Collection[Document] = database["image_records"]
        with mapped_errors("create image record indexes"):
            self._records.create_index("key", name="by_key", unique=True)
            self._records.create_index([("status", 1), *_NEWEST], name="by_status")
            self._records.create_index([("uploaded_day", 1), *_NEWEST], name="by_day")

    def add(self, record: ImageRecord) -> bool:
        with mapped_errors(f"add image record {record.image_id}"):
            try:
                self._records.insert_one(_stored(record))
            except DuplicateKeyError:
                return False
        return True

    def get(self, image_id: str) -> ImageRecord:
        with mapped_errors(f"get image record {image_id}"):
            document = self._records.find_one({"_id": image_id})
        if document is None:
            raise no_such_image(image_id)
        return _record(document)

    def find_by_key(self, key: str) -> ImageRecord | None:
        with mapped_errors(f"find image record of {key}"):
            document = self._records.find_one({"key": key})
        return None if document is None else _record(document)

    def move(self, record: ImageRecord) -> None:
        sources = [status.value for status in sources_of(record.status)]
        with mapped_errors(f"move image record {record.image_id}"):
            matching = {"_id": record.image_id, "status": {"$in": sources}}
            if self._records.replace_one(matching, _stored(record)).matched_count == 1:
                return
            stored = self._records.find_one({"_id": record.image_id}, {"status": True})
        if stored is None:
            raise no_such_image(record.image_id)
        raise moved_meanwhile(record.image_id, ImageStatus(stored["status"]), record.status)

    def list(
        self,
        *,
        status: ImageStatus | None = None,
        days: DayRange | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[ImageRecord]:
        query: Document = {}
        if status is not None:
            query["status"] = status.value
        if days is not None:
            query["uploaded_day"] = {"$gte": days.first, "$lte": days.last}
        with mapped_errors("list image records"):
            found = self._records.find(query).sort(_NEWEST).skip(offset).limit(limit)
            return [_record(document) for document in found]
