"""The repository ports on SQLite, the embedded default (schema in `sqlite_db`).

Assignments keep the whole document as JSON, exactly `Assignment.to_document()`, so the stored
shape is the MongoDB one and moving data between the backends is a copy; the columns beside it
exist only to index the listing, and `version` for compare-and-set saves. Answers keep one
row per student and question: the best score, the answer and time that reached it, the scorer
that scored it and its flags, how many attempts were made and when the reference answer was
revealed, updated in one write transaction so concurrent submissions cannot lose a better
score; `answer_log` keeps every answer given.
Drafts keep `Draft.to_document()` as JSON too, one row per user name, with the version for
compare-and-set and the image key as columns.
"""

from __future__ import annotations

import json
import sqlite3
import time

from eduportal.adapters.local.sqlite_db import (
    AWAITED_IMAGE,
    AWAITING,
    UNICODE_LOWER,
    SqliteDatabase,
)
from eduportal.domain.accounts import Account, Role, Session
from eduportal.domain.assignments import Assignment, edited_meanwhile
from eduportal.domain.drafts import NO_DRAFT, Draft, draft_changed_meanwhile
from eduportal.domain.errors import NotFoundError
from eduportal.domain.grading import (
    NOT_ANSWERED,
    NOT_RECORDED,
    AnswerRecord,
    LeaderboardEntry,
    QuestionProgress,
    ScoreOverride,
)

_NOT_FOUND = "This assignment was not found."


class SqliteAssignmentRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def add(self, assignment: Assignment) -> None:
        with self._db.transaction(f"add assignment {assignment.assignment_id}") as connection:
            connection.execute(
                "INSERT INTO assignments"
                " (assignment_id, teacher_id, created_at, document, version)"
                " VALUES (?, ?, ?, ?, ?)",
                _row(assignment),
            )

    def get(self, assignment_id: str) -> Assignment:
        rows = self._db.query(
            f"get assignment {assignment_id}",
            "SELECT document FROM assignments WHERE assignment_id = ?",
            (assignment_id,),
        )
        if not rows:
            raise NotFoundError(_NOT_FOUND, detail=f"sqlite: no assignment {assignment_id}")
        return Assignment.from_document(json.loads(rows[0]["document"]))

    def replace(self, assignment: Assignment, *, expected_version: int) -> None:
        assignment_id = assignment.assignment_id
        with self._db.transaction(f"replace assignment {assignment_id}") as connection:
            cursor = connection.execute(
                "UPDATE assignments SET teacher_id = ?, created_at = ?, document = ?, version = ?"
                " WHERE assignment_id = ? AND version = ?",
                (*_row(assignment)[1:], assignment_id, expected_version),
            )
            if cursor.rowcount == 0:
                stored = _stored_version(connection, assignment_id)
                if stored is None:
                    raise NotFoundError(_NOT_FOUND, detail=f"sqlite: no assignment {assignment_id}")
                raise edited_meanwhile(assignment_id, stored, expected_version, where="sqlite")

    def delete(self, assignment_id: str, *, expected_version: int) -> bool:
        with self._db.transaction(f"delete assignment {assignment_id}") as connection:
            cursor = connection.execute(
                "DELETE FROM assignments WHERE assignment_id = ? AND version = ?",
                (assignment_id, expected_version),
            )
            if cursor.rowcount > 0:
                return True
            stored = _stored_version(connection, assignment_id)
            if stored is None:
                return False
            raise edited_meanwhile(assignment_id, stored, expected_version, where="sqlite")

    def awaiting_image(self, image_id: str) -> list[Assignment]:
        rows = self._db.query(
            f"assignments awaiting image {image_id}",
            # The index's own expressions, so the partial index serves the query.
            f"SELECT document FROM assignments WHERE {AWAITED_IMAGE} = ? AND {AWAITING}",  # noqa: S608
            (image_id,),
        )
        return [Assignment.from_document(json.loads(row["document"])) for row in rows]

    def list(
        self,
        *,
        limit: int,
        offset: int = 0,
        teacher_id: str | None = None,
        search: str | None = None,
    ) -> list[Assignment]:
        if limit <= 0:
            return []
        where, parameters = _filter(teacher_id, search)
        rows = self._db.query(
            "list assignments",
            f"SELECT document FROM assignments {where}"  # noqa: S608 (constant fragments)
            " ORDER BY created_at DESC, assignment_id DESC LIMIT ? OFFSET ?",
            (*parameters, limit, offset),
        )
        return [Assignment.from_document(json.loads(row["document"])) for row in rows]

    def count(self, *, teacher_id: str | None = None, search: str | None = None) -> int:
        where, parameters = _filter(teacher_id, search)
        rows = self._db.query(
            "count assignments",
            f"SELECT COUNT(*) FROM assignments {where}",  # noqa: S608 (constant fragments)
            parameters,
        )
        return int(rows[0][0])

    def check(self) -> None:
        self._db.check()


_SEARCHED = ("$.title", "$.subject", "$.prompt")
_CONTAINS = " OR ".join(
    f"instr({UNICODE_LOWER}(json_extract(document, '{path}')), ?) > 0" for path in _SEARCHED
)
"""A literal substring test: `instr`, not LIKE, so `%` and `_` need no escaping, over text
lowered by Python's `str.lower` on both sides (LIKE and lower() fold ASCII letters only)."""


def _filter(teacher_id: str | None, search: str | None) -> tuple[str, tuple[str, ...]]:
    """Statement shapes per filter, not `? IS NULL OR teacher_id = ?`, which SQLite plans as a
    scan of every row. A search scans the rows that pass the teacher filter anyway: no index
    serves a substring."""
    conditions: list[str] = []
    parameters: tuple[str, ...] = ()
    if teacher_id is not None:
        conditions.append("teacher_id = ?")
        parameters += (teacher_id,)
    if search is not None:
        conditions.append(f"({_CONTAINS})")
        parameters += (search.lower(),) * len(_SEARCHED)
    return ("WHERE " + " AND ".join(conditions) if conditions else ""), parameters


def _row(assignment: Assignment) -> tuple[str, str, float, str, int]:
    document = json.dumps(assignment.to_document(), separators=(",", ":"))
    return (
        assignment.assignment_id,
        assignment.teacher_id,
        assignment.created_at,
        document,
        assignment.version,
    )


def _stored_version(connection: sqlite3.Connection, assignment_id: str) -> int | None:
    """Why a compare-and-set matched no row: None when the row is gone, else its version."""
    row = connection.execute(
        "SELECT version FROM assignments WHERE assignment_id = ?", (assignment_id,)
    ).fetchone()
    return None if row is None else int(row["version"])


class SqliteAnswerRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def record(self, answer: AnswerRecord, *, counts: bool = True) -> float:
        key = (answer.assignment_id, answer.question_id, answer.student_id)
        scorer = (answer.engine, json.dumps(list(answer.flags)))
        with self._db.transaction(f"record answer {answer.assignment_id}") as connection:
            connection.execute(
                "INSERT INTO answer_log (assignment_id, question_id, student_id, submitted_at,"
                " score, counted, answer, engine, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, answer.submitted_at, answer.score, int(counts), answer.answer, *scorer),
            )
            if not counts:
                rows = connection.execute(
                    "UPDATE answers SET attempts = attempts + 1"
                    " WHERE assignment_id = ? AND question_id = ? AND student_id = ?"
                    " RETURNING best_score",
                    key,
                ).fetchall()
                if not rows:
                    raise NotFoundError(
                        NOT_RECORDED,
                        detail=f"sqlite: uncounted answer without a first answer: {key}",
                    )
                return float(rows[0]["best_score"])
            # Under the transaction's write lock: first the answer replaces the row it beats
            # (a higher score, or the same score reached earlier, since records may arrive out
            # of order; an override only a higher one), then the attempt is counted, which
            # creates the row for a first answer.
            connection.execute(
                "UPDATE answers SET best_score = ?, answer = ?, reached_at = ?, engine = ?,"
                " flags = ?, scored_score = NULL, overridden_by = NULL, overridden_at = NULL"
                " WHERE assignment_id = ? AND question_id = ? AND student_id = ?"
                " AND (best_score < ? OR (best_score = ? AND reached_at > ?"
                " AND scored_score IS NULL))",
                (
                    answer.score,
                    answer.answer,
                    answer.submitted_at,
                    *scorer,
                    *key,
                    answer.score,
                    answer.score,
                    answer.submitted_at,
                ),
            )
            rows = connection.execute(
                "INSERT INTO answers (assignment_id, question_id, student_id, best_score,"
                " answer, reached_at, engine, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
                " ON CONFLICT (assignment_id, question_id, student_id)"
                " DO UPDATE SET attempts = attempts + 1 RETURNING best_score",
                (*key, answer.score, answer.answer, answer.submitted_at, *scorer),
            ).fetchall()
        return float(rows[0]["best_score"])

    def progress(self, assignment_id: str, question_id: str, student_id: str) -> QuestionProgress:
        rows = self._db.query(
            f"progress {assignment_id}",
            f"SELECT {_PROGRESS} FROM answers"  # noqa: S608 (a constant column list)
            " WHERE assignment_id = ? AND question_id = ? AND student_id = ?",
            (assignment_id, question_id, student_id),
        )
        return _progress(rows[0]) if rows else QuestionProgress()

    def assignment_progress(self, assignment_id: str) -> dict[str, dict[str, QuestionProgress]]:
        rows = self._db.query(
            f"results {assignment_id}",
            f"SELECT student_id, question_id, {_PROGRESS} FROM answers"  # noqa: S608 (constant)
            " WHERE assignment_id = ? ORDER BY student_id, question_id",
            (assignment_id,),
        )
        found: dict[str, dict[str, QuestionProgress]] = {}
        for row in rows:
            found.setdefault(row["student_id"], {})[row["question_id"]] = _progress(row)
        return found

    def student_progress(
        self, student_id: str, assignment_id: str | None = None
    ) -> dict[str, dict[str, QuestionProgress]]:
        where, parameters = "student_id = ?", [student_id]
        if assignment_id is not None:
            where, parameters = f"{where} AND assignment_id = ?", [student_id, assignment_id]
        rows = self._db.query(
            f"results of {student_id}",
            f"SELECT assignment_id, question_id, {_PROGRESS} FROM answers"  # noqa: S608 (constant)
            f" WHERE {where} ORDER BY assignment_id, question_id",
            parameters,
        )
        found: dict[str, dict[str, QuestionProgress]] = {}
        for row in rows:
            found.setdefault(row["assignment_id"], {})[row["question_id"]] = _progress(row)
        return found

    def mark_revealed(
        self, assignment_id: str, question_id: str, student_id: str, at: float
    ) -> None:
        with self._db.transaction(f"reveal {assignment_id}") as connection:
            connection.execute(
                "UPDATE answers SET revealed_at = COALESCE(revealed_at, ?)"
                " WHERE assignment_id = ? AND question_id = ? AND student_id = ?",
                (at, assignment_id, question_id, student_id),
            )

    def override(
        self,
        assignment_id: str,
        question_id: str,
        student_id: str,
        score: float | None,
        *,
        by: str,
        at: float,
    ) -> tuple[QuestionProgress, QuestionProgress]:
        """Read, change and log under one write lock: nothing can land in between."""
        key = (assignment_id, question_id, student_id)
        with self._db.transaction(f"override score {assignment_id}") as connection:
            row = connection.execute(
                f"SELECT {_PROGRESS} FROM answers"  # noqa: S608 (a constant column list)
                " WHERE assignment_id = ? AND question_id = ? AND student_id = ?",
                key,
            ).fetchone()
            if row is None:
                raise NotFoundError(NOT_ANSWERED, detail=f"sqlite: no answer to override: {key}")
            before = _progress(row)
            if score is not None:
                after = before.overridden_by(score, by=by, at=at)
            elif before.overridden:
                after = before.without_override(_logged_best(connection, key))
            else:
                return before, before
            connection.execute(
                "UPDATE answers SET best_score = ?, answer = ?, reached_at = ?, engine = ?,"
                " flags = ?, scored_score = ?, overridden_by = ?, overridden_at = ?"
                " WHERE assignment_id = ? AND question_id = ? AND student_id = ?",
                (*_best_columns(after), *key),
            )
            connection.execute(
                "INSERT INTO score_overrides (assignment_id, question_id, student_id, teacher_id,"
                " at, old_score, new_score, cleared) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (*key, by, at, before.best_score, after.best_score, int(score is None)),
            )
        return before, after

    def leaderboard(
        self, assignment_id: str, question_id: str, limit: int
    ) -> list[LeaderboardEntry]:
        if limit <= 0:
            return []
        rows = self._db.query(
            f"leaderboard {assignment_id}",
            "SELECT student_id, best_score FROM answers"
            " WHERE assignment_id = ? AND question_id = ?"
            " ORDER BY best_score DESC, reached_at, student_id LIMIT ?",
            (assignment_id, question_id, limit),
        )
        return [
            LeaderboardEntry(rank=rank, student_id=row["student_id"], best_score=row["best_score"])
            for rank, row in enumerate(rows, start=1)
        ]

    def delete_for_assignment(self, assignment_id: str) -> None:
        with self._db.transaction(f"delete answers {assignment_id}") as connection:
            connection.execute("DELETE FROM answers WHERE assignment_id = ?", (assignment_id,))
            connection.execute("DELETE FROM answer_log WHERE assignment_id = ?", (assignment_id,))
            connection.execute(
                "DELETE FROM score_overrides WHERE assignment_id = ?", (assignment_id,)
            )


_PROGRESS = (
    "attempts, best_score, revealed_at, answer, reached_at, engine, flags,"
    " scored_score, overridden_by, overridden_at"
)
"""The columns `_progress` reads."""


def _progress(row: sqlite3.Row) -> QuestionProgress:
    override = None
    if row["scored_score"] is not None:
        override = ScoreOverride(
            scored=row["scored_score"], by=row["overridden_by"], at=row["overridden_at"]
        )
    return QuestionProgress(
        attempts=int(row["attempts"]),
        best_score=float(row["best_score"]),
        revealed_at=row["revealed_at"],
        answer=row["answer"],
        reached_at=row["reached_at"],
        engine=row["engine"],
        flags=tuple(json.loads(row["flags"])),
        override=override,
    )


def _best_columns(progress: QuestionProgress) -> tuple[object, ...]:
    """best_score, answer, reached_at, engine, flags, scored_score, overridden_by, overridden_at:
    the last three NULL without an override."""
    kept = progress.override
    return (
        progress.best_score,
        progress.answer,
        progress.reached_at,
        progress.engine,
        json.dumps(list(progress.flags)),
        *((None, None, None) if kept is None else (kept.scored, kept.by, kept.at)),
    )


def _logged_best(connection: sqlite3.Connection, key: tuple[str, str, str]) -> AnswerRecord | None:
    """The best counted answer in the log: the highest score, the first of equals."""
    row = connection.execute(
        "SELECT answer, score, submitted_at, engine, flags FROM answer_log"
        " WHERE assignment_id = ? AND question_id = ? AND student_id = ? AND counted = 1"
        " ORDER BY score DESC, submitted_at LIMIT 1",
        key,
    ).fetchone()
    if row is None:
        return None
    return AnswerRecord(
        *key,
        answer=row["answer"],
        score=row["score"],
        submitted_at=row["submitted_at"],
        engine=row["engine"],
        flags=tuple(json.loads(row["flags"])),
    )


class SqliteAccountRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def add(self, account: Account) -> None:
        with self._db.transaction(f"add account {account.username}") as connection:
            connection.execute(
                "INSERT INTO accounts (username, role, password_hash, created_at)"
                " VALUES (?, ?, ?, ?)",
                (account.username, account.role.value, account.password_hash, account.created_at),
            )

    def get(self, username: str) -> Account | None:
        rows = self._db.query(
            f"get account {username}",
            "SELECT username, role, password_hash, created_at FROM accounts WHERE username = ?",
            (username,),
        )
        return _account(rows[0]) if rows else None

    def count(self) -> int:
        return int(self._db.query("count accounts", "SELECT COUNT(*) FROM accounts")[0][0])

    def list_accounts(self) -> list[Account]:
        rows = self._db.query(
            "list accounts",
            "SELECT username, role, password_hash, created_at FROM accounts ORDER BY username",
        )
        return [_account(row) for row in rows]

    def update(self, account: Account) -> bool:
        with self._db.transaction(f"update account {account.username}") as connection:
            cursor = connection.execute(
                "UPDATE accounts SET role = ?, password_hash = ? WHERE username = ?",
                (account.role.value, account.password_hash, account.username),
            )
            return cursor.rowcount > 0

    def delete(self, username: str) -> bool:
        with self._db.transaction(f"delete account {username}") as connection:
            connection.execute("DELETE FROM sessions WHERE username = ?", (username,))
            cursor = connection.execute("DELETE FROM accounts WHERE username = ?", (username,))
            return cursor.rowcount > 0

    def delete_sessions(self, username: str) -> int:
        with self._db.transaction(f"delete sessions of {username}") as connection:
            cursor = connection.execute("DELETE FROM sessions WHERE username = ?", (username,))
            return cursor.rowcount

    def add_session(self, session: Session) -> None:
        # Expired sessions are purged here, where a write lock is held anyway, so the table
        # stays bounded the way MongoDB's TTL index bounds its collection.
        with self._db.transaction(f"add session for {session.username}") as connection:
            connection.execute("DELETE FROM sessions WHERE expires_at <= ?", (time.time(),))
            connection.execute(
                "INSERT INTO sessions (token_hash, username, role, expires_at) VALUES (?, ?, ?, ?)",
                (session.token_hash, session.username, session.role.value, session.expires_at),
            )

    def get_session(self, token_hash: str) -> Session | None:
        rows = self._db.query(
            "get session",
            "SELECT token_hash, username, role, expires_at FROM sessions WHERE token_hash = ?",
            (token_hash,),
        )
        if not rows:
            return None
        row = rows[0]
        if row["expires_at"] <= time.time():
            self.delete_session(token_hash)
            return None
        return Session(
            token_hash=row["token_hash"],
            username=row["username"],
            role=Role(row["role"]),
            expires_at=row["expires_at"],
        )

    def delete_session(self, token_hash: str) -> None:
        with self._db.transaction("delete session") as connection:
            connection.execute("DELETE FROM sessions WHERE token_hash = ?", (token_hash,))


def _account(row: sqlite3.Row) -> Account:
    return Account(
        username=row["username"],
        role=Role(row["role"]),
        password_hash=row["password_hash"],
        created_at=row["created_at"],
    )


class SqliteDraftRepository:
    def __init__(self, database: SqliteDatabase) -> None:
        self._db = database

    def get(self, username: str) -> Draft | None:
        rows = self._db.query(
            f"get draft of {username}",
            "SELECT document FROM drafts WHERE username = ?",
            (username,),
        )
        return Draft.from_document(json.loads(rows[0]["document"])) if rows else None

    def save(self, username: str, draft: Draft, *, expected_version: int) -> None:
        document = json.dumps(draft.to_document(), separators=(",", ":"))
        image_key = draft.image.key if draft.image else None
        with self._db.transaction(f"save draft of {username}") as connection:
            if expected_version == NO_DRAFT:
                cursor = connection.execute(
                    "INSERT INTO drafts (username, version, image_key, document)"
                    " VALUES (?, ?, ?, ?) ON CONFLICT (username) DO NOTHING",
                    (username, draft.version, image_key, document),
                )
            else:
                cursor = connection.execute(
                    "UPDATE drafts SET version = ?, image_key = ?, document = ?"
                    " WHERE username = ? AND version = ?",
                    (draft.version, image_key, document, username, expected_version),
                )
            if cursor.rowcount == 0:
                row = connection.execute(
                    "SELECT version FROM drafts WHERE username = ?", (username,)
                ).fetchone()
                stored = NO_DRAFT if row is None else int(row["version"])
                raise draft_changed_meanwhile(username, stored, expected_version, where="sqlite")

    def delete(self, username: str) -> Draft | None:
        with self._db.transaction(f"delete draft of {username}") as connection:
            row = connection.execute(
                "DELETE FROM drafts WHERE username = ? RETURNING document", (username,)
            ).fetchone()
        return None if row is None else Draft.from_document(json.loads(row["document"]))

    def image_keys(self) -> set[str]:
        rows = self._db.query(
            "list draft image keys", "SELECT image_key FROM drafts WHERE image_key IS NOT NULL"
        )
        return {str(row["image_key"]) for row in rows}

    def names_image(self, key: str) -> bool:
        rows = self._db.query(
            "find draft by image", "SELECT 1 FROM drafts WHERE image_key = ? LIMIT 1", (key,)
        )
        return bool(rows)
