"""One contract per repository port, run against SQLite, mongomock and, when `MONGODB_URI` is
set, a real MongoDB server; then what only one backend can show (threads, locks, indexes)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import mongomock
import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.adapters.local.sqlite_db import SCHEMA_VERSION, SqliteDatabase
from eduportal.adapters.local.sqlite_repositories import (
    SqliteAccountRepository,
    SqliteAnswerRepository,
    SqliteAssignmentRepository,
    SqliteDraftRepository,
)
from eduportal.adapters.mongo import (
    Document,
    MongoAccountRepository,
    MongoAnswerRepository,
    MongoAssignmentRepository,
    MongoDraftRepository,
    mongo_database,
)
from eduportal.domain.accounts import Account, Role, Session
from eduportal.domain.assignments import (
    LEGACY_QUESTION_NUMBERS,
    Assignment,
    EditedQuestion,
    ImageLock,
    ImageUpload,
    OwnImage,
    QuestionAnswer,
    UploadState,
)
from eduportal.domain.drafts import NO_DRAFT, Draft, DraftImage, DraftQuestion
from eduportal.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    StorageUnavailableError,
)
from eduportal.domain.grading import (
    LEADERBOARD_SIZE,
    AnswerRecord,
    QuestionProgress,
    ScoreOverride,
)
from eduportal.domain.images import ImageFigures, UploadStatus
from eduportal.domain.keys import generated_image_key, new_draft_image_key
from eduportal.ports import (
    AccountRepository,
    AnswerRepository,
    AssignmentRepository,
    DraftRepository,
)
from tests.support.fixture_types import MongoDatabase
from tests.support.images import PLACEHOLDER
from tests.support.threads import run_together

ARCHITECTURE_FIELDS = {
    "assignment_id",
    "teacher_id",
    "prompt",
    "question_answers",
    "s3_image_key",
    "cloudfront_url",
    "image_metadata",
    "s3_upload_status",
    "s3_upload_attempts",
    "created_at",
    "title",
    "version",
    "image_lock",
    "subject",
    "last_question_number",
    "thumbnail_keys",
    "image_upload",
    "content_version",
    "image_alt",
    "image_alt_edited",
}
FUTURE = 4_102_444_800.0  # 2100-01-01: far enough that no test session expires by itself


@dataclass(frozen=True)
class Backend:
    assignments: AssignmentRepository
    answers: AnswerRepository
    accounts: AccountRepository
    drafts: DraftRepository
    stored_assignment: Callable[[str], Document]
    """The assignment document as the database holds it, storage key aside."""
    stored_attempts: Callable[[str, str, str], int]
    logged_answers: Callable[[str], list[tuple[str, float, bool]]]
    """(student, score, counted) of every answer logged for an assignment, oldest first."""
    logged_scorers: Callable[[str], list[tuple[str, tuple[str, ...]]]]
    """(engine, flags) of every answer logged for an assignment, oldest first."""
    logged_overrides: Callable[[str], list[tuple[str, str, float, float, float, bool]]]
    """(student, teacher, at, old score, new score, cleared) of every override logged for an
    assignment, oldest first."""
    insert_document: Callable[[Document], None]
    """Store an assignment document as it is, as an older version of eduportal wrote it."""


def sqlite_backend(db: SqliteDatabase) -> Backend:
    def stored_assignment(assignment_id: str) -> Document:
        (row,) = db.query(
            "test", "SELECT document FROM assignments WHERE assignment_id = ?", (assignment_id,)
        )
        document: Document = json.loads(row["document"])
        return document

    def stored_attempts(assignment_id: str, question_id: str, student_id: str) -> int:
        (row,) = db.query(
            "test",
            "SELECT attempts FROM answers"
            " WHERE assignment_id = ? AND question_id = ? AND student_id = ?",
            (assignment_id, question_id, student_id),
        )
        return int(row["attempts"])

    def logged_answers(assignment_id: str) -> list[tuple[str, float, bool]]:
        rows = db.query(
            "test",
            "SELECT student_id, score, counted FROM answer_log WHERE assignment_id = ?"
            " ORDER BY submitted_at",
            (assignment_id,),
        )
        return [(row["student_id"], row["score"], bool(row["counted"])) for row in rows]

    def logged_scorers(assignment_id: str) -> list[tuple[str, tuple[str, ...]]]:
        rows = db.query(
            "test",
            "SELECT engine, flags FROM answer_log WHERE assignment_id = ? ORDER BY submitted_at",
            (assignment_id,),
        )
        return [(row["engine"], tuple(json.loads(row["flags"]))) for row in rows]

    def logged_overrides(assignment_id: str) -> list[tuple[str, str, float, float, float, bool]]:
        rows = db.query(
            "test",
            "SELECT student_id, teacher_id, at, old_score, new_score, cleared"
            " FROM score_overrides WHERE assignment_id = ? ORDER BY at",
            (assignment_id,),
        )
        return [(*tuple(row)[:5], bool(row["cleared"])) for row in rows]

    def insert_document(document: Document) -> None:
        with db.transaction("test") as connection:
            connection.execute(
                "INSERT INTO assignments (assignment_id, teacher_id, created_at, document)"
                " VALUES (?, ?, ?, ?)",
                (
                    document["assignment_id"],
                    document["teacher_id"],
                    document["created_at"],
                    json.dumps(document),
                ),
            )

    return Backend(
        SqliteAssignmentRepository(db),
        SqliteAnswerRepository(db),
        SqliteAccountRepository(db),
        SqliteDraftRepository(db),
        stored_assignment,
        stored_attempts,
        logged_answers,
        logged_scorers,
        logged_overrides,
        insert_document,
    )


def mongo_backend(database: Any) -> Backend:
    def stored_assignment(assignment_id: str) -> Document:
        document: Document = database["assignments"].find_one({"_id": assignment_id})
        assert document.pop("_id") == assignment_id
        return document

    def stored_attempts(assignment_id: str, question_id: str, student_id: str) -> int:
        key = {"assignment_id": assignment_id, "question_id": question_id}
        document = database["answers"].find_one({**key, "student_id": student_id})
        return int(document["attempts"])

    def logged_answers(assignment_id: str) -> list[tuple[str, float, bool]]:
        cursor = database["answer_log"].find({"assignment_id": assignment_id}).sort("submitted_at")
        return [(doc["student_id"], doc["score"], doc["counted"]) for doc in cursor]

    def logged_scorers(assignment_id: str) -> list[tuple[str, tuple[str, ...]]]:
        cursor = database["answer_log"].find({"assignment_id": assignment_id}).sort("submitted_at")
        return [(doc["engine"], tuple(doc["flags"])) for doc in cursor]

    def logged_overrides(assignment_id: str) -> list[tuple[str, str, float, float, float, bool]]:
        cursor = database["score_overrides"].find({"assignment_id": assignment_id}).sort("at")
        return [
            (
                d["student_id"],
                d["teacher_id"],
                d["at"],
                d["old_score"],
                d["new_score"],
                d["cleared"],
            )
            for d in cursor
        ]

    def insert_document(document: Document) -> None:
        database["assignments"].insert_one({"_id": document["assignment_id"], **document})

    return Backend(
        MongoAssignmentRepository(database),
        MongoAnswerRepository(database),
        MongoAccountRepository(database),
        MongoDraftRepository(database),
        stored_assignment,
        stored_attempts,
        logged_answers,
        logged_scorers,
        logged_overrides,
        insert_document,
    )


@pytest.fixture
def backend(database: SqliteDatabase | MongoDatabase) -> Backend:
    if isinstance(database, SqliteDatabase):
        return sqlite_backend(database)
    return mongo_backend(database)


@pytest.fixture
def threaded_backend(backend: Backend, database: SqliteDatabase | MongoDatabase) -> Backend:
    """The backend of a test whose threads race: not mongomock, whose updates are not atomic
    across threads (it has no server to serialize them; a CI run saw two compare-and-sets of
    one value both succeed), so only SQLite and a real MongoDB can show the property."""
    if isinstance(database, mongomock.Database):
        pytest.skip("mongomock is not atomic across threads; a real MongoDB (MONGODB_URI) is")
    return backend


def make_assignment(
    assignment_id: str = "0001700000000-abc123",
    *,
    teacher_id: str = "teacher-1",
    created_at: float = 1_700_000_000.0,
    with_image: bool = True,
    prompt: str = "Photosynthesis turns light into chemical energy.",
    title: str = "",
    subject: str | None = None,
) -> Assignment:
    questions = tuple(
        QuestionAnswer(id=f"q{n}", question=f"Question {n}?", answer=f"Answer {n}.")
        for n in range(1, 6)
    )
    assignment = Assignment(
        assignment_id=assignment_id,
        teacher_id=teacher_id,
        prompt=prompt,
        question_answers=questions,
        created_at=created_at,
        title=title,
        subject=subject,
    )
    if not with_image:
        return assignment
    return replace(
        assignment,
        s3_image_key=generated_image_key(assignment_id),
        cloudfront_url=f"https://d123.cloudfront.net/generated_images/{assignment_id}.webp",
        image_metadata=make_figures(),
        s3_upload_status=UploadStatus.SUCCESS,
        s3_upload_attempts=2,
    )


def make_figures() -> ImageFigures:
    return ImageFigures(
        original_size_bytes=1_048_576,
        optimized_size_bytes=262_144,
        compression_ratio=0.75,
        format="WEBP",
        dimensions="1024x1024",
    )


def answer(
    student: str,
    score: float,
    at: float,
    *,
    assignment_id: str = "a1",
    question_id: str = "q1",
    engine: str = "lexical",
    flags: tuple[str, ...] = (),
) -> AnswerRecord:
    return AnswerRecord(
        assignment_id=assignment_id,
        question_id=question_id,
        student_id=student,
        answer=f"{student} says {score}",
        score=score,
        submitted_at=at,
        engine=engine,
        flags=flags,
    )


# --- AssignmentRepository ---------------------------------------------------------------------


@pytest.mark.parametrize("with_image", [True, False])
def test_added_assignment_reads_back_equal(backend: Backend, with_image: bool) -> None:
    assignment = make_assignment(with_image=with_image)
    backend.assignments.add(assignment)
    assert backend.assignments.get(assignment.assignment_id) == assignment


def test_stored_document_has_exactly_the_architecture_fields(backend: Backend) -> None:
    assignment = make_assignment()
    backend.assignments.add(assignment)
    stored = backend.stored_assignment(assignment.assignment_id)
    assert set(stored) == ARCHITECTURE_FIELDS
    assert stored == assignment.to_document()
    assert stored["s3_image_key"] == f"generated_images/{assignment.assignment_id}.webp"


def test_adding_an_existing_id_is_a_conflict_and_keeps_the_original(backend: Backend) -> None:
    original = make_assignment()
    backend.assignments.add(original)
    with pytest.raises(ConflictError):
        backend.assignments.add(replace(original, prompt="Something else entirely."))
    assert backend.assignments.get(original.assignment_id) == original


def test_getting_a_missing_assignment_is_not_found(backend: Backend) -> None:
    with pytest.raises(NotFoundError) as caught:
        backend.assignments.get("0000000000000-000000")
    assert "assignment" in caught.value.user_message


def test_replace_overwrites_the_whole_document(backend: Backend) -> None:
    original = make_assignment()
    backend.assignments.add(original)
    updated = original.without_image().next_version(teacher_id="teacher-2", created_at=1.0)
    backend.assignments.replace(updated, expected_version=1)
    assert backend.assignments.get(original.assignment_id) == updated
    assert backend.assignments.get(original.assignment_id).version == 2
    assert backend.assignments.count(teacher_id="teacher-1") == 0
    assert backend.assignments.count(teacher_id="teacher-2") == 1


def test_replace_from_a_stale_version_is_a_conflict_and_changes_nothing(backend: Backend) -> None:
    original = make_assignment()
    backend.assignments.add(original)
    first = original.next_version(prompt="First edit.")
    backend.assignments.replace(first, expected_version=1)
    with pytest.raises(ConflictError) as caught:
        backend.assignments.replace(original.next_version(prompt="Stale."), expected_version=1)
    assert "reload" in caught.value.user_message
    assert backend.assignments.get(original.assignment_id) == first


def test_replacing_a_missing_assignment_is_not_found_and_creates_nothing(
    backend: Backend,
) -> None:
    with pytest.raises(NotFoundError):
        backend.assignments.replace(make_assignment(), expected_version=1)
    assert backend.assignments.count() == 0


def test_delete_reports_whether_something_was_deleted(backend: Backend) -> None:
    assignment = make_assignment()
    backend.assignments.add(assignment)
    assert backend.assignments.delete(assignment.assignment_id, expected_version=1) is True
    assert backend.assignments.delete(assignment.assignment_id, expected_version=1) is False
    with pytest.raises(NotFoundError):
        backend.assignments.get(assignment.assignment_id)


def test_delete_from_a_stale_version_is_a_conflict_and_keeps_the_assignment(
    backend: Backend,
) -> None:
    original = make_assignment()
    backend.assignments.add(original)
    backend.assignments.replace(original.next_version(prompt="Edited."), expected_version=1)
    with pytest.raises(ConflictError):
        backend.assignments.delete(original.assignment_id, expected_version=1)
    assert backend.assignments.get(original.assignment_id).version == 2


def test_concurrent_compare_and_set_lets_exactly_one_writer_win(threaded_backend: Backend) -> None:
    backend = threaded_backend
    original = make_assignment()
    backend.assignments.add(original)
    writers = 8
    outcomes: list[str] = []

    def write(n: int) -> None:
        try:
            backend.assignments.replace(
                original.next_version(prompt=f"Writer {n}."), expected_version=1
            )
            outcomes.append(f"won {n}")
        except ConflictError:
            outcomes.append("conflict")

    assert run_together(write, writers) == []
    winners = [outcome for outcome in outcomes if outcome.startswith("won")]
    assert len(winners) == 1 and outcomes.count("conflict") == writers - 1
    stored = backend.assignments.get(original.assignment_id)
    assert stored.version == 2 and stored.prompt == f"Writer {winners[0].split()[1]}."


def test_an_image_lock_round_trips(backend: Backend) -> None:
    locked = make_assignment().next_version(image_lock=ImageLock("owner-1", 123.5))
    backend.assignments.add(locked)
    stored = backend.assignments.get(locked.assignment_id)
    assert stored.image_lock == ImageLock("owner-1", 123.5)
    assert stored.locked_at(123.0) and not stored.locked_at(124.0)


def test_list_is_newest_first_and_pages(backend: Backend) -> None:
    # Inserted out of order, with two sharing a timestamp: the later id comes first then.
    created = [5.0, 1.0, 7.0, 3.0, 3.0, 6.0, 2.0]
    for n, at in enumerate(created):
        backend.assignments.add(make_assignment(f"a{n}", created_at=at))
    expected = ["a2", "a5", "a0", "a4", "a3", "a6", "a1"]

    def ids(limit: int, offset: int = 0) -> list[str]:
        return [a.assignment_id for a in backend.assignments.list(limit=limit, offset=offset)]

    assert ids(limit=100) == expected
    assert ids(limit=3) == expected[:3]
    assert ids(limit=3, offset=3) == expected[3:6]
    assert ids(limit=3, offset=6) == expected[6:]
    assert ids(limit=3, offset=7) == []
    assert ids(limit=0) == []


def test_list_and_count_filter_by_teacher(backend: Backend) -> None:
    for n in range(5):
        teacher = "alice" if n % 2 == 0 else "bob"
        backend.assignments.add(make_assignment(f"a{n}", teacher_id=teacher, created_at=n))
    alice = backend.assignments.list(limit=10, teacher_id="alice")
    assert [a.assignment_id for a in alice] == ["a4", "a2", "a0"]
    assert [
        a.assignment_id for a in backend.assignments.list(limit=1, offset=1, teacher_id="bob")
    ] == ["a1"]
    assert backend.assignments.count() == 5
    assert backend.assignments.count(teacher_id="alice") == 3
    assert backend.assignments.count(teacher_id="bob") == 2
    assert backend.assignments.count(teacher_id="carol") == 0
    assert backend.assignments.list(limit=10, teacher_id="carol") == []


def test_a_subject_and_the_highest_question_number_are_stored(backend: Backend) -> None:
    edited = make_assignment(subject="Biology").with_questions(
        [EditedQuestion("q2", "Two lines?\nYes.", "Line one.\r\nLine two.")]
    )
    backend.assignments.add(edited)
    stored = backend.stored_assignment(edited.assignment_id)
    assert stored["subject"] == "Biology" and stored["last_question_number"] == 5
    assert backend.assignments.get(edited.assignment_id) == edited


def test_a_document_from_before_subjects_and_stable_ids_still_loads(backend: Backend) -> None:
    """The two fields are absent from documents saved before they existed."""
    document = make_assignment().to_document()
    del document["subject"], document["last_question_number"], document["version"]
    backend.insert_document(document)
    loaded = backend.assignments.get(document["assignment_id"])
    assert loaded.subject is None
    assert loaded.last_question_number == LEGACY_QUESTION_NUMBERS
    assert [qa.id for qa in loaded.question_answers] == ["q1", "q2", "q3", "q4", "q5"]


def test_alt_text_and_who_wrote_it_are_stored_and_old_documents_have_none(
    backend: Backend,
) -> None:
    described = replace(
        make_assignment(), image_alt="Mitochondria, illustrating “Cells”.", image_alt_edited=True
    )
    backend.assignments.add(described)
    stored = backend.stored_assignment(described.assignment_id)
    assert (stored["image_alt"], stored["image_alt_edited"]) == (described.image_alt, True)
    assert backend.assignments.get(described.assignment_id) == described

    document = make_assignment("old").to_document()
    del document["image_alt"], document["image_alt_edited"]
    backend.insert_document(document)
    old = backend.assignments.get("old")
    assert (old.image_alt, old.image_alt_edited) == (None, False)


def test_an_awaited_own_image_keeps_its_alt_text_until_adopted(backend: Backend) -> None:
    chosen = OwnImage("0001700000000-9f8e7d6c", "Your image: cell.png", "A cell dividing.")
    awaiting = make_assignment(with_image=False).awaiting(ImageUpload.of(chosen, 1.0))
    backend.assignments.add(awaiting)
    assert backend.stored_assignment(awaiting.assignment_id)["image_upload"]["alt"] == (
        "A cell dividing."
    )
    assert backend.assignments.get(awaiting.assignment_id) == awaiting


def test_an_awaited_upload_thumbnails_and_the_content_version_are_stored(
    backend: Backend,
) -> None:
    awaiting = (
        make_assignment(with_image=False)
        .awaiting(ImageUpload("0001700000000-9f8e7d6c", "Your image: ü.png", 1_700_000_001.5))
        .next_version()
    )
    backend.assignments.add(awaiting)
    stored = backend.stored_assignment(awaiting.assignment_id)
    assert stored["image_upload"] == {
        "image_id": "0001700000000-9f8e7d6c",
        "label": "Your image: ü.png",
        "since": 1_700_000_001.5,
        "state": "pending",
        "message": None,
        "alt": None,
    }
    assert (stored["s3_upload_status"], stored["content_version"]) == ("pending", 1)
    assert backend.assignments.get(awaiting.assignment_id) == awaiting

    thumbnails = ("thumbnails/0001700000000-9f8e7d6c/128.webp",)
    adopted = awaiting.with_image(
        "processed/0001700000000-9f8e7d6c.webp", None, make_figures(), 1, thumbnails
    ).next_version()
    backend.assignments.replace(adopted, expected_version=awaiting.version)
    assert backend.assignments.get(adopted.assignment_id) == adopted
    assert backend.stored_assignment(adopted.assignment_id)["thumbnail_keys"] == list(thumbnails)


def test_a_refused_upload_keeps_its_state_and_sentence(backend: Backend) -> None:
    refused = (
        make_assignment()
        .awaiting(ImageUpload("img-1", "Your image: notes.png", 5.0))
        .refused(UploadState.REJECTED, "This file is not an image we can read.")
    )
    backend.assignments.add(refused)
    assert backend.assignments.get(refused.assignment_id) == refused
    assert backend.stored_assignment(refused.assignment_id)["image_upload"]["state"] == "rejected"


def test_awaiting_image_finds_only_those_awaiting_that_upload(backend: Backend) -> None:
    def awaiting(assignment_id: str, image_id: str) -> Assignment:
        upload = ImageUpload(image_id, "Your image: a.png", 1.0)
        return make_assignment(assignment_id).awaiting(upload)

    backend.assignments.add(awaiting("a1", "img-1"))
    backend.assignments.add(awaiting("a2", "img-1"))  # two tabs saved the same draft
    backend.assignments.add(awaiting("a3", "img-2"))
    backend.assignments.add(
        awaiting("a4", "img-1").refused(UploadState.FAILED, "It could not be processed.")
    )
    backend.assignments.add(make_assignment("a5"))
    found = backend.assignments.awaiting_image("img-1")
    assert sorted(a.assignment_id for a in found) == ["a1", "a2"]
    assert [a.assignment_id for a in backend.assignments.awaiting_image("img-2")] == ["a3"]
    assert backend.assignments.awaiting_image("img-3") == []
    settled = found[0].without_image().next_version()
    backend.assignments.replace(settled, expected_version=found[0].version)
    assert len(backend.assignments.awaiting_image("img-1")) == 1


def test_a_document_from_before_own_images_loads_with_its_version_as_content_version(
    backend: Backend,
) -> None:
    document = make_assignment().next_version().to_document()
    del document["thumbnail_keys"], document["image_upload"], document["content_version"]
    backend.insert_document(document)
    loaded = backend.assignments.get(document["assignment_id"])
    assert (loaded.version, loaded.content_version) == (2, 2)  # any change counted, as before
    assert loaded.thumbnail_keys == () and loaded.image_upload is None
    assert loaded.thumbnail_for(96) == loaded.s3_image_key  # shown whole


def test_figures_keep_their_placeholder_and_documents_from_before_have_none(
    backend: Backend,
) -> None:
    figures = replace(make_figures(), placeholder=PLACEHOLDER)
    shown = replace(make_assignment(), image_metadata=figures)
    backend.assignments.add(shown)
    assert backend.stored_assignment(shown.assignment_id)["image_metadata"]["placeholder"] == (
        PLACEHOLDER
    )
    assert backend.assignments.get(shown.assignment_id).image_metadata == figures

    document = make_assignment("0001700000001-abc124").to_document()
    del document["image_metadata"]["placeholder"]
    backend.insert_document(document)
    assert backend.assignments.get(document["assignment_id"]).image_metadata == make_figures()


def searchable(backend: Backend) -> dict[str, Assignment]:
    """Assignments whose title, subject and text hold wildcards of LIKE and of regexes."""
    made = {
        "percent": make_assignment("s1", created_at=1.0, title="Growth: 50% per year"),
        "underscore": make_assignment("s2", created_at=2.0, subject="snake_case names"),
        "regex": make_assignment("s3", created_at=3.0, prompt="Is (a+b)*[c] ^ok$ ok? Yes."),
        "backslash": make_assignment("s4", created_at=4.0, title="C:\\temp\\.* and more"),
        "unicode": make_assignment("s5", created_at=5.0, subject="Ökologie"),
        "plain": make_assignment("s6", created_at=6.0, teacher_id="bob", title="Cell biology"),
    }
    for assignment in made.values():
        backend.assignments.add(assignment)
    return made


@pytest.mark.parametrize(
    ("search", "expected"),
    [
        ("50%", ["percent"]),
        ("%", ["percent"]),
        ("_", ["underscore"]),
        ("e_c", ["underscore"]),
        ("(a+b)*[c]", ["regex"]),
        ("^ok$", ["regex"]),
        (".*", ["backslash"]),
        ("\\temp", ["backslash"]),
        ("ÖKOLOGIE", ["unicode"]),
        ("ökolo", ["unicode"]),
        ("CELL BIO", ["plain"]),
        ("photosynthesis", ["percent", "underscore", "backslash", "unicode", "plain"]),
        ("a.b", []),
        ("5_%", []),
    ],
)
def test_search_matches_title_subject_and_text_literally_ignoring_case(
    backend: Backend, search: str, expected: list[str]
) -> None:
    made = searchable(backend)
    newest_first = [made[name].assignment_id for name in made if name in expected][::-1]
    found = backend.assignments.list(limit=10, search=search)
    assert [a.assignment_id for a in found] == newest_first
    assert backend.assignments.count(search=search) == len(expected)


def test_search_pages_and_combines_with_the_teacher(backend: Backend) -> None:
    for n in range(5):
        teacher = "alice" if n % 2 == 0 else "bob"
        backend.assignments.add(
            make_assignment(f"a{n}", teacher_id=teacher, created_at=n, title=f"Topic {n} cells")
        )
    backend.assignments.add(make_assignment("other", created_at=9.0, title="Nothing here"))
    page = backend.assignments.list(limit=2, offset=1, search="CELLS")
    assert [a.assignment_id for a in page] == ["a3", "a2"]
    assert backend.assignments.count(search="cells") == 5
    alices = backend.assignments.list(limit=10, teacher_id="alice", search="cells")
    assert [a.assignment_id for a in alices] == ["a4", "a2", "a0"]
    assert backend.assignments.count(teacher_id="alice", search="cells") == 3
    assert backend.assignments.count(teacher_id="bob", search="topic 4") == 0


def test_check_passes_on_a_working_database(backend: Backend) -> None:
    backend.assignments.check()


# --- AnswerRepository -------------------------------------------------------------------------


def test_first_answer_sets_the_best_score(backend: Backend) -> None:
    assert backend.answers.progress("a1", "q1", "sam").best_score is None
    assert backend.answers.record(answer("sam", 42.5, at=1.0)) == 42.5
    assert backend.answers.progress("a1", "q1", "sam").best_score == 42.5
    assert backend.stored_attempts("a1", "q1", "sam") == 1


def test_a_lower_later_score_does_not_replace_the_best(backend: Backend) -> None:
    backend.answers.record(answer("sam", 80.0, at=1.0))
    assert backend.answers.record(answer("sam", 30.0, at=2.0)) == 80.0
    assert backend.answers.progress("a1", "q1", "sam").best_score == 80.0
    assert backend.answers.record(answer("sam", 90.0, at=3.0)) == 90.0
    assert backend.answers.progress("a1", "q1", "sam").best_score == 90.0
    assert backend.stored_attempts("a1", "q1", "sam") == 3


def test_the_best_answer_keeps_its_text_engine_and_flags(backend: Backend) -> None:
    flag = "needs a look: 'release' became 'capture'"
    backend.answers.record(answer("sam", 40.0, at=1.0, flags=(flag,)))
    first = backend.answers.progress("a1", "q1", "sam")
    assert (first.answer, first.engine, first.flags) == ("sam says 40.0", "lexical", (flag,))
    backend.answers.record(answer("sam", 60.0, at=2.0, engine="minilm"))
    backend.answers.record(answer("sam", 50.0, at=3.0, engine="usem3", flags=(flag, "x")))
    best = backend.answers.progress("a1", "q1", "sam")
    assert (best.answer, best.engine, best.flags) == ("sam says 60.0", "minilm", ())
    assert best.attempts == 3


def test_every_logged_answer_keeps_its_engine_and_flags(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0, flags=("one", "two")))
    backend.answers.record(answer("sam", 20.0, at=2.0, engine="minilm"))
    backend.answers.record(answer("sam", 90.0, at=3.0, engine="usem3", flags=("x",)), counts=False)
    assert backend.logged_scorers("a1") == [
        ("lexical", ("one", "two")),
        ("minilm", ()),
        ("usem3", ("x",)),
    ]
    assert backend.answers.progress("a1", "q1", "sam").engine == "lexical"


def test_ties_go_to_whoever_reached_the_score_first(backend: Backend) -> None:
    backend.answers.record(answer("ann", 70.0, at=1.0))
    backend.answers.record(answer("bob", 70.0, at=2.0))
    backend.answers.record(answer("ann", 70.0, at=3.0))  # a tie does not move ann's time
    assert [e.student_id for e in backend.answers.leaderboard("a1", "q1", 5)] == ["ann", "bob"]
    # A submission that arrives late but was made earlier counts from when it was made.
    backend.answers.record(answer("bob", 70.0, at=0.5))
    assert [e.student_id for e in backend.answers.leaderboard("a1", "q1", 5)] == ["bob", "ann"]


def test_leaderboard_is_the_top_five_best_scores(backend: Backend) -> None:
    scores = {"ann": 55.0, "bob": 91.0, "cat": 73.5, "dan": 91.0, "eve": 12.0, "fay": 64.0}
    for at, (student, score) in enumerate(scores.items()):
        backend.answers.record(answer(student, score, at=float(at)))
    backend.answers.record(answer("eve", 99.0, at=10.0))  # eve's best now leads
    backend.answers.record(answer("ann", 5.0, at=11.0))  # a worse retry changes nothing
    backend.answers.record(answer("zed", 100.0, at=12.0, question_id="q2"))
    backend.answers.record(answer("zed", 100.0, at=12.0, assignment_id="a2"))

    board = backend.answers.leaderboard("a1", "q1", LEADERBOARD_SIZE)
    assert [(e.rank, e.student_id, e.best_score) for e in board] == [
        (1, "eve", 99.0),
        (2, "bob", 91.0),
        (3, "dan", 91.0),
        (4, "cat", 73.5),
        (5, "fay", 64.0),
    ]
    assert [e.student_id for e in backend.answers.leaderboard("a1", "q1", 2)] == ["eve", "bob"]
    assert backend.answers.leaderboard("a1", "q1", 0) == []
    assert backend.answers.leaderboard("a1", "q9", 5) == []


def test_delete_for_assignment_removes_only_that_assignments_answers(backend: Backend) -> None:
    backend.answers.record(answer("sam", 50.0, at=1.0, assignment_id="gone"))
    backend.answers.record(answer("sam", 60.0, at=1.0, assignment_id="gone", question_id="q2"))
    backend.answers.record(answer("sam", 70.0, at=1.0, assignment_id="kept"))
    backend.answers.delete_for_assignment("gone")
    backend.answers.delete_for_assignment("never-existed")
    assert backend.answers.progress("gone", "q1", "sam").best_score is None
    assert backend.answers.leaderboard("gone", "q2", 5) == []
    assert backend.answers.progress("kept", "q1", "sam").best_score == 70.0
    # A fresh start after deletion, not a continuation of the old row.
    assert backend.answers.record(answer("sam", 10.0, at=2.0, assignment_id="gone")) == 10.0
    assert backend.logged_answers("gone") == [("sam", 10.0, True)]


def test_progress_counts_attempts_and_keeps_the_first_reveal(backend: Backend) -> None:
    assert backend.answers.progress("a1", "q1", "sam") == QuestionProgress()
    backend.answers.record(answer("sam", 40.0, at=1.0))
    backend.answers.record(answer("sam", 30.0, at=2.0))
    backend.answers.mark_revealed("a1", "q1", "sam", at=3.0)
    backend.answers.mark_revealed("a1", "q1", "sam", at=4.0)
    progress = backend.answers.progress("a1", "q1", "sam")
    assert progress == QuestionProgress(
        attempts=2,
        best_score=40.0,
        revealed_at=3.0,
        answer="sam says 40.0",
        reached_at=1.0,
        engine="lexical",
    )
    assert progress.revealed and not backend.answers.progress("a1", "q2", "sam").revealed


def test_an_answer_that_does_not_count_is_logged_but_never_raises_the_best(
    backend: Backend,
) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    best = backend.answers.record(answer("sam", 100.0, at=2.0), counts=False)
    assert best == 40.0
    assert backend.answers.progress("a1", "q1", "sam").best_score == 40.0
    assert backend.answers.leaderboard("a1", "q1", 5)[0].best_score == 40.0
    assert backend.stored_attempts("a1", "q1", "sam") == 2
    assert backend.logged_answers("a1") == [("sam", 40.0, True), ("sam", 100.0, False)]


def test_progress_is_listed_per_assignment_and_per_student(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    backend.answers.record(answer("sam", 55.0, at=2.0, question_id="q2"))
    backend.answers.record(answer("ann", 70.0, at=3.0, flags=("look",)))
    backend.answers.record(answer("sam", 90.0, at=4.0, assignment_id="a2"))
    backend.answers.mark_revealed("a1", "q2", "sam", at=5.0)
    sam_q1 = backend.answers.progress("a1", "q1", "sam")
    sam_q2 = backend.answers.progress("a1", "q2", "sam")
    ann_q1 = backend.answers.progress("a1", "q1", "ann")
    sam_a2 = backend.answers.progress("a2", "q1", "sam")
    assert sam_q2.revealed and ann_q1.flags == ("look",) and sam_q1.reached_at == 1.0

    assert backend.answers.assignment_progress("a1") == {
        "ann": {"q1": ann_q1},
        "sam": {"q1": sam_q1, "q2": sam_q2},
    }
    assert backend.answers.student_progress("sam") == {
        "a1": {"q1": sam_q1, "q2": sam_q2},
        "a2": {"q1": sam_a2},
    }
    assert backend.answers.student_progress("sam", "a2") == {"a2": {"q1": sam_a2}}
    assert backend.answers.assignment_progress("a9") == {}
    assert backend.answers.student_progress("nobody") == {}


# --- overrides ---


def test_an_override_is_the_best_score_until_it_is_cleared(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0, flags=("look",)))
    before, after = backend.answers.override("a1", "q1", "sam", 75.0, by="tess", at=10.0)
    assert before.best_score == 40.0 and before.override is None
    assert after.best_score == 75.0 and after.override == ScoreOverride(40.0, "tess", 10.0)
    stored = backend.answers.progress("a1", "q1", "sam")
    assert stored == after
    assert (stored.answer, stored.flags, stored.attempts) == ("sam says 40.0", ("look",), 1)

    restored, cleared = backend.answers.override("a1", "q1", "sam", None, by="tess", at=11.0)
    assert restored == after
    assert cleared.best_score == 40.0 and cleared.override is None
    assert backend.answers.progress("a1", "q1", "sam") == before


def test_a_second_override_keeps_the_scorers_score_of_the_answer(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    backend.answers.override("a1", "q1", "sam", 75.0, by="tess", at=10.0)
    _, second = backend.answers.override("a1", "q1", "sam", 20.0, by="tess", at=11.0)
    assert second.best_score == 20.0 and second.override == ScoreOverride(40.0, "tess", 11.0)
    _, cleared = backend.answers.override("a1", "q1", "sam", None, by="tess", at=12.0)
    assert cleared.best_score == 40.0


def test_only_a_higher_later_answer_replaces_an_override(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    backend.answers.override("a1", "q1", "sam", 60.0, by="tess", at=10.0)
    assert backend.answers.record(answer("sam", 50.0, at=11.0)) == 60.0
    assert backend.answers.record(answer("sam", 60.0, at=0.5)) == 60.0  # equal, even earlier
    assert backend.answers.record(answer("sam", 99.0, at=12.0), counts=False) == 60.0
    kept = backend.answers.progress("a1", "q1", "sam")
    assert kept.override == ScoreOverride(40.0, "tess", 10.0)
    assert (kept.answer, kept.attempts) == ("sam says 40.0", 4)

    assert backend.answers.record(answer("sam", 70.0, at=13.0, engine="minilm")) == 70.0
    replaced = backend.answers.progress("a1", "q1", "sam")
    assert replaced.best_score == 70.0 and replaced.override is None
    assert (replaced.answer, replaced.engine, replaced.reached_at) == (
        "sam says 70.0",
        "minilm",
        13.0,
    )
    # Nothing to clear any more: nothing changes and nothing is logged.
    unchanged = backend.answers.override("a1", "q1", "sam", None, by="tess", at=14.0)
    assert unchanged == (replaced, replaced)
    assert len(backend.logged_overrides("a1")) == 1


def test_a_lowered_score_is_beaten_by_any_higher_answer(backend: Backend) -> None:
    backend.answers.record(answer("sam", 80.0, at=1.0))
    backend.answers.override("a1", "q1", "sam", 30.0, by="tess", at=10.0)
    assert backend.answers.record(answer("sam", 35.0, at=11.0)) == 35.0
    assert backend.answers.progress("a1", "q1", "sam").override is None


def test_clearing_returns_to_the_best_counted_answer_given_meanwhile(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    backend.answers.override("a1", "q1", "sam", 95.0, by="tess", at=10.0)
    backend.answers.record(answer("sam", 55.0, at=11.0, engine="minilm", flags=("look",)))
    backend.answers.record(answer("sam", 50.0, at=12.0))
    backend.answers.record(answer("sam", 90.0, at=13.0), counts=False)  # after a reveal
    _, cleared = backend.answers.override("a1", "q1", "sam", None, by="tess", at=14.0)
    assert cleared == backend.answers.progress("a1", "q1", "sam")
    assert (cleared.best_score, cleared.answer, cleared.reached_at) == (55.0, "sam says 55.0", 11.0)
    assert (cleared.engine, cleared.flags, cleared.override) == ("minilm", ("look",), None)
    assert cleared.attempts == 4


def test_the_leaderboard_ranks_by_the_overridden_score(backend: Backend) -> None:
    backend.answers.record(answer("ann", 90.0, at=1.0))
    backend.answers.record(answer("bob", 50.0, at=2.0))
    backend.answers.record(answer("cat", 70.0, at=3.0))
    backend.answers.override("a1", "q1", "bob", 95.0, by="tess", at=10.0)
    backend.answers.override("a1", "q1", "ann", 60.0, by="tess", at=11.0)
    board = backend.answers.leaderboard("a1", "q1", LEADERBOARD_SIZE)
    assert [(e.student_id, e.best_score) for e in board] == [
        ("bob", 95.0),
        ("cat", 70.0),
        ("ann", 60.0),
    ]
    backend.answers.override("a1", "q1", "bob", None, by="tess", at=12.0)
    board = backend.answers.leaderboard("a1", "q1", LEADERBOARD_SIZE)
    assert [e.student_id for e in board] == ["cat", "ann", "bob"]


def test_overriding_an_unanswered_question_is_not_found(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    for student, question in (("ann", "q1"), ("sam", "q2")):
        for score in (50.0, None):
            with pytest.raises(NotFoundError) as caught:
                backend.answers.override("a1", question, student, score, by="tess", at=2.0)
            assert "not answered" in caught.value.user_message
    assert backend.answers.progress("a1", "q1", "ann") == QuestionProgress()
    assert backend.logged_overrides("a1") == []


def test_overrides_are_logged_with_who_when_old_and_new(backend: Backend) -> None:
    backend.answers.record(answer("sam", 40.0, at=1.0))
    backend.answers.override("a1", "q1", "sam", 75.0, by="tess", at=10.0)
    backend.answers.override("a1", "q1", "sam", 20.0, by="tom", at=11.0)
    backend.answers.override("a1", "q1", "sam", None, by="tess", at=12.0)
    backend.answers.override("a1", "q1", "sam", None, by="tess", at=13.0)  # nothing to clear
    assert backend.logged_overrides("a1") == [
        ("sam", "tess", 10.0, 40.0, 75.0, False),
        ("sam", "tom", 11.0, 75.0, 20.0, False),
        ("sam", "tess", 12.0, 20.0, 40.0, True),
    ]
    backend.answers.delete_for_assignment("a1")
    assert backend.logged_overrides("a1") == []


def test_concurrent_overrides_lose_no_update(threaded_backend: Backend) -> None:
    backend = threaded_backend
    backend.answers.record(answer("sam", 40.0, at=1.0))
    writers = 8

    def write(n: int) -> None:
        for round_ in range(3):
            score = n * 10 + round_ + 0.5  # every one unique, none 40.0
            backend.answers.override("a1", "q1", "sam", score, by=f"t{n}", at=n + round_ / 10)

    assert run_together(write, writers) == []
    stored = backend.answers.progress("a1", "q1", "sam")
    assert stored.override is not None and stored.override.scored == 40.0
    # Each override's old score is the one before it wrote: a chain with no gap. The log is
    # sorted by `at`, which is not the order they landed in, so the chain is followed by value.
    logged = backend.logged_overrides("a1")
    assert len(logged) == writers * 3
    new_by_old = {old: new for _, _, _, old, new, _ in logged}
    assert len(new_by_old) == writers * 3  # no two overrides read the same old score
    score, chain = 40.0, 0
    while score in new_by_old:
        score, chain = new_by_old[score], chain + 1
    assert chain == writers * 3 and score == stored.best_score


_SCORES = st.integers(min_value=0, max_value=1000).map(lambda tenths: tenths / 10)
_STUDENTS = st.sampled_from(["ann", "bob", "cat", "dan", "eve", "fay", "gus"])


# Portal property (ARCHITECTURE.md, flow 3): the best score per student and question is kept,
# and the leaderboard is the top five of those, highest first, ties to the earliest.
@given(submissions=st.lists(st.tuples(_STUDENTS, _SCORES), min_size=1, max_size=25))
def test_best_score_is_the_maximum_and_the_leaderboard_is_sorted(
    backend: Backend, submissions: list[tuple[str, float]]
) -> None:
    assignment_id = uuid.uuid4().hex  # the repository outlives a single example
    best: dict[str, tuple[float, int]] = {}
    for at, (student, score) in enumerate(submissions):
        if student not in best or score > best[student][0]:
            best[student] = (score, at)
        kept = backend.answers.record(answer(student, score, at, assignment_id=assignment_id))
        assert kept == best[student][0]

    for student, (score, _) in best.items():
        assert backend.answers.progress(assignment_id, "q1", student).best_score == score
    ranked = sorted(best.items(), key=lambda item: (-item[1][0], item[1][1], item[0]))
    board = backend.answers.leaderboard(assignment_id, "q1", LEADERBOARD_SIZE)
    assert [(e.rank, e.student_id, e.best_score) for e in board] == [
        (rank, student, score)
        for rank, (student, (score, _)) in enumerate(ranked[:LEADERBOARD_SIZE], start=1)
    ]


# --- AccountRepository ------------------------------------------------------------------------


def test_accounts_are_added_counted_and_read_back(backend: Backend) -> None:
    teacher = Account("alice", Role.TEACHER, "$argon2id$hash-a", created_at=1_700_000_000.25)
    student = Account("sam", Role.STUDENT, "$argon2id$hash-s", created_at=1_700_000_001.5)
    assert backend.accounts.count() == 0
    backend.accounts.add(teacher)
    backend.accounts.add(student)
    assert backend.accounts.get("alice") == teacher
    assert backend.accounts.get("sam") == student
    assert backend.accounts.get("nobody") is None
    assert backend.accounts.count() == 2


def test_a_taken_user_name_is_a_conflict_and_keeps_the_first_account(backend: Backend) -> None:
    first = Account("alice", Role.TEACHER, "$argon2id$first", created_at=1.0)
    backend.accounts.add(first)
    with pytest.raises(ConflictError):
        backend.accounts.add(Account("alice", Role.STUDENT, "$argon2id$second", created_at=2.0))
    assert backend.accounts.get("alice") == first
    assert backend.accounts.count() == 1


def test_sessions_are_stored_expire_and_are_deleted(backend: Backend) -> None:
    live = Session("hash-live", "alice", Role.TEACHER, expires_at=FUTURE + 0.123456)
    expired = Session("hash-old", "alice", Role.TEACHER, expires_at=1_000_000_000.0)
    backend.accounts.add_session(live)
    backend.accounts.add_session(expired)
    assert backend.accounts.get_session("hash-live") == live
    assert backend.accounts.get_session("hash-old") is None
    assert backend.accounts.get_session("hash-unknown") is None
    backend.accounts.delete_session("hash-live")
    backend.accounts.delete_session("hash-live")  # idempotent
    assert backend.accounts.get_session("hash-live") is None


def test_accounts_are_listed_by_user_name(backend: Backend) -> None:
    assert backend.accounts.list_accounts() == []
    accounts = [
        Account(name, role, f"$argon2id${name}", created_at=float(n))
        for n, (name, role) in enumerate(
            [("sam", Role.STUDENT), ("alice", Role.TEACHER), ("bob.k", Role.STUDENT)]
        )
    ]
    for account in accounts:
        backend.accounts.add(account)
    assert backend.accounts.list_accounts() == sorted(accounts, key=lambda a: a.username)


def test_update_changes_role_and_password_hash_only_of_that_account(backend: Backend) -> None:
    alice = Account("alice", Role.STUDENT, "$argon2id$old", created_at=1_700_000_000.25)
    sam = Account("sam", Role.STUDENT, "$argon2id$sam", created_at=2.0)
    backend.accounts.add(alice)
    backend.accounts.add(sam)
    changed = replace(alice, role=Role.TEACHER, password_hash="$argon2id$new")
    assert backend.accounts.update(changed) is True
    assert backend.accounts.get("alice") == changed
    assert backend.accounts.get("sam") == sam
    assert backend.accounts.update(replace(sam, username="nobody")) is False
    assert backend.accounts.get("nobody") is None
    assert backend.accounts.count() == 2


def test_delete_sessions_revokes_only_that_users_sessions(backend: Backend) -> None:
    for n in range(3):
        backend.accounts.add_session(Session(f"alice-{n}", "alice", Role.TEACHER, FUTURE))
    backend.accounts.add_session(Session("sam-0", "sam", Role.STUDENT, FUTURE))
    assert backend.accounts.delete_sessions("alice") == 3
    assert backend.accounts.delete_sessions("alice") == 0
    assert all(backend.accounts.get_session(f"alice-{n}") is None for n in range(3))
    assert backend.accounts.get_session("sam-0") is not None


def test_deleting_an_account_deletes_its_sessions(backend: Backend) -> None:
    backend.accounts.add(Account("alice", Role.TEACHER, "$argon2id$a", created_at=1.0))
    backend.accounts.add(Account("sam", Role.STUDENT, "$argon2id$s", created_at=2.0))
    backend.accounts.add_session(Session("alice-1", "alice", Role.TEACHER, FUTURE))
    backend.accounts.add_session(Session("sam-1", "sam", Role.STUDENT, FUTURE))
    assert backend.accounts.delete("alice") is True
    assert backend.accounts.get("alice") is None
    assert backend.accounts.get_session("alice-1") is None
    assert backend.accounts.get_session("sam-1") is not None
    assert [a.username for a in backend.accounts.list_accounts()] == ["sam"]
    assert backend.accounts.delete("alice") is False


# --- DraftRepository --------------------------------------------------------------------------


def make_draft(
    version: int = 1, *, username: str = "alice", image: bytes | None = b"photo", title: str = ""
) -> Draft:
    """A draft as a teacher leaves it mid-edit: an empty title, a half-written question."""
    chosen = None
    if image is not None:
        digest = hashlib.sha256(image).hexdigest()
        chosen = DraftImage(new_draft_image_key(username, digest), digest, "Your image: ü.jpg")
    return Draft(
        title=title,
        text="Photosynthesis turns light into chemical energy. ✓",
        questions=(DraftQuestion("What does it turn light into?", ""), DraftQuestion("", "")),
        image=chosen,
        updated_at=1_700_000_000.25,
        version=version,
    )


@pytest.mark.parametrize("with_image", [True, False])
def test_a_saved_draft_reads_back_equal(backend: Backend, with_image: bool) -> None:
    draft = make_draft(image=b"photo" if with_image else None)
    backend.drafts.save("alice", draft, expected_version=NO_DRAFT)
    assert backend.drafts.get("alice") == draft


def test_a_draft_keeps_an_own_upload_beside_an_image(backend: Backend) -> None:
    chosen = OwnImage("0001700000000-9f8e7d6c", "Your image: ü.jpg")
    draft = replace(make_draft(), upload=chosen)
    backend.drafts.save("alice", draft, expected_version=NO_DRAFT)
    assert backend.drafts.get("alice") == draft
    assert draft.image is not None and backend.drafts.image_keys() == {draft.image.key}
    only_upload = replace(make_draft(2, image=None), upload=chosen)
    backend.drafts.save("alice", only_upload, expected_version=1)
    assert backend.drafts.get("alice") == only_upload
    assert backend.drafts.image_keys() == set()  # an upload is no object of the draft's


def test_without_a_draft_get_and_delete_find_nothing(backend: Backend) -> None:
    assert backend.drafts.get("alice") is None
    assert backend.drafts.delete("alice") is None
    assert backend.drafts.image_keys() == set()


def test_a_draft_is_saved_only_from_the_stored_version(backend: Backend) -> None:
    backend.drafts.save("alice", make_draft(1), expected_version=NO_DRAFT)
    second = make_draft(2, title="Second")
    backend.drafts.save("alice", second, expected_version=1)
    with pytest.raises(ConflictError) as caught:
        backend.drafts.save("alice", make_draft(2, title="Stale"), expected_version=1)
    assert "reload" in caught.value.user_message
    assert "version 2" in caught.value.detail
    assert backend.drafts.get("alice") == second


def test_creating_a_draft_that_exists_is_a_conflict_and_keeps_it(backend: Backend) -> None:
    first = make_draft(1, title="First tab")
    backend.drafts.save("alice", first, expected_version=NO_DRAFT)
    with pytest.raises(ConflictError) as caught:
        backend.drafts.save("alice", make_draft(1, title="Second tab"), expected_version=NO_DRAFT)
    assert "another tab" in caught.value.user_message
    assert backend.drafts.get("alice") == first


def test_saving_over_a_discarded_draft_is_a_conflict_and_creates_nothing(
    backend: Backend,
) -> None:
    backend.drafts.save("alice", make_draft(1), expected_version=NO_DRAFT)
    backend.drafts.delete("alice")
    with pytest.raises(ConflictError) as caught:
        backend.drafts.save("alice", make_draft(2), expected_version=1)
    assert "no draft" in caught.value.detail
    assert backend.drafts.get("alice") is None


def test_delete_returns_the_deleted_draft_once(backend: Backend) -> None:
    draft = make_draft(1)
    backend.drafts.save("alice", draft, expected_version=NO_DRAFT)
    assert backend.drafts.delete("alice") == draft
    assert backend.drafts.delete("alice") is None
    assert backend.drafts.get("alice") is None


def test_each_account_has_its_own_draft(backend: Backend) -> None:
    alices = make_draft(1, username="alice", title="Alice's")
    bobs = make_draft(1, username="bob", title="Bob's")
    backend.drafts.save("alice", alices, expected_version=NO_DRAFT)
    backend.drafts.save("bob", bobs, expected_version=NO_DRAFT)
    backend.drafts.delete("alice")
    assert backend.drafts.get("alice") is None
    assert backend.drafts.get("bob") == bobs


def test_image_keys_are_those_drafts_point_at_now(backend: Backend) -> None:
    alices = make_draft(1, username="alice")
    bobs = make_draft(1, username="bob", image=b"drawing")
    backend.drafts.save("alice", alices, expected_version=NO_DRAFT)
    backend.drafts.save("bob", bobs, expected_version=NO_DRAFT)
    backend.drafts.save("carol", make_draft(1, image=None), expected_version=NO_DRAFT)
    assert alices.image is not None and bobs.image is not None
    assert backend.drafts.image_keys() == {alices.image.key, bobs.image.key}
    assert backend.drafts.names_image(alices.image.key)

    replaced = make_draft(2, username="alice", image=b"another photo")
    backend.drafts.save("alice", replaced, expected_version=1)
    backend.drafts.save("bob", make_draft(2, image=None), expected_version=1)
    assert replaced.image is not None
    assert backend.drafts.image_keys() == {replaced.image.key}
    assert backend.drafts.names_image(replaced.image.key)
    assert not backend.drafts.names_image(alices.image.key)
    assert not backend.drafts.names_image(bobs.image.key)


def test_concurrent_draft_saves_let_exactly_one_writer_win(threaded_backend: Backend) -> None:
    backend = threaded_backend
    backend.drafts.save("alice", make_draft(1), expected_version=NO_DRAFT)
    writers = 8
    outcomes: list[str] = []

    def write(n: int) -> None:
        try:
            backend.drafts.save("alice", make_draft(2, title=f"Tab {n}"), expected_version=1)
            outcomes.append(f"Tab {n}")
        except ConflictError:
            outcomes.append("conflict")

    assert run_together(write, writers) == []
    winners = [outcome for outcome in outcomes if outcome != "conflict"]
    assert len(winners) == 1 and outcomes.count("conflict") == writers - 1
    stored = backend.drafts.get("alice")
    assert stored is not None and (stored.version, stored.title) == (2, winners[0])


# --- SQLite only ------------------------------------------------------------------------------


@pytest.fixture
def db(tmp_path: Path) -> Iterator[SqliteDatabase]:
    database = SqliteDatabase(tmp_path / "eduportal.db")
    yield database
    database.close()


def test_concurrent_writers_lose_nothing(db: SqliteDatabase) -> None:
    threads, per_thread = 8, 25
    students = [f"s{n}" for n in range(10)]
    answers = SqliteAnswerRepository(db)

    def write(worker: int) -> None:
        for n in range(per_thread):
            score = float((worker * 37 + n * 11) % 101)
            answers.record(answer(students[n % len(students)], score, at=worker * 100 + n))

    assert run_together(write, threads) == []
    expected: dict[str, float] = {}
    for w in range(threads):
        for n in range(per_thread):
            student = students[n % len(students)]
            expected[student] = max(expected.get(student, 0.0), float((w * 37 + n * 11) % 101))
    for student, score in expected.items():
        assert answers.progress("a1", "q1", student).best_score == score
    (total,) = db.query("test", "SELECT SUM(attempts) FROM answers")
    assert total[0] == threads * per_thread


def test_a_failed_transaction_leaves_no_partial_row(db: SqliteDatabase) -> None:
    accounts = SqliteAccountRepository(db)
    insert = "INSERT INTO accounts VALUES (?, 'student', 'h', 0)"
    with pytest.raises(RuntimeError), db.transaction("test") as connection:
        connection.execute(insert, ("first",))
        raise RuntimeError("the second half of the work failed")
    with pytest.raises(ConflictError), db.transaction("test") as connection:
        connection.execute(insert, ("second",))
        connection.execute(insert, ("second",))
    assert accounts.count() == 0
    db.check()  # and the connection is usable afterwards


def test_the_database_file_is_created_under_a_missing_directory(tmp_path: Path) -> None:
    path = tmp_path / "not" / "yet" / "there" / "eduportal.db"
    database = SqliteDatabase(path)
    try:
        assert path.is_file()
        assert database.query("test", "PRAGMA journal_mode")[0][0] == "wal"
        assert database.query("test", "PRAGMA user_version")[0][0] == SCHEMA_VERSION
    finally:
        database.close()


def test_reopening_keeps_data_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "eduportal.db"
    first = SqliteDatabase(path)
    SqliteAssignmentRepository(first).add(make_assignment())
    first.close()
    again = SqliteDatabase(path)
    try:
        assert SqliteAssignmentRepository(again).count() == 1
        assert again.query("test", "PRAGMA user_version")[0][0] == SCHEMA_VERSION
    finally:
        again.close()


def test_answers_saved_before_scorers_were_recorded_read_back_without_one(
    tmp_path: Path,
) -> None:
    path = tmp_path / "eduportal.db"
    with sqlite3.connect(path) as raw:  # the two answer tables as schema version 2 left them
        raw.execute(  # and the assignments, which later versions index
            "CREATE TABLE assignments (assignment_id TEXT PRIMARY KEY, teacher_id TEXT NOT NULL,"
            " created_at REAL NOT NULL, document TEXT NOT NULL,"
            " version INTEGER NOT NULL DEFAULT 1) WITHOUT ROWID"
        )
        raw.execute(
            "CREATE TABLE answers (assignment_id TEXT NOT NULL, question_id TEXT NOT NULL,"
            " student_id TEXT NOT NULL, best_score REAL NOT NULL, answer TEXT NOT NULL,"
            " reached_at REAL NOT NULL, attempts INTEGER NOT NULL DEFAULT 1, revealed_at REAL,"
            " PRIMARY KEY (assignment_id, question_id, student_id)) WITHOUT ROWID"
        )
        raw.execute(
            "CREATE TABLE answer_log (assignment_id TEXT NOT NULL, question_id TEXT NOT NULL,"
            " student_id TEXT NOT NULL, submitted_at REAL NOT NULL, score REAL NOT NULL,"
            " counted INTEGER NOT NULL, answer TEXT NOT NULL)"
        )
        raw.execute("INSERT INTO answers VALUES ('a1', 'q1', 'sam', 70.0, 'old', 1.0, 2, NULL)")
        raw.execute("PRAGMA user_version = 2")
    raw.close()
    database = SqliteDatabase(path)
    try:
        answers = SqliteAnswerRepository(database)
        assert answers.progress("a1", "q1", "sam") == QuestionProgress(
            attempts=2, best_score=70.0, answer="old", reached_at=1.0
        )
        assert answers.record(answer("sam", 80.0, at=3.0, engine="minilm")) == 80.0
        assert answers.progress("a1", "q1", "sam").engine == "minilm"
    finally:
        database.close()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "eduportal.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(ConfigurationError) as caught:
        SqliteDatabase(path)
    assert "newer" in caught.value.detail


def test_a_locked_database_is_storage_unavailable_with_detail(tmp_path: Path) -> None:
    path = tmp_path / "eduportal.db"
    database = SqliteDatabase(path, busy_timeout_seconds=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(StorageUnavailableError) as caught:
            SqliteAccountRepository(database).add(Account("alice", Role.TEACHER, "h", 0.0))
        assert "database is locked" in caught.value.detail
        assert "add account alice" in caught.value.detail
        assert "locked" not in caught.value.user_message
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        database.close()


def test_deleting_an_account_keeps_its_sessions_when_the_transaction_fails(
    db: SqliteDatabase,
) -> None:
    accounts = SqliteAccountRepository(db)
    accounts.add(Account("alice", Role.TEACHER, "$argon2id$a", created_at=1.0))
    accounts.add_session(Session("alice-1", "alice", Role.TEACHER, FUTURE))
    # A trigger makes the account's row refuse deletion, after its sessions went.
    with db.transaction("test") as connection:
        connection.execute(
            "CREATE TRIGGER keep_alice BEFORE DELETE ON accounts"
            " BEGIN SELECT RAISE(ABORT, 'kept'); END"
        )
    with pytest.raises(StorageUnavailableError):
        accounts.delete("alice")
    assert accounts.get("alice") is not None
    assert accounts.get_session("alice-1") is not None


def test_a_closed_database_fails_its_check(db: SqliteDatabase) -> None:
    db.close()
    with pytest.raises(StorageUnavailableError):
        SqliteAssignmentRepository(db).check()


# --- MongoDB only -----------------------------------------------------------------------------


def test_indexes_are_created_once_whoever_constructs_first() -> None:
    database: Any = mongomock.MongoClient().db
    for _ in range(2):
        mongo_backend(database)
    assert {"newest", "by_teacher"} <= set(database["assignments"].index_information())
    answer_indexes = database["answers"].index_information()
    assert answer_indexes["one_per_student"]["unique"] is True
    assert "leaderboard" in answer_indexes
    assert answer_indexes["by_student"]["key"] == [
        ("student_id", 1),
        ("assignment_id", 1),
        ("question_id", 1),
    ]
    assert "by_answer" in database["score_overrides"].index_information()
    session_indexes = database["sessions"].index_information()
    assert session_indexes["expiry"]["expireAfterSeconds"] == 0
    assert session_indexes["by_user"]["key"] == [("username", 1)]
    draft_indexes = database["drafts"].index_information()
    assert draft_indexes["by_image"]["key"] == [("image.key", 1)]
    assert draft_indexes["by_image"]["sparse"] is True


def answers_that_improve_after_each_read(
    monkeypatch: pytest.MonkeyPatch, times: int
) -> MongoAnswerRepository:
    """sam's answer to a1/q1 scored 40, and a repository whose first `times` reads of an answer
    row are each followed by a better answer from sam, landing before the reader writes."""
    database: Any = mongomock.MongoClient().db
    answers = MongoAnswerRepository(database)
    answers.record(answer("sam", 40.0, at=1.0))
    read = mongomock.Collection.find_one
    better = iter(range(1, times + 1))

    def read_then_improve(collection: Any, *args: Any, **kwargs: Any) -> Any:
        found = read(collection, *args, **kwargs)
        step = next(better, None) if collection.name == "answers" else None
        if step is not None:
            answers.record(answer("sam", 40.0 + step, at=1.0 + step))
        return found

    monkeypatch.setattr(mongomock.Collection, "find_one", read_then_improve)
    return answers


def test_an_override_computed_from_a_stale_read_is_computed_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = answers_that_improve_after_each_read(monkeypatch, times=2)
    before, after = answers.override("a1", "q1", "sam", 30.0, by="tess", at=10.0)
    assert before.best_score == 42.0 and before.answer == "sam says 42.0"
    assert after.override == ScoreOverride(42.0, "tess", 10.0)
    assert answers.progress("a1", "q1", "sam") == after


def test_an_override_that_never_settles_is_a_conflict_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    answers = answers_that_improve_after_each_read(monkeypatch, times=5)
    with pytest.raises(ConflictError) as caught:
        answers.override("a1", "q1", "sam", 30.0, by="tess", at=10.0)
    assert caught.value.user_message == (
        "This score changed while you were setting it. Please try again."
    )
    assert caught.value.transient
    kept = answers.progress("a1", "q1", "sam")
    assert kept.best_score == 45.0 and kept.override is None


def test_an_unreachable_server_is_storage_unavailable_with_detail() -> None:
    database = mongo_database("mongodb://127.0.0.1:1/", "eduportal", timeout_seconds=0.2)
    try:
        with pytest.raises(StorageUnavailableError) as caught:
            MongoAssignmentRepository(database)
        assert "mongodb create assignment indexes" in caught.value.detail
    finally:
        database.client.close()


def test_an_unusable_uri_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError):
        mongo_database("postgres://127.0.0.1/", "eduportal", timeout_seconds=1.0)
