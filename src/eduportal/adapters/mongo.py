"""The repository ports on MongoDB, the scale-out backend.

Documents are stored as the domain writes them (`Assignment.to_document()`), keyed by the
natural id in `_id` so duplicates are refused by the server rather than by a read-then-write
race. Answers have no natural single key, so a unique index on (assignment, question, student)
plays that part; it is also what makes the best-score upsert safe (see `record`). Drafts are
keyed by user name, with a sparse index on the image key for the reconciler.

Every pymongo failure leaves this module as a domain error: a duplicate key as
`ConflictError`, anything else (no server within the timeout, a dropped connection, a write
concern error) as `StorageUnavailableError` whose `detail` names the operation.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any, Final

from pymongo import ASCENDING, DESCENDING, MongoClient, ReturnDocument
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import ConfigurationError as PyMongoConfigurationError
from pymongo.errors import DuplicateKeyError, PyMongoError

from eduportal.domain.accounts import Account, Role, Session
from eduportal.domain.assignments import Assignment, UploadState, edited_meanwhile
from eduportal.domain.drafts import NO_DRAFT, Draft, draft_changed_meanwhile
from eduportal.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    StorageUnavailableError,
)
from eduportal.domain.grading import (
    NOT_ANSWERED,
    NOT_RECORDED,
    AnswerRecord,
    LeaderboardEntry,
    QuestionProgress,
    ScoreOverride,
)

Document = dict[str, Any]

_UNAVAILABLE: Final = "The database is unavailable right now. Please try again later."
_NOT_FOUND: Final = "This assignment was not found."
_NEWEST_FIRST: Final = [("created_at", DESCENDING), ("_id", DESCENDING)]
_RECORD_ROUNDS: Final = 5
"""Each extra round means another writer created the same answer row in between, which can
happen once per row; five rounds only run out if the row is deleted over and over meanwhile."""
_OVERRIDE_ROUNDS: Final = 5
"""Each extra round means a better answer or another override landed between reading the row
and writing it; five in a row would take a student and a teacher racing the same question."""


def mongo_database(uri: str, name: str, timeout_seconds: float) -> Database[Document]:
    """The client connects lazily, so a server that is down surfaces on first use, mapped.

    `timeoutMS` bounds each whole operation, retries included, like the deadline the AWS
    adapters apply; without it a stalled server could hold a request thread indefinitely.
    """
    millis = max(1, round(timeout_seconds * 1000))
    try:
        client: MongoClient[Document] = MongoClient(
            uri,
            serverSelectionTimeoutMS=millis,
            connectTimeoutMS=millis,
            timeoutMS=millis,
            retryWrites=True,
            appname="eduportal",
        )
    except PyMongoConfigurationError as exc:
        raise ConfigurationError(detail=f"MONGODB_URI is not usable: {exc}") from exc
    return client[name]


@contextmanager
def mapped_errors(operation: str) -> Iterator[None]:
    try:
        yield
    except DuplicateKeyError as exc:
        raise ConflictError(detail=f"mongodb {operation}: {exc}") from exc
    except PyMongoError as exc:
        raise StorageUnavailableError(_UNAVAILABLE, detail=f"mongodb {operation}: {exc}") from exc


class MongoAssignmentRepository:
    def __init__(self, database: Database[Document]) -> None:
        self._db = database
        self._assignments: Collection[Document] = database["assignments"]
        self.ensure_indexes()

    def ensure_indexes(self) -> None:
        with mapped_errors("create assignment indexes"):
            self._assignments.create_index(_NEWEST_FIRST, name="newest")
            self._assignments.create_index(
                [("teacher_id", ASCENDING), *_NEWEST_FIRST], name="by_teacher"
            )
            # Only assignments awaiting a pipeline image carry an upload id worth indexing.
            self._assignments.create_index(
                "image_upload.image_id",
                name="awaiting_image",
                partialFilterExpression={"image_upload.state": UploadState.PENDING.value},
            )

    def add(self, assignment: Assignment) -> None:
        with mapped_errors(f"add assignment {assignment.assignment_id}"):
            self._assignments.insert_one(_stored(assignment))

    def get(self, assignment_id: str) -> Assignment:
        with mapped_errors(f"get assignment {assignment_id}"):
            document = self._assignments.find_one({"_id": assignment_id}, {"_id": False})
        if document is None:
            raise NotFoundError(_NOT_FOUND, detail=f"mongodb: no assignment {assignment_id}")
        return Assignment.from_document(document)

    def replace(self, assignment: Assignment, *, expected_version: int) -> None:
        """One `replace_one` filtered on the version: the server makes it a compare-and-set."""
        assignment_id = assignment.assignment_id
        with mapped_errors(f"replace assignment {assignment_id}"):
            result = self._assignments.replace_one(
                {"_id": assignment_id, **_version_is(expected_version)}, _stored(assignment)
            )
            if result.matched_count == 0:
                stored = self._stored_version(assignment_id)
                if stored is None:
                    raise NotFoundError(
                        _NOT_FOUND, detail=f"mongodb: no assignment {assignment_id}"
                    )
                raise edited_meanwhile(assignment_id, stored, expected_version, where="mongodb")

    def delete(self, assignment_id: str, *, expected_version: int) -> bool:
        with mapped_errors(f"delete assignment {assignment_id}"):
            result = self._assignments.delete_one(
                {"_id": assignment_id, **_version_is(expected_version)}
            )
            if result.deleted_count > 0:
                return True
            stored = self._stored_version(assignment_id)
        if stored is None:
            return False
        raise edited_meanwhile(assignment_id, stored, expected_version, where="mongodb")

    def _stored_version(self, assignment_id: str) -> int | None:
        document = self._assignments.find_one({"_id": assignment_id}, {"version": True})
        return None if document is None else int(document.get("version", 1))

    def awaiting_image(self, image_id: str) -> list[Assignment]:
        query = {"image_upload.image_id": image_id, "image_upload.state": UploadState.PENDING.value}
        with mapped_errors(f"assignments awaiting image {image_id}"):
            cursor = self._assignments.find(query, {"_id": False})
            return [Assignment.from_document(document) for document in cursor]

    def list(
        self,
        *,
        limit: int,
        offset: int = 0,
        teacher_id: str | None = None,
        search: str | None = None,
    ) -> list[Assignment]:
        if limit <= 0:
            return []  # MongoDB reads a limit of 0 as "no limit"
        with mapped_errors("list assignments"):
            cursor = (
                self._assignments.find(_filter(teacher_id, search), {"_id": False})
                .sort(_NEWEST_FIRST)
                .skip(offset)
                .limit(limit)
            )
            return [Assignment.from_document(document) for document in cursor]

    def count(self, *, teacher_id: str | None = None, search: str | None = None) -> int:
        with mapped_errors("count assignments"):
            return self._assignments.count_documents(_filter(teacher_id, search))

    def check(self) -> None:
        with mapped_errors("ping"):
            self._db.command("ping")


def _version_is(version: int) -> Document:
    """Documents written before versions existed have none: they are version 1."""
    if version == 1:
        return {"$or": [{"version": 1}, {"version": {"$exists": False}}]}
    return {"version": version}


def _stored(assignment: Assignment) -> Document:
    return {"_id": assignment.assignment_id, **assignment.to_document()}


def _filter(teacher_id: str | None, search: str | None) -> Document:
    """A search is an escaped, case-insensitive regex, so every character in it is literal;
    unanchored, it scans the documents the teacher filter leaves, as no index serves it."""
    found: Document = {} if teacher_id is None else {"teacher_id": teacher_id}
    if search is not None:
        contains = {"$regex": re.escape(search), "$options": "i"}
        found["$or"] = [{field: contains} for field in ("title", "subject", "prompt")]
    return found


class MongoAnswerRepository:
    def __init__(self, database: Database[Document]) -> None:
        self._answers: Collection[Document] = database["answers"]
        self._log: Collection[Document] = database["answer_log"]
        self._overrides: Collection[Document] = database["score_overrides"]
        self.ensure_indexes()

    def ensure_indexes(self) -> None:
        with mapped_errors("create answer indexes"):
            self._answers.create_index(
                [
                    ("assignment_id", ASCENDING),
                    ("question_id", ASCENDING),
                    ("student_id", ASCENDING),
                ],
                name="one_per_student",
                unique=True,
            )
            self._answers.create_index(
                [
                    ("assignment_id", ASCENDING),
                    ("question_id", ASCENDING),
                    ("best_score", DESCENDING),
                    ("reached_at", ASCENDING),
                    ("student_id", ASCENDING),
                ],
                name="leaderboard",
            )
            self._answers.create_index(
                [
                    ("student_id", ASCENDING),
                    ("assignment_id", ASCENDING),
                    ("question_id", ASCENDING),
                ],
                name="by_student",
            )
            self._log.create_index(
                [
                    ("assignment_id", ASCENDING),
                    ("question_id", ASCENDING),
                    ("student_id", ASCENDING),
                    ("submitted_at", ASCENDING),
                ],
                name="by_student",
            )
            self._overrides.create_index(
                [
                    ("assignment_id", ASCENDING),
                    ("question_id", ASCENDING),
                    ("student_id", ASCENDING),
                    ("at", ASCENDING),
                ],
                name="by_answer",
            )

    def record(self, answer: AnswerRecord, *, counts: bool = True) -> float:
        """The answer goes to the log first; then, when it counts, the best is kept.

        Keeping the best takes two single-document operations, each atomic, instead of a
        read-modify-write race.

        The upsert updates the row when this answer beats it and inserts one when there is
        none; when a row exists that it does not beat, its insert hits the unique index. Then
        the attempt is counted on that row, on condition that it is still not beaten: scores
        only rise, so this fails only if the row was deleted meanwhile, or had just been
        created by a concurrent first answer worse than this one; the next round settles both.
        """
        key = {
            "assignment_id": answer.assignment_id,
            "question_id": answer.question_id,
            "student_id": answer.student_id,
        }
        beaten = {
            "$or": [
                {"best_score": {"$lt": answer.score}},
                {
                    "best_score": answer.score,
                    "reached_at": {"$gt": answer.submitted_at},
                    "override": None,  # an override yields to a higher score only
                },
            ]
        }
        scorer = {"engine": answer.engine, "flags": list(answer.flags)}
        improve = {
            "$set": {
                "best_score": answer.score,
                "answer": answer.answer,
                "reached_at": answer.submitted_at,
                **scorer,
                "override": None,
            },
            "$inc": {"attempts": 1},
        }
        with mapped_errors(f"record answer {answer.assignment_id}"):
            self._log.insert_one(
                {
                    **key,
                    "submitted_at": answer.submitted_at,
                    "score": answer.score,
                    "counted": counts,
                    "answer": answer.answer,
                    **scorer,
                }
            )
            if not counts:
                row = self._answers.find_one_and_update(
                    key,
                    {"$inc": {"attempts": 1}},
                    projection={"best_score": True},
                    return_document=ReturnDocument.AFTER,
                )
                if row is None:
                    raise NotFoundError(
                        NOT_RECORDED,
                        detail=f"mongodb: uncounted answer without a first answer: {key}",
                    )
                return float(row["best_score"])
            for _ in range(_RECORD_ROUNDS):
                try:
                    self._answers.update_one({**key, **beaten}, improve, upsert=True)
                except DuplicateKeyError:
                    kept = self._answers.find_one_and_update(
                        {**key, "$nor": [beaten]},
                        {"$inc": {"attempts": 1}},
                        projection={"best_score": True},
                        return_document=ReturnDocument.AFTER,
                    )
                    if kept is not None:
                        return float(kept["best_score"])
                else:
                    return answer.score
        raise StorageUnavailableError(
            _UNAVAILABLE,
            detail=f"mongodb record answer {answer.assignment_id}: no settled row after "
            f"{_RECORD_ROUNDS} rounds",
        )

    def progress(self, assignment_id: str, question_id: str, student_id: str) -> QuestionProgress:
        key = {"assignment_id": assignment_id, "question_id": question_id, "student_id": student_id}
        with mapped_errors(f"progress {assignment_id}"):
            document = self._answers.find_one(key)
        return QuestionProgress() if document is None else _progress(document)

    def assignment_progress(self, assignment_id: str) -> dict[str, dict[str, QuestionProgress]]:
        found: dict[str, dict[str, QuestionProgress]] = {}
        with mapped_errors(f"results {assignment_id}"):
            for document in self._answers.find({"assignment_id": assignment_id}):
                by_question = found.setdefault(document["student_id"], {})
                by_question[document["question_id"]] = _progress(document)
        return found

    def student_progress(
        self, student_id: str, assignment_id: str | None = None
    ) -> dict[str, dict[str, QuestionProgress]]:
        query: Document = {"student_id": student_id}
        if assignment_id is not None:
            query["assignment_id"] = assignment_id
        found: dict[str, dict[str, QuestionProgress]] = {}
        with mapped_errors(f"results of {student_id}"):
            for document in self._answers.find(query):
                by_question = found.setdefault(document["assignment_id"], {})
                by_question[document["question_id"]] = _progress(document)
        return found

    def mark_revealed(
        self, assignment_id: str, question_id: str, student_id: str, at: float
    ) -> None:
        key = {"assignment_id": assignment_id, "question_id": question_id, "student_id": student_id}
        with mapped_errors(f"reveal {assignment_id}"):
            # Matches a missing or null field: the first reveal is kept.
            self._answers.update_one({**key, "revealed_at": None}, {"$set": {"revealed_at": at}})

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
        """A compare-and-set: the change is written only if the best answer and its override
        are still those it was computed from; otherwise it is computed again from the new ones.
        Then it is logged (a second document: no multi-document transaction on a standalone
        server, so an interruption in between loses the log entry, never the change)."""
        key = {"assignment_id": assignment_id, "question_id": question_id, "student_id": student_id}
        with mapped_errors(f"override score {assignment_id}"):
            for _ in range(_OVERRIDE_ROUNDS):
                document = self._answers.find_one(key)
                if document is None:
                    raise NotFoundError(
                        NOT_ANSWERED, detail=f"mongodb: no answer to override: {key}"
                    )
                before = _progress(document)
                if score is not None:
                    after = before.overridden_by(score, by=by, at=at)
                elif before.overridden:
                    after = before.without_override(self._logged_best(key))
                else:
                    return before, before
                unchanged = {
                    field: document.get(field) for field in ("best_score", "reached_at", "override")
                }
                change = {"$set": _best_fields(after)}
                if self._answers.update_one({**key, **unchanged}, change).matched_count:
                    self._overrides.insert_one(
                        {
                            **key,
                            "teacher_id": by,
                            "at": at,
                            "old_score": before.best_score,
                            "new_score": after.best_score,
                            "cleared": score is None,
                        }
                    )
                    return before, after
        raise ConflictError(
            "This score changed while you were setting it. Please try again.",
            detail=f"mongodb override score {key}: still changing after {_OVERRIDE_ROUNDS} rounds",
            transient=True,
        )

    def leaderboard(
        self, assignment_id: str, question_id: str, limit: int
    ) -> list[LeaderboardEntry]:
        if limit <= 0:
            return []  # MongoDB reads a limit of 0 as "no limit"
        with mapped_errors(f"leaderboard {assignment_id}"):
            cursor = (
                self._answers.find(
                    {"assignment_id": assignment_id, "question_id": question_id},
                    {"student_id": True, "best_score": True},
                )
                .sort(
                    [
                        ("best_score", DESCENDING),
                        ("reached_at", ASCENDING),
                        ("student_id", ASCENDING),
                    ]
                )
                .limit(limit)
            )
            return [
                LeaderboardEntry(
                    rank=rank, student_id=document["student_id"], best_score=document["best_score"]
                )
                for rank, document in enumerate(cursor, start=1)
            ]

    def _logged_best(self, key: Document) -> AnswerRecord | None:
        """The best counted answer in the log: the highest score, the first of equals."""
        document = self._log.find_one(
            {**key, "counted": True}, sort=[("score", DESCENDING), ("submitted_at", ASCENDING)]
        )
        if document is None:
            return None
        return AnswerRecord(
            assignment_id=key["assignment_id"],
            question_id=key["question_id"],
            student_id=key["student_id"],
            answer=document["answer"],
            score=document["score"],
            submitted_at=document["submitted_at"],
            engine=document.get("engine", ""),
            flags=tuple(document.get("flags", ())),
        )

    def delete_for_assignment(self, assignment_id: str) -> None:
        with mapped_errors(f"delete answers {assignment_id}"):
            self._answers.delete_many({"assignment_id": assignment_id})
            self._log.delete_many({"assignment_id": assignment_id})
            self._overrides.delete_many({"assignment_id": assignment_id})


def _progress(document: Document) -> QuestionProgress:
    """Rows written before scorers and overrides were recorded have neither."""
    override = document.get("override")
    return QuestionProgress(
        attempts=int(document["attempts"]),
        best_score=float(document["best_score"]),
        revealed_at=document.get("revealed_at"),
        answer=document["answer"],
        reached_at=document["reached_at"],
        engine=document.get("engine", ""),
        flags=tuple(document.get("flags", ())),
        override=None if override is None else ScoreOverride(**override),
    )


def _best_fields(progress: QuestionProgress) -> Document:
    """The best answer's fields as stored; `override` is `{scored, by, at}` or null."""
    kept = progress.override
    return {
        "best_score": progress.best_score,
        "answer": progress.answer,
        "reached_at": progress.reached_at,
        "engine": progress.engine,
        "flags": list(progress.flags),
        "override": None if kept is None else {"scored": kept.scored, "by": kept.by, "at": kept.at},
    }


def _account(document: Document) -> Account:
    return Account(
        username=document["_id"],
        role=Role(document["role"]),
        password_hash=document["password_hash"],
        created_at=document["created_at"],
    )


class MongoAccountRepository:
    def __init__(self, database: Database[Document]) -> None:
        self._accounts: Collection[Document] = database["accounts"]
        self._sessions: Collection[Document] = database["sessions"]
        self.ensure_indexes()

    def ensure_indexes(self) -> None:
        """The TTL index lets the server purge expired sessions; it needs a BSON date, kept
        beside the exact float `expires_at` because dates only hold milliseconds. The user
        name index serves revoking one account's sessions without a collection scan."""
        with mapped_errors("create session indexes"):
            self._sessions.create_index("purge_at", name="expiry", expireAfterSeconds=0)
            self._sessions.create_index("username", name="by_user")

    def add(self, account: Account) -> None:
        with mapped_errors(f"add account {account.username}"):
            self._accounts.insert_one(
                {
                    "_id": account.username,
                    "role": account.role.value,
                    "password_hash": account.password_hash,
                    "created_at": account.created_at,
                }
            )

    def get(self, username: str) -> Account | None:
        with mapped_errors(f"get account {username}"):
            document = self._accounts.find_one({"_id": username})
        return None if document is None else _account(document)

    def count(self) -> int:
        with mapped_errors("count accounts"):
            return self._accounts.count_documents({})

    def list_accounts(self) -> list[Account]:
        with mapped_errors("list accounts"):
            return [_account(document) for document in self._accounts.find().sort("_id")]

    def update(self, account: Account) -> bool:
        with mapped_errors(f"update account {account.username}"):
            result = self._accounts.update_one(
                {"_id": account.username},
                {"$set": {"role": account.role.value, "password_hash": account.password_hash}},
            )
        return result.matched_count > 0

    def delete(self, username: str) -> bool:
        """No multi-document transaction (it needs a replica set): the account goes first."""
        with mapped_errors(f"delete account {username}"):
            deleted = self._accounts.delete_one({"_id": username}).deleted_count > 0
            self._sessions.delete_many({"username": username})
        return deleted

    def delete_sessions(self, username: str) -> int:
        with mapped_errors(f"delete sessions of {username}"):
            return self._sessions.delete_many({"username": username}).deleted_count

    def add_session(self, session: Session) -> None:
        with mapped_errors(f"add session for {session.username}"):
            self._sessions.insert_one(
                {
                    "_id": session.token_hash,
                    "username": session.username,
                    "role": session.role.value,
                    "expires_at": session.expires_at,
                    "purge_at": datetime.fromtimestamp(session.expires_at, UTC),
                }
            )

    def get_session(self, token_hash: str) -> Session | None:
        # The TTL monitor runs about once a minute, so expiry is also checked here.
        with mapped_errors("get session"):
            document = self._sessions.find_one(
                {"_id": token_hash, "expires_at": {"$gt": time.time()}}
            )
        if document is None:
            return None
        return Session(
            token_hash=document["_id"],
            username=document["username"],
            role=Role(document["role"]),
            expires_at=document["expires_at"],
        )

    def delete_session(self, token_hash: str) -> None:
        with mapped_errors("delete session"):
            self._sessions.delete_one({"_id": token_hash})


class MongoDraftRepository:
    def __init__(self, database: Database[Document]) -> None:
        self._drafts: Collection[Document] = database["drafts"]
        self.ensure_indexes()

    def ensure_indexes(self) -> None:
        with mapped_errors("create draft indexes"):
            self._drafts.create_index("image.key", name="by_image", sparse=True)

    def get(self, username: str) -> Draft | None:
        with mapped_errors(f"get draft of {username}"):
            document = self._drafts.find_one({"_id": username}, {"_id": False})
        return None if document is None else Draft.from_document(document)

    def save(self, username: str, draft: Draft, *, expected_version: int) -> None:
        """An insert (the `_id` refuses a second) or a `replace_one` filtered on the version:
        either way the server makes it a compare-and-set."""
        stored = {"_id": username, **draft.to_document()}
        with mapped_errors(f"save draft of {username}"):
            if expected_version == NO_DRAFT:
                saved = self._insert(stored)
            else:
                matching = {"_id": username, "version": expected_version}
                saved = self._drafts.replace_one(matching, stored).matched_count > 0
            if saved:
                return
            current = self._drafts.find_one({"_id": username}, {"version": True})
        version = NO_DRAFT if current is None else int(current["version"])
        raise draft_changed_meanwhile(username, version, expected_version, where="mongodb")

    def _insert(self, document: Document) -> bool:
        """False when the user name already has a draft."""
        try:
            self._drafts.insert_one(document)
        except DuplicateKeyError:
            return False
        return True

    def delete(self, username: str) -> Draft | None:
        with mapped_errors(f"delete draft of {username}"):
            document = self._drafts.find_one_and_delete({"_id": username}, {"_id": False})
        return None if document is None else Draft.from_document(document)

    def image_keys(self) -> set[str]:
        with mapped_errors("list draft image keys"):
            cursor = self._drafts.find({"image.key": {"$exists": True}}, {"image.key": True})
            return {str(document["image"]["key"]) for document in cursor}

    def names_image(self, key: str) -> bool:
        with mapped_errors("find draft by image"):
            return self._drafts.find_one({"image.key": key}, {"_id": True}) is not None
