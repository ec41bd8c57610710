"""The one SQLite database file of the embedded default, shared by the local repositories.

The API's worker threads and Streamlit's script threads use it at the same time, so each
thread gets its own connection (a `sqlite3.Connection` must not be shared mid-statement), and
the file runs in WAL mode so readers never wait for a writer. Writers serialize on
`BEGIN IMMEDIATE`: taking the write lock up front means a transaction never fails halfway
with "database is locked" after it has read, and the busy timeout lets it queue instead.
`synchronous=NORMAL` is the documented WAL pairing: a power cut may lose the last commits but
never corrupts the file.

Every `sqlite3` failure leaves this module as a domain error: a duplicate key as
`ConflictError`, anything else (locked past the timeout, disk full, I/O error, a closed
database) as `StorageUnavailableError` whose `detail` names the operation and SQLite's message.
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Final

from eduportal.domain.errors import ConfigurationError, ConflictError, StorageUnavailableError

_UNAVAILABLE: Final = "The database is unavailable right now. Please try again later."

AWAITED_IMAGE: Final = "json_extract(document, '$.image_upload.image_id')"
AWAITING: Final = "json_extract(document, '$.image_upload.state') = 'pending'"
"""The expressions of the `assignments_awaiting_image` index (version 9)."""

_MIGRATIONS: Final[tuple[tuple[str, ...], ...]] = (
    (
        """CREATE TABLE IF NOT EXISTS assignments (
            assignment_id TEXT PRIMARY KEY,
            teacher_id TEXT NOT NULL,
            created_at REAL NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE INDEX IF NOT EXISTS assignments_newest
            ON assignments (created_at DESC, assignment_id DESC)""",
        """CREATE INDEX IF NOT EXISTS assignments_by_teacher
            ON assignments (teacher_id, created_at DESC, assignment_id DESC)""",
        """CREATE TABLE IF NOT EXISTS answers (
            assignment_id TEXT NOT NULL,
            question_id TEXT NOT NULL,
            student_id TEXT NOT NULL,
            best_score REAL NOT NULL,
            answer TEXT NOT NULL,
            reached_at REAL NOT NULL,
            attempts INTEGER NOT NULL DEFAULT 1,
            PRIMARY KEY (assignment_id, question_id, student_id)
        ) WITHOUT ROWID""",
        """CREATE INDEX IF NOT EXISTS answers_leaderboard
            ON answers (assignment_id, question_id, best_score DESC, reached_at, student_id)""",
        """CREATE TABLE IF NOT EXISTS accounts (
            username TEXT PRIMARY KEY,
            role TEXT NOT NULL,
            password_hash TEXT NOT NULL,
            created_at REAL NOT NULL
        ) WITHOUT ROWID""",
        """CREATE TABLE IF NOT EXISTS sessions (
            token_hash TEXT PRIMARY KEY,
            username TEXT NOT NULL,
            role TEXT NOT NULL,
            expires_at REAL NOT NULL
        ) WITHOUT ROWID""",
        "CREATE INDEX IF NOT EXISTS sessions_expiry ON sessions (expires_at)",
    ),
    (
        # Version 2: compare-and-set on assignments, the reveal rule, the log of every answer.
        "ALTER TABLE assignments ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE answers ADD COLUMN revealed_at REAL",
        """CREATE TABLE IF NOT EXISTS answer_log (
            assignment_id TEXT NOT NULL,
            question_id TEXT NOT NULL,
            student_id TEXT NOT NULL,
            submitted_at REAL NOT NULL,
            score REAL NOT NULL,
            counted INTEGER NOT NULL,
            answer TEXT NOT NULL
        )""",
        """CREATE INDEX IF NOT EXISTS answer_log_by_student
            ON answer_log (assignment_id, question_id, student_id, submitted_at)""",
    ),
    (
        # Version 3: each teacher's unsaved draft, findable by the image object it names.
        """CREATE TABLE IF NOT EXISTS drafts (
            username TEXT PRIMARY KEY,
            version INTEGER NOT NULL,
            image_key TEXT,
            document TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE INDEX IF NOT EXISTS drafts_by_image
            ON drafts (image_key) WHERE image_key IS NOT NULL""",
    ),
    (
        # Version 4: which scorer scored an answer and why it may need a look (flags: a JSON
        # list of sentences), for every answer logged and for the best one.
        "ALTER TABLE answers ADD COLUMN engine TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE answers ADD COLUMN flags TEXT NOT NULL DEFAULT '[]'",
        "ALTER TABLE answer_log ADD COLUMN engine TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE answer_log ADD COLUMN flags TEXT NOT NULL DEFAULT '[]'",
    ),
    (
        # Version 5: teachers' score overrides (best_score holds the effective score; the
        # scorer's is kept in scored_score while an override stands), their log, and a
        # student's results across assignments.
        "ALTER TABLE answers ADD COLUMN scored_score REAL",
        "ALTER TABLE answers ADD COLUMN overridden_by TEXT",
        "ALTER TABLE answers ADD COLUMN overridden_at REAL",
        """CREATE TABLE IF NOT EXISTS score_overrides (
            assignment_id TEXT NOT NULL,
            question_id TEXT NOT NULL,
            student_id TEXT NOT NULL,
            teacher_id TEXT NOT NULL,
            at REAL NOT NULL,
            old_score REAL NOT NULL,
            new_score REAL NOT NULL,
            cleared INTEGER NOT NULL
        )""",
        """CREATE INDEX IF NOT EXISTS score_overrides_by_answer
            ON score_overrides (assignment_id, question_id, student_id, at)""",
        """CREATE INDEX IF NOT EXISTS answers_by_student
            ON answers (student_id, assignment_id, question_id)""",
    ),
    (
        # Version 6: the processing pipeline's image records, listed by status and by day.
        """CREATE TABLE IF NOT EXISTS image_records (
            image_id TEXT PRIMARY KEY,
            key TEXT NOT NULL UNIQUE,
            status TEXT NOT NULL,
            uploaded_day TEXT NOT NULL,
            uploaded_at REAL NOT NULL,
            document TEXT NOT NULL
        ) WITHOUT ROWID""",
        """CREATE INDEX IF NOT EXISTS image_records_by_status
            ON image_records (status, uploaded_at DESC)""",
        """CREATE INDEX IF NOT EXISTS image_records_by_day
            ON image_records (uploaded_day, uploaded_at DESC)""",
    ),
    (
        # Version 7: the embedded event bus's log of every event published and the log of
        # every notification sent, each read by image (an image's history) and by time.
        """CREATE TABLE IF NOT EXISTS events (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            source TEXT NOT NULL,
            detail_type TEXT NOT NULL,
            image_id TEXT,
            detail TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS events_by_image ON events (image_id, time DESC, id DESC)",
        "CREATE INDEX IF NOT EXISTS events_by_time ON events (time DESC, id DESC)",
        """CREATE TABLE IF NOT EXISTS notifications (
            id INTEGER PRIMARY KEY,
            time REAL NOT NULL,
            subject TEXT NOT NULL,
            message TEXT NOT NULL,
            attributes TEXT NOT NULL,
            image_id TEXT
        )""",
        """CREATE INDEX IF NOT EXISTS notifications_by_image
            ON notifications (image_id, time DESC, id DESC)""",
        "CREATE INDEX IF NOT EXISTS notifications_by_time ON notifications (time DESC, id DESC)",
    ),
    (
        # Version 8: the processing queue. A message is leased by setting `receipt` and moving
        # `visible_at` to the lease's end, so "visible" is one range on the index whether the
        # message was never taken, was given back, or its holder died.
        """CREATE TABLE IF NOT EXISTS queue_messages (
            message_id TEXT PRIMARY KEY,
            queue TEXT NOT NULL,
            body TEXT NOT NULL,
            sent_at REAL NOT NULL,
            visible_at REAL NOT NULL,
            receipt TEXT,
            receive_count INTEGER NOT NULL DEFAULT 0
        ) WITHOUT ROWID""",
        """CREATE INDEX IF NOT EXISTS queue_messages_next
            ON queue_messages (queue, visible_at)""",
        """CREATE TABLE IF NOT EXISTS queue_dead_letters (
            message_id TEXT PRIMARY KEY,
            queue TEXT NOT NULL,
            body TEXT NOT NULL,
            reason TEXT NOT NULL,
            receive_count INTEGER NOT NULL,
            dead_at REAL NOT NULL
        ) WITHOUT ROWID""",
        """CREATE INDEX IF NOT EXISTS queue_dead_letters_oldest
            ON queue_dead_letters (queue, dead_at)""",
    ),
    (
        # Version 9: the assignments awaiting a pipeline image, found by its id when the
        # pipeline is done with it. A partial index over the JSON document: only assignments
        # awaiting an image are in it. Queries must spell both expressions exactly like this.
        f"""CREATE INDEX IF NOT EXISTS assignments_awaiting_image
            ON assignments ({AWAITED_IMAGE}) WHERE {AWAITING}""",
    ),
    (
        # Version 10: every process's metrics, a snapshot every few seconds, for the
        # Operations page (`sqlite_metrics_history.py`); read and pruned by time.
        """CREATE TABLE IF NOT EXISTS metric_snapshots (
            id INTEGER PRIMARY KEY,
            at REAL NOT NULL,
            process TEXT NOT NULL,
            role TEXT NOT NULL,
            started_at REAL NOT NULL,
            series TEXT NOT NULL
        )""",
        "CREATE INDEX IF NOT EXISTS metric_snapshots_by_time ON metric_snapshots (at)",
    ),
)
"""The schema, one tuple of statements per version. Append a version, never edit one:
`PRAGMA user_version` records how many have run, so an existing file only gets what it lacks."""

SCHEMA_VERSION: Final = len(_MIGRATIONS)

UNICODE_LOWER: Final = "unicode_lower"
"""An SQL function on every connection: Python's `str.lower`, which knows every alphabet."""

_CONFLICT_CODES: Final = frozenset({"SQLITE_CONSTRAINT_PRIMARYKEY", "SQLITE_CONSTRAINT_UNIQUE"})


class _Handle:
    """Holds one thread's connection; exists because `sqlite3.Connection` takes no weakref."""

    __slots__ = ("__weakref__", "connection")

    def __init__(self, connection: sqlite3.Connection) -> None:
        self.connection = connection


class SqliteDatabase:
    def __init__(self, path: Path, *, busy_timeout_seconds: float = 5.0) -> None:
        self.path = path
        self._busy_timeout_seconds = busy_timeout_seconds
        self._local = threading.local()
        # Weak, so a finished thread's connection is closed with its thread-local storage
        # instead of being kept alive here; `close()` still reaches every live one.
        self._handles: weakref.WeakSet[_Handle] = weakref.WeakSet()
        self._handles_lock = threading.Lock()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StorageUnavailableError(
                _UNAVAILABLE, detail=f"sqlite create directory {path.parent}: {exc}"
            ) from exc
        self._migrate()

    @contextmanager
    def transaction(self, operation: str) -> Iterator[sqlite3.Connection]:
        """All of the block's writes or none of them; `operation` names it in error details."""
        with _mapped_errors(operation):
            connection = self._connection()
            connection.execute("BEGIN IMMEDIATE")
            try:
                yield connection
                connection.execute("COMMIT")
            except BaseException:
                self._roll_back(connection)
                raise

    def query(
        self, operation: str, sql: str, parameters: Sequence[object] = ()
    ) -> list[sqlite3.Row]:
        """One statement outside a transaction: enough for reads, which WAL keeps consistent."""
        with _mapped_errors(operation):
            return self._connection().execute(sql, parameters).fetchall()

    def check(self) -> None:
        self.query("check", "SELECT 1")

    def close(self) -> None:
        """Close every thread's connection; the database is unusable afterwards."""
        with self._handles_lock:
            handles = list(self._handles)
        for handle in handles:
            handle.connection.close()

    def _connection(self) -> sqlite3.Connection:
        handle: _Handle | None = getattr(self._local, "handle", None)
        if handle is None:
            handle = _Handle(self._open())
            self._local.handle = handle
            with self._handles_lock:
                self._handles.add(handle)
        return handle.connection

    def _open(self) -> sqlite3.Connection:
        # isolation_level=None: the module must not open transactions behind our back, so
        # `transaction()` alone decides where they begin and end. check_same_thread=False only
        # so `close()` may run on another thread; each connection still serves one thread.
        connection = sqlite3.connect(
            self.path,
            timeout=self._busy_timeout_seconds,
            isolation_level=None,
            check_same_thread=False,
        )
        connection.row_factory = sqlite3.Row
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=NORMAL")
        connection.execute("PRAGMA foreign_keys=ON")
        # SQLite's lower() and LIKE fold ASCII letters only; searches fold as MongoDB's do.
        connection.create_function(UNICODE_LOWER, 1, _unicode_lower, deterministic=True)
        return connection

    def _roll_back(self, connection: sqlite3.Connection) -> None:
        """SQLite rolls back by itself on some errors, so only an open transaction is undone.

        A connection that cannot even roll back is dropped: this thread's next call opens a
        fresh one rather than inheriting a half-finished transaction.
        """
        if not connection.in_transaction:
            return
        try:
            connection.execute("ROLLBACK")
        except sqlite3.Error:
            with suppress(sqlite3.Error):
                connection.close()
            self._local.handle = None

    def _migrate(self) -> None:
        with self.transaction("migrate schema") as connection:
            (version,) = connection.execute("PRAGMA user_version").fetchone()
            if version > SCHEMA_VERSION:
                raise ConfigurationError(
                    detail=f"{self.path} has schema version {version}, newer than this "
                    f"eduportal's {SCHEMA_VERSION}: upgrade eduportal before using it",
                )
            for statements in _MIGRATIONS[version:]:
                for statement in statements:
                    connection.execute(statement)
            # PRAGMA takes no parameters; SCHEMA_VERSION is our own integer.
            connection.execute(f"PRAGMA user_version = {SCHEMA_VERSION:d}")


def _unicode_lower(value: object) -> str | None:
    """Text lowered; anything else (NULL for a missing field) is NULL, which matches nothing."""
    return value.lower() if isinstance(value, str) else None


@contextmanager
def _mapped_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if exc.sqlite_errorname not in _CONFLICT_CODES:
            raise _unavailable(operation, exc) from exc
        raise ConflictError(detail=f"sqlite {operation}: {exc}") from exc
    except sqlite3.Error as exc:
        raise _unavailable(operation, exc) from exc


def _unavailable(operation: str, exc: sqlite3.Error) -> StorageUnavailableError:
    return StorageUnavailableError(_UNAVAILABLE, detail=f"sqlite {operation}: {exc}")
