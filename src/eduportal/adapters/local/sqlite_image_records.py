"""`ImageRecordRepository` on SQLite: the whole record as JSON, with the columns it is found by.

A move is one `UPDATE ... WHERE status IN (...)`: SQLite applies it or not under its write
lock, so two workers cannot both move a record, and a late one cannot move it backwards.
"""

from __future__ import annotations

import json

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.domain.image_records import (
    DayRange,
    ImageRecord,
    ImageStatus,
    moved_meanwhile,
    no_such_image,
    sources_of,
    upload_day,
)


def _json(record: ImageRecord) -> str:
    return json.dumps(record.to_document(), separators=(",", ":"))


class SqliteImageRecordRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def add(self, record: ImageRecord) -> bool:
        with self._db.transaction(f"add image record {record.image_id}") as connection:
            cursor = connection.execute(
                "INSERT INTO image_records"
                " (image_id, key, status, uploaded_day, uploaded_at, document)"
                " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
                (
                    record.image_id,
                    record.key,
                    record.status.value,
                    upload_day(record.uploaded_at),
                    record.uploaded_at,
                    _json(record),
                ),
            )
            return cursor.rowcount == 1

    def get(self, image_id: str) -> ImageRecord:
        rows = self._db.query(
            f"get image record {image_id}",
            "SELECT document FROM image_records WHERE image_id = ?",
            (image_id,),
        )
        if not rows:
            raise no_such_image(image_id)
        return ImageRecord.from_document(json.loads(rows[0]["document"]))

    def find_by_key(self, key: str) -> ImageRecord | None:
        rows = self._db.query(
            f"find image record of {key}",
            "SELECT document FROM image_records WHERE key = ?",
            (key,),
        )
        return ImageRecord.from_document(json.loads(rows[0]["document"])) if rows else None

    def move(self, record: ImageRecord) -> None:
        sources = sorted(status.value for status in sources_of(record.status))
        marks = ", ".join("?" for _ in sources)
        with self._db.transaction(f"move image record {record.image_id}") as connection:
            cursor = connection.execute(
                f"UPDATE image_records SET status = ?, document = ?"  # noqa: S608 - marks only
                f" WHERE image_id = ? AND status IN ({marks})",
                (record.status.value, _json(record), record.image_id, *sources),
            )
            if cursor.rowcount == 1:
                return
            stored = connection.execute(
                "SELECT status FROM image_records WHERE image_id = ?", (record.image_id,)
            ).fetchall()
        if not stored:
            raise no_such_image(record.image_id)
        raise moved_meanwhile(record.image_id, ImageStatus(stored[0]["status"]), record.status)

    def list(
        self,
        *,
        status: ImageStatus | None = None,
        days: DayRange | None = None,
        limit: int,
        offset: int = 0,
    ) -> list[ImageRecord]:
        where, parameters = [], []
        if status is not None:
            where.append("status = ?")
            parameters.append(status.value)
        if days is not None:
            where.append("uploaded_day BETWEEN ? AND ?")
            parameters += [days.first, days.last]
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        rows = self._db.query(
            "list image records",
            f"SELECT document FROM image_records{clause}"  # noqa: S608 - fixed clauses only
            " ORDER BY uploaded_at DESC, image_id DESC LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        )
        return [ImageRecord.from_document(json.loads(row["document"])) for row in rows]
