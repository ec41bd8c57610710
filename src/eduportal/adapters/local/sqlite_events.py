"""`EventBus` and `Notifier` of the embedded default: logs in SQLite, subscribers in process.

On one machine there is nothing to route events through but the process itself, so the bus
writes each event to the `events` table, where an operator can read what happened to an
image, and then calls the subscribers whose rules match, in the order they were given. The
notifier writes each notification to the `notifications` table and logs it as one JSON line,
which is where a person on one machine looks. Both logs are the embedded default's own
reading for operators (`events_for`, `recent`, `notifications`), not part of the ports: on
AWS, EventBridge and SNS keep no history to read back.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.ports import Event, Notification

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Rule:
    """Which events a subscriber wants, as a subset of what an EventBridge pattern can say:
    the detail type, optionally the source, optionally a prefix of the object key that S3's
    "Object Created" events carry (`detail["object"]["key"]`), so the same subscriptions
    read alike on both backends."""

    detail_type: str
    target: Callable[[Event], None]
    source: str | None = None
    key_prefix: str | None = None

    def matches(self, event: Event) -> bool:
        if event.detail_type != self.detail_type:
            return False
        if self.source is not None and event.source != self.source:
            return False
        if self.key_prefix is None:
            return True
        # As in EventBridge, a pattern on a field the event lacks does not match it.
        obj = event.detail.get("object")
        key = obj.get("key") if isinstance(obj, Mapping) else None
        return isinstance(key, str) and key.startswith(self.key_prefix)


def _image_id(values: Mapping[str, Any]) -> str | None:
    """The image an event or a notification is about, for finding an image's history."""
    image_id = values.get("image_id")
    return image_id if isinstance(image_id, str) else None


def _json(values: Mapping[str, Any]) -> str:
    return json.dumps(values, separators=(",", ":"))


class SqliteEventBus:
    def __init__(self, database: SqliteDatabase, rules: Sequence[Rule] = ()) -> None:
        self._db = database
        self._rules = tuple(rules)

    def publish(self, event: Event) -> None:
        """Log `event`, then call each matching subscriber in order.

        The event is committed before any subscriber runs: subscribers write to the same
        database, which they could not do inside this write, and the log must show the event
        even when a subscriber fails. A subscriber's error propagates to the publisher and
        the subscribers after it are not called, while those already called stay called: on
        one machine the publisher is the uploader, who must learn that the upload was not
        taken up (and may upload again, which subscribers take as the duplicate event that
        at-least-once delivery allows). Stopping keeps the order meaningful: a later
        subscriber may rely on an earlier one's work, as queuing relies on the image record.
        """
        with self._db.transaction(f"log event {event.detail_type}") as connection:
            connection.execute(
                "INSERT INTO events (time, source, detail_type, image_id, detail)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    event.time,
                    event.source,
                    event.detail_type,
                    _image_id(event.detail),
                    _json(event.detail),
                ),
            )
        for rule in self._rules:
            if rule.matches(event):
                rule.target(event)

    def events_for(self, image_id: str, limit: int) -> list[Event]:
        """The events about one image, newest first."""
        rows = self._db.query(
            f"list events of {image_id}",
            "SELECT time, source, detail_type, detail FROM events WHERE image_id = ?"
            " ORDER BY time DESC, id DESC LIMIT ?",
            (image_id, limit),
        )
        return [_event(row) for row in rows]

    def recent(self, limit: int) -> list[Event]:
        """The latest events about anything, newest first."""
        rows = self._db.query(
            "list recent events",
            "SELECT time, source, detail_type, detail FROM events"
            " ORDER BY time DESC, id DESC LIMIT ?",
            (limit,),
        )
        return [_event(row) for row in rows]


def _event(row: sqlite3.Row) -> Event:
    return Event(
        source=row["source"],
        detail_type=row["detail_type"],
        detail=json.loads(row["detail"]),
        time=row["time"],
    )


@dataclass(frozen=True, slots=True)
class SentNotification:
    """A notification as the log keeps it: with the time it was sent."""

    time: float
    notification: Notification


class SqliteNotifier:
    def __init__(self, database: SqliteDatabase, clock: Callable[[], float] = time.time) -> None:
        self._db = database
        self._clock = clock

    def notify(self, notification: Notification) -> None:
        """Log the notification in the table and as one JSON line at INFO.

        The line carries the subject and the attributes (what a person scans for), not the
        message, whose details the table keeps.
        """
        at = self._clock()
        with self._db.transaction(f"log notification {notification.subject!r}") as connection:
            connection.execute(
                "INSERT INTO notifications (time, subject, message, attributes, image_id)"
                " VALUES (?, ?, ?, ?, ?)",
                (
                    at,
                    notification.subject,
                    _json(notification.message),
                    _json(notification.attributes),
                    _image_id(notification.message),
                ),
            )
        fields: dict[str, Any] = {
            "subject": notification.subject,
            "attributes": dict(notification.attributes),
        }
        if (image_id := _image_id(notification.message)) is not None:
            fields["image_id"] = image_id
        log.info("notification: %s", notification.subject, extra=fields)

    def notifications(
        self, limit: int, offset: int = 0, image_id: str | None = None
    ) -> list[SentNotification]:
        """Newest first; only those about `image_id` when given."""
        where = "" if image_id is None else " WHERE image_id = ?"
        parameters = () if image_id is None else (image_id,)
        rows = self._db.query(
            "list notifications",
            f"SELECT time, subject, message, attributes FROM notifications{where}"  # noqa: S608 - fixed clause only
            " ORDER BY time DESC, id DESC LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        )
        return [
            SentNotification(
                time=row["time"],
                notification=Notification(
                    subject=row["subject"],
                    message=json.loads(row["message"]),
                    attributes=json.loads(row["attributes"]),
                ),
            )
            for row in rows
        ]
