"""`Queue` on the shared SQLite database: a table of messages leased in place.

Taking a message is one `UPDATE ... RETURNING` under `BEGIN IMMEDIATE`: SQLite's write lock
lets one process at a time pick the rows visible longest (oldest first, a redelivery counted
from its lease's end) and stamp them with a fresh receipt, so two consumers, in threads or in
processes, never take the same delivery. A lease is nothing but
that receipt and a `visible_at` in the future; a consumer that dies holding a message needs no
cleanup, the row simply becomes visible again when `visible_at` passes. Every later move (ack,
release, extend) names the receipt and requires the lease to be still running, so a worker whose
lease ran out cannot delete or hide a message that another worker now holds.

A message taken more than `max_receives` times goes to the dead letters instead of to a
consumer, as SQS's redrive policy does: the check happens when it would be delivered again.
"""

from __future__ import annotations

import json
import sqlite3
import time
import uuid
from collections.abc import Callable, Mapping
from typing import Any, Final

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.domain.messages import encoded_body
from eduportal.ports import DeadLetter, QueueDepth, QueueMessage

_POLL_SECONDS: Final = 0.05
"""How often a waiting `receive` looks again: each look is one indexed read, no lock taken."""

_TAKE: Final = """
    UPDATE queue_messages
    SET receipt = lower(hex(randomblob(16))), visible_at = ?, receive_count = receive_count + 1
    WHERE message_id IN (
        SELECT message_id FROM queue_messages
        WHERE queue = ? AND visible_at <= ? ORDER BY visible_at LIMIT ?
    )
    RETURNING message_id, body, receipt, receive_count"""

_INSERT_DEAD_LETTER: Final = """
    INSERT INTO queue_dead_letters (message_id, queue, body, reason, receive_count, dead_at)
    VALUES (?, ?, ?, ?, ?, ?)"""

_LEASED: Final = "message_id = ? AND receipt = ? AND visible_at > ?"
"""This delivery's lease is still the current one and has not run out."""


class SqliteQueue:
    backend = "sqlite"

    def __init__(
        self,
        database: SqliteDatabase,
        *,
        name: str = "processing",
        visibility_timeout: float = 30.0,
        max_receives: int = 5,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`name` lets several queues share the tables; `clock` stamps sends and leases."""
        self._db = database
        self._name = name
        self._visibility_timeout = visibility_timeout
        self._max_receives = max_receives
        self._clock = clock

    def send(self, body: Mapping[str, Any], *, delay_seconds: float = 0.0) -> str:
        message_id = uuid.uuid4().hex
        text = encoded_body(body)
        with self._db.transaction(f"send to queue {self._name}") as connection:
            now = self._clock()
            connection.execute(
                "INSERT INTO queue_messages (message_id, queue, body, sent_at, visible_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (message_id, self._name, text, now, now + max(delay_seconds, 0.0)),
            )
        return message_id

    def receive(self, *, max_messages: int = 1, wait_seconds: float = 0.0) -> list[QueueMessage]:
        """Polls while waiting, but only reads: the write lock is taken when something is
        visible, so idle consumers do not hold up the portal's other writers."""
        give_up = time.monotonic() + wait_seconds
        while True:
            if self._anything_visible() and (taken := self._take(max_messages)):
                return taken
            left = give_up - time.monotonic()
            if left <= 0:
                return []
            time.sleep(min(_POLL_SECONDS, left))

    def _anything_visible(self) -> bool:
        return bool(
            self._db.query(
                f"look into queue {self._name}",
                "SELECT 1 FROM queue_messages WHERE queue = ? AND visible_at <= ? LIMIT 1",
                (self._name, self._clock()),
            )
        )

    def _take(self, max_messages: int) -> list[QueueMessage]:
        """Lease up to `max_messages`; those past their last receive are dead-lettered on the
        way, in the same transaction, and others taken in their place."""
        taken: list[QueueMessage] = []
        with self._db.transaction(f"receive from queue {self._name}") as connection:
            now = self._clock()
            lease_end = now + self._visibility_timeout
            while len(taken) < max_messages:
                rows = connection.execute(
                    _TAKE, (lease_end, self._name, now, max_messages - len(taken))
                ).fetchall()
                if not rows:
                    break
                for row in rows:
                    if row["receive_count"] <= self._max_receives:
                        taken.append(
                            QueueMessage(
                                message_id=row["message_id"],
                                body=json.loads(row["body"]),
                                receipt=row["receipt"],
                                receive_count=row["receive_count"],
                            )
                        )
                    else:
                        self._bury(connection, row, now)
        return taken

    def _bury(self, connection: sqlite3.Connection, row: sqlite3.Row, now: float) -> None:
        received = row["receive_count"] - 1  # the take that found it poisoned delivered nothing
        connection.execute(
            _INSERT_DEAD_LETTER,
            (
                row["message_id"],
                self._name,
                row["body"],
                f"received {received} times without being acknowledged",
                received,
                now,
            ),
        )
        connection.execute("DELETE FROM queue_messages WHERE message_id = ?", (row["message_id"],))

    def ack(self, message: QueueMessage) -> bool:
        with self._db.transaction(f"ack message {message.message_id}") as connection:
            cursor = connection.execute(
                f"DELETE FROM queue_messages WHERE {_LEASED}",  # noqa: S608 - constant clause
                (message.message_id, message.receipt, self._clock()),
            )
            return cursor.rowcount == 1

    def release(self, message: QueueMessage, *, delay_seconds: float = 0.0) -> bool:
        """The receipt is spent: whatever the delay, this delivery can no longer ack."""
        return self._change_lease(message, "receipt = NULL, visible_at = ?", delay_seconds)

    def extend(self, message: QueueMessage, seconds: float) -> bool:
        return self._change_lease(message, "visible_at = ?", seconds)

    def _change_lease(self, message: QueueMessage, assignments: str, visible_in: float) -> bool:
        with self._db.transaction(f"lease of message {message.message_id}") as connection:
            now = self._clock()
            cursor = connection.execute(
                f"UPDATE queue_messages SET {assignments} WHERE {_LEASED}",  # noqa: S608 - ours
                (now + max(visible_in, 0.0), message.message_id, message.receipt, now),
            )
            return cursor.rowcount == 1

    def dead_letter(self, body: Mapping[str, Any], *, reason: str, receive_count: int) -> str:
        message_id = uuid.uuid4().hex
        text = encoded_body(body)
        with self._db.transaction(f"dead-letter to queue {self._name}") as connection:
            connection.execute(
                _INSERT_DEAD_LETTER,
                (message_id, self._name, text, reason, receive_count, self._clock()),
            )
        return message_id

    def dead_letters(self, *, limit: int, offset: int = 0) -> list[DeadLetter]:
        rows = self._db.query(
            f"list dead letters of queue {self._name}",
            "SELECT message_id, body, reason, receive_count, dead_at FROM queue_dead_letters"
            " WHERE queue = ? ORDER BY dead_at, message_id LIMIT ? OFFSET ?",
            (self._name, limit, offset),
        )
        return [
            DeadLetter(
                message_id=row["message_id"],
                body=json.loads(row["body"]),
                reason=row["reason"],
                receive_count=row["receive_count"],
                dead_at=row["dead_at"],
            )
            for row in rows
        ]

    def redrive(self, message_id: str) -> bool:
        """The dead letter leaves and the message arrives in one transaction, under its own id,
        so a redrive can neither lose it nor queue it twice."""
        with self._db.transaction(f"redrive message {message_id}") as connection:
            rows = connection.execute(
                "DELETE FROM queue_dead_letters WHERE queue = ? AND message_id = ? RETURNING body",
                (self._name, message_id),
            ).fetchall()
            if not rows:
                return False
            now = self._clock()
            connection.execute(
                "INSERT INTO queue_messages (message_id, queue, body, sent_at, visible_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (message_id, self._name, rows[0]["body"], now, now),
            )
        return True

    def depth(self) -> QueueDepth:
        (row,) = self._db.query(
            f"depth of queue {self._name}",
            "SELECT"
            " (SELECT COUNT(*) FROM queue_messages WHERE queue = ?1) AS queued,"
            " (SELECT COUNT(*) FROM queue_messages WHERE queue = ?1"
            "  AND receipt IS NOT NULL AND visible_at > ?2) AS in_flight,"
            " (SELECT COUNT(*) FROM queue_dead_letters WHERE queue = ?1) AS dead",
            (self._name, self._clock()),
        )
        return QueueDepth(
            waiting=row["queued"] - row["in_flight"], in_flight=row["in_flight"], dead=row["dead"]
        )
