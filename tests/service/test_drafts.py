"""Drafts: a teacher's unsaved Create page, kept per account, with its image in the store."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_repositories import SqliteDraftRepository
from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    MAX_FIELD_CHARS,
    MAX_PROMPT_CHARS,
    MAX_QUESTIONS,
    MAX_TITLE_CHARS,
)
from eduportal.domain.drafts import NO_DRAFT, Draft
from eduportal.domain.errors import (
    ConflictError,
    ForbiddenError,
    StorageUnavailableError,
    ValidationError,
)
from eduportal.domain.keys import DRAFTS_PREFIX
from eduportal.ports import DraftRepository
from eduportal.services.drafts import ChosenImage, DraftService
from eduportal.wiring import Container, build
from tests.support.fixture_types import JsonLog
from tests.support.images import gradient, png
from tests.support.texts import PASSWORD, TEXT

PHOTO = ChosenImage(png(gradient(64, 48)), "Your image: photo.png")
DRAWING = ChosenImage(png(gradient(40, 30)), "Generated illustration")
SKETCH = ChosenImage(png(gradient(32, 32)), "Your image: sketch.png")
QUESTIONS = [("What is photosynthesis?", "Turning light into chemical energy."), ("Why?", "")]


def save(
    container: Container,
    teacher: Account,
    expected_version: int,
    *,
    text: str = TEXT,
    image: ChosenImage | None = PHOTO,
    title: str = "Photosynthesis",
    subject: str = "Biology",
) -> Draft:
    return container.drafts.save(
        teacher,
        title=title,
        subject=subject,
        text=text,
        questions=QUESTIONS,
        image=image,
        expected_version=expected_version,
    )


def draft_keys(container: Container) -> list[str]:
    return sorted(container.object_store.list_keys(DRAFTS_PREFIX))


@pytest.fixture
def database(container: Container) -> Iterator[SqliteDatabase]:
    """The container's database file, for a repository that changes it at a chosen moment."""
    opened = SqliteDatabase(container.settings.sqlite_path)
    yield opened
    opened.close()


def service_over(container: Container, repository: DraftRepository) -> DraftService:
    """The container's draft service, but over `repository`."""
    return DraftService(
        repository,
        container.object_store,
        container.clock,
        max_image_bytes=container.settings.max_upload_bytes,
        max_image_pixels=container.settings.max_image_pixels,
    )


def test_there_is_nothing_to_load_before_the_first_save(
    container: Container, teacher: Account
) -> None:
    assert container.drafts.load(teacher) is None


def test_a_saved_draft_loads_with_its_image_as_it_was_typed(
    container: Container, teacher: Account
) -> None:
    saved = save(container, teacher, NO_DRAFT, title="")
    loaded = container.drafts.load(teacher)
    assert loaded is not None
    assert loaded.draft == saved
    assert (saved.title, saved.subject, saved.text, saved.version) == ("", "Biology", TEXT, 1)
    assert [(q.question, q.answer) for q in saved.questions] == QUESTIONS  # "" kept as typed
    assert loaded.image == PHOTO
    assert saved.image is not None
    assert saved.image.sha256 == hashlib.sha256(PHOTO.data).hexdigest()
    stored = container.object_store.get(saved.image.key)
    assert stored.content_type == "image/png" and stored.data == PHOTO.data


def test_the_image_key_is_under_drafts_and_does_not_name_the_teacher(
    container: Container, teacher: Account
) -> None:
    saved = save(container, teacher, NO_DRAFT)
    assert saved.image is not None
    owner = hashlib.sha256(teacher.username.encode()).hexdigest()[:16]
    assert saved.image.key.startswith(f"{DRAFTS_PREFIX}{owner}/{saved.image.sha256}-")
    assert teacher.username not in saved.image.key
    assert draft_keys(container) == [saved.image.key]


def test_a_save_from_a_stale_version_is_a_conflict_and_keeps_the_newer_draft(
    container: Container, teacher: Account
) -> None:
    # Two tabs open with no draft; the first saves, the second saves another image after it.
    first = save(container, teacher, NO_DRAFT, text="First tab.")
    with pytest.raises(ConflictError) as caught:
        save(container, teacher, NO_DRAFT, text="Second tab.", image=DRAWING)
    assert "another tab" in caught.value.user_message
    assert "reload" in caught.value.user_message
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft == first and loaded.image == PHOTO
    assert first.image is not None and draft_keys(container) == [first.image.key]

    # The second tab reloads, and saves from the version it now has.
    second = save(container, teacher, loaded.draft.version, text="Second tab, reloaded.")
    assert second.version == 2
    with pytest.raises(ConflictError):
        save(container, teacher, first.version, text="The first tab, not reloaded.")
    reloaded = container.drafts.load(teacher)
    assert reloaded is not None and reloaded.draft == second


def test_a_stale_save_is_refused_before_its_image_is_written(
    container: Container, teacher: Account, json_log: JsonLog
) -> None:
    first = save(container, teacher, NO_DRAFT, image=PHOTO)
    save(container, teacher, first.version, text="The other tab's edit.")
    before = len(json_log())
    assert any(line.get("operation") == "put" for line in json_log())  # the log sees puts
    with pytest.raises(ConflictError):
        save(container, teacher, first.version, image=DRAWING)
    operations = [line.get("operation") for line in json_log()[before:]]
    assert "put" not in operations and "delete" not in operations


def test_a_lost_compare_and_set_deletes_the_image_it_wrote(
    container: Container, teacher: Account, database: SqliteDatabase
) -> None:
    """The service checks the version before writing; here another tab saves in between."""
    first = save(container, teacher, NO_DRAFT, image=PHOTO)

    class SavedMeanwhile(SqliteDraftRepository):
        """The real repository; another tab saves a new image just before this save lands."""

        def save(self, username: str, draft: Draft, *, expected_version: int) -> None:
            other_tab = save(container, teacher, first.version, image=DRAWING)
            assert other_tab.version == 2
            super().save(username, draft, expected_version=expected_version)

    racing = service_over(container, SavedMeanwhile(database))
    with pytest.raises(ConflictError):
        racing.save(teacher, title="", text="", questions=[], image=SKETCH, expected_version=1)
    stored = container.drafts.load(teacher)
    assert stored is not None and stored.draft.version == 2 and stored.image == DRAWING
    # The other tab's object stays; the losing save's own object and the first are gone.
    assert stored.draft.image is not None and draft_keys(container) == [stored.draft.image.key]


def test_unchanged_image_bytes_are_not_written_again(
    container: Container, teacher: Account
) -> None:
    first = save(container, teacher, NO_DRAFT)
    relabelled = ChosenImage(PHOTO.data, "Your image: renamed.png")
    second = save(
        container, teacher, first.version, text="Only the text changed.", image=relabelled
    )
    assert first.image is not None and second.image is not None
    assert second.image.key == first.image.key  # keys are never reused: a write gets a new one
    assert second.image.label == "Your image: renamed.png"
    assert draft_keys(container) == [first.image.key]
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.image == relabelled


def test_a_replaced_image_deletes_the_old_object(container: Container, teacher: Account) -> None:
    first = save(container, teacher, NO_DRAFT, image=PHOTO)
    second = save(container, teacher, first.version, image=DRAWING)
    assert first.image is not None and second.image is not None
    assert draft_keys(container) == [second.image.key]
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.image == DRAWING


def test_going_back_to_an_earlier_image_writes_it_under_a_new_key(
    container: Container, teacher: Account
) -> None:
    first = save(container, teacher, NO_DRAFT, image=PHOTO)
    second = save(container, teacher, first.version, image=DRAWING)
    third = save(container, teacher, second.version, image=PHOTO)
    assert first.image is not None and third.image is not None
    assert third.image.sha256 == first.image.sha256 and third.image.key != first.image.key
    assert draft_keys(container) == [third.image.key]


def test_removing_the_image_deletes_its_object(container: Container, teacher: Account) -> None:
    first = save(container, teacher, NO_DRAFT)
    second = save(container, teacher, first.version, image=None)
    assert second.image is None and draft_keys(container) == []
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft == second and loaded.image is None


def test_discard_removes_the_draft_and_its_image_and_may_be_repeated(
    container: Container, teacher: Account
) -> None:
    saved = save(container, teacher, NO_DRAFT)
    container.drafts.discard(teacher)
    assert container.drafts.load(teacher) is None
    assert draft_keys(container) == []
    container.drafts.discard(teacher)  # after a successful create, and again: no error
    with pytest.raises(ConflictError):
        save(container, teacher, saved.version)  # a tab still on the discarded draft
    assert save(container, teacher, NO_DRAFT).version == 1


def test_each_teacher_has_their_own_draft(
    container: Container, teacher: Account, other_teacher: Account
) -> None:
    mine = save(container, teacher, NO_DRAFT, text="Mine.")
    theirs = save(container, other_teacher, NO_DRAFT, text="Theirs.", image=PHOTO)
    assert mine.image is not None and theirs.image is not None
    assert mine.image.key != theirs.image.key  # the same bytes, two owners
    container.drafts.discard(teacher)
    loaded = container.drafts.load(other_teacher)
    assert loaded is not None and loaded.draft == theirs and loaded.image == PHOTO


def test_students_have_no_drafts(container: Container, student: Account) -> None:
    calls: list[Callable[[], object]] = [
        lambda: container.drafts.load(student),
        lambda: save(container, student, NO_DRAFT),
        lambda: container.drafts.discard(student),
    ]
    for call in calls:
        with pytest.raises(ForbiddenError) as caught:
            call()
        assert caught.value.user_message == "Only teachers can do that."
    assert container.repositories.drafts.get(student.username) is None
    assert draft_keys(container) == []


def test_an_image_over_the_upload_limit_is_refused_and_nothing_changes(
    tmp_path: Path,
) -> None:
    container = build(
        load_settings(
            storage="local",
            data_dir=tmp_path / "data",
            generators="offline",
            max_upload_bytes=len(PHOTO.data),
        )
    )
    teacher = container.accounts.register("teacher1", PASSWORD, Role.TEACHER)
    first = save(container, teacher, NO_DRAFT, image=PHOTO)  # exactly at the limit
    oversize = ChosenImage(PHOTO.data + b"\0", "Your image: large.png")
    with pytest.raises(ValidationError) as caught:
        save(container, teacher, first.version, image=oversize, text="Changed.")
    assert "the largest we accept" in caught.value.user_message
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft == first
    assert first.image is not None and draft_keys(container) == [first.image.key]


def test_a_file_that_is_not_an_image_is_refused(container: Container, teacher: Account) -> None:
    with pytest.raises(ValidationError) as caught:
        save(container, teacher, NO_DRAFT, image=ChosenImage(b"%PDF-1.7", "Your image: a.pdf"))
    assert "not an image" in caught.value.user_message
    assert container.drafts.load(teacher) is None and draft_keys(container) == []


@pytest.mark.parametrize(
    ("changes", "sentence"),
    [
        ({"text": "x" * (MAX_PROMPT_CHARS + 1)}, f"limited to {MAX_PROMPT_CHARS} characters"),
        ({"title": "x" * (MAX_TITLE_CHARS + 1)}, f"at most {MAX_TITLE_CHARS} characters"),
        ({"questions": [("?", "!")] * (MAX_QUESTIONS + 1)}, f"at most {MAX_QUESTIONS} questions"),
        ({"questions": [("x" * (MAX_FIELD_CHARS + 1), "")]}, f"{MAX_FIELD_CHARS} characters"),
        ({"image": ChosenImage(PHOTO.data, "")}, "where the image comes from"),
        ({"image": ChosenImage(PHOTO.data, "x" * 301)}, "label is limited to 300"),
    ],
)
def test_fields_over_their_limits_are_refused_before_anything_is_stored(
    container: Container, teacher: Account, changes: dict[str, object], sentence: str
) -> None:
    fields: dict[str, object] = {
        "title": "",
        "text": TEXT,
        "questions": QUESTIONS,
        "image": PHOTO,
        **changes,
    }
    with pytest.raises(ValidationError) as caught:
        container.drafts.save(teacher, expected_version=NO_DRAFT, **fields)  # type: ignore[arg-type]
    assert sentence in caught.value.user_message
    assert container.drafts.load(teacher) is None and draft_keys(container) == []


def test_the_limits_themselves_are_accepted(container: Container, teacher: Account) -> None:
    saved = container.drafts.save(
        teacher,
        title="x" * MAX_TITLE_CHARS,
        text="x" * MAX_PROMPT_CHARS,
        questions=[("x" * MAX_FIELD_CHARS, "y" * MAX_FIELD_CHARS)] * MAX_QUESTIONS,
        image=None,
        expected_version=NO_DRAFT,
    )
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft == saved


def test_a_draft_whose_image_went_missing_loads_without_it(
    container: Container, teacher: Account
) -> None:
    saved = save(container, teacher, NO_DRAFT)
    assert saved.image is not None
    container.object_store.delete(saved.image.key)  # behind the portal's back
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.image is None and loaded.draft.image is None
    assert loaded.draft.text == saved.text
    assert save(container, teacher, saved.version, image=None).version == 2


class ChangedWhileLoading(SqliteDraftRepository):
    """The real repository; after each of its first `times` reads, another tab saves a new
    image (through `other_tab`, the container's own service)."""

    def __init__(self, database: SqliteDatabase, other_tab: Callable[[], None], times: int) -> None:
        super().__init__(database)
        self._other_tab = other_tab
        self._times = times

    def get(self, username: str) -> Draft | None:
        draft = super().get(username)
        if self._times > 0:
            self._times -= 1
            self._other_tab()
        return draft


def replace_image(container: Container, teacher: Account) -> None:
    loaded = container.drafts.load(teacher)
    assert loaded is not None
    image = DRAWING if loaded.image == PHOTO else PHOTO
    save(container, teacher, loaded.draft.version, image=image, text=f"Saved with {image.label}.")


def test_a_load_racing_an_image_change_returns_the_newer_draft(
    container: Container, teacher: Account, database: SqliteDatabase
) -> None:
    save(container, teacher, NO_DRAFT, image=PHOTO)
    racing = ChangedWhileLoading(database, lambda: replace_image(container, teacher), times=1)
    loaded = service_over(container, racing).load(teacher)
    assert loaded is not None and loaded.draft.version == 2 and loaded.image == DRAWING
    assert loaded.draft.text == f"Saved with {DRAWING.label}."


def test_a_load_that_never_sees_the_same_version_twice_asks_to_reload(
    container: Container, teacher: Account, database: SqliteDatabase
) -> None:
    save(container, teacher, NO_DRAFT, image=PHOTO)
    racing = ChangedWhileLoading(database, lambda: replace_image(container, teacher), times=99)
    with pytest.raises(ConflictError) as caught:
        service_over(container, racing).load(teacher)
    assert caught.value.transient and "reload" in caught.value.user_message


def test_a_record_that_may_not_have_been_saved_keeps_its_new_image(
    container: Container, teacher: Account, database: SqliteDatabase
) -> None:
    """A database failure leaves the save's outcome unknown: the object is not deleted (the
    record may name it), and the reconciler decides later."""

    class Unavailable(SqliteDraftRepository):
        def save(self, username: str, draft: Draft, *, expected_version: int) -> None:
            raise StorageUnavailableError(detail="the database went away mid-save")

    failing = service_over(container, Unavailable(database))
    with pytest.raises(StorageUnavailableError):
        failing.save(
            teacher, title="", text="", questions=[], image=PHOTO, expected_version=NO_DRAFT
        )
    assert container.drafts.load(teacher) is None
    assert len(draft_keys(container)) == 1
