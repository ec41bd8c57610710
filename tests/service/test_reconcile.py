"""Reconciling stored images with assignment records, over real files, SQLite and S3 (moto)."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_repositories import (
    SqliteAssignmentRepository,
    SqliteDraftRepository,
)
from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment
from eduportal.domain.drafts import NO_DRAFT
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL
from eduportal.domain.keys import GENERATION_CACHE_PREFIX, new_draft_image_key
from eduportal.services import reconcile
from eduportal.services.drafts import ChosenImage
from eduportal.services.reconcile import DanglingRecord, Reconciler
from eduportal.wiring import Container, build
from tests.support.clock import FakeClock
from tests.support.containers import without_variants
from tests.support.generators import owned_keys
from tests.support.images import gradient, png
from tests.support.texts import PASSWORD, TEXT

TWO_HOURS = 7200.0


def later(seconds: float = TWO_HOURS) -> FakeClock:
    """A clock `seconds` ahead, so everything stored now is that old."""
    return FakeClock(time.time() + seconds)


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return without_variants(tmp_path / "data")


@dataclass(frozen=True)
class Scene:
    kept: Assignment
    """Has its image: nothing to report."""
    dangling: Assignment
    """Its image was deleted behind the portal's back."""
    orphan_key: str
    """Stored as if the process crashed before saving the record."""
    orphan_thumbnails: tuple[str, ...]
    """The orphan's thumbnails, stored with it: orphans as well."""
    stray_key: str
    """Under generated_images/ but no key the portal builds: no record can name it."""

    @property
    def orphans(self) -> list[str]:
        return sorted([self.orphan_key, *self.orphan_thumbnails, self.stray_key])


def arrange(container: Container, teacher: Account) -> Scene:
    kept = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    dangling = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    container.object_store.delete(dangling.s3_image_key)
    container.assignments.create_from_text(teacher, TEXT, with_image=False)
    orphan = container.image_store.store_generated(
        "0001700000000-crash1", png(gradient(64, 48)), teacher_id=teacher.username
    )
    stray_key = "generated_images/copied-by-hand/photo.png"
    container.object_store.put(
        stray_key, b"not ours", content_type="image/png", cache_control=IMMUTABLE_CACHE_CONTROL
    )
    assert len(orphan.thumbnail_keys) == 2
    return Scene(kept, dangling, orphan.key, orphan.thumbnail_keys, stray_key)


def reconciler(container: Container, clock: float = TWO_HOURS) -> Reconciler:
    return Reconciler(
        container.object_store,
        container.repositories.assignments,
        drafts=container.repositories.drafts,
        clock=later(clock),
    )


def test_finds_orphaned_objects_and_dangling_records(
    container: Container, teacher: Account
) -> None:
    scene = arrange(container, teacher)
    findings = reconciler(container).find()
    assert sorted(info.key for info in findings.orphans) == scene.orphans
    assert findings.dangling == (
        DanglingRecord(scene.dangling.assignment_id, "teacher1", scene.dangling.s3_image_key),
    )
    assert findings.too_recent == ()
    # Each generated image with its two thumbnails; the dangling one's thumbnails only.
    assert (findings.objects_scanned, findings.records_scanned) == (9, 3)
    assert not findings.clean


def test_generation_cache_entries_are_never_orphans(container: Container, teacher: Account) -> None:
    """No record names a cache entry, by design: reconcile does not list the cache at all,
    so an entry whose assignment is gone is neither reported nor deleted."""
    drawn_for = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    container.assignments.delete(teacher, drawn_for.assignment_id)
    (entry,) = container.object_store.list_keys(GENERATION_CACHE_PREFIX)
    service = reconciler(container)
    findings = service.find(min_age_seconds=0)
    assert findings.clean and findings.too_recent == ()
    assert findings.objects_scanned == 0
    service.delete_orphans(findings.orphans)
    assert list(container.object_store.list_keys()) == [entry]


def test_unreferenced_objects_younger_than_the_window_are_left_alone(
    container: Container, teacher: Account
) -> None:
    scene = arrange(container, teacher)
    young = reconciler(container, clock=0.0).find()  # default window: one hour
    assert young.orphans == ()
    assert sorted(info.key for info in young.too_recent) == scene.orphans
    assert len(young.dangling) == 1  # records have no window: their image came first
    just_past = reconciler(container, clock=601.0).find(min_age_seconds=600)
    assert sorted(info.key for info in just_past.orphans) == scene.orphans


def test_finding_changes_nothing(container: Container, teacher: Account) -> None:
    scene = arrange(container, teacher)
    before = sorted(container.object_store.list_keys())
    reconciler(container).find()
    assert sorted(container.object_store.list_keys()) == before
    assert container.assignments.get(scene.dangling.assignment_id) == scene.dangling
    assert container.repositories.assignments.count() == 3


def test_deleting_removes_only_orphans_and_never_records(
    container: Container, teacher: Account
) -> None:
    scene = arrange(container, teacher)
    service = reconciler(container)
    deletion = service.delete_orphans(service.find().orphans)
    assert sorted(deletion.deleted) == scene.orphans
    assert deletion.failed == ()
    assert owned_keys(container.object_store) == sorted(
        [*scene.kept.image_keys, *scene.dangling.thumbnail_keys]
    )
    assert scene.kept.image_metadata is not None
    kept = container.image_store.fetch(scene.kept.s3_image_key).data
    assert len(kept) == scene.kept.image_metadata.optimized_size_bytes
    assert container.assignments.get(scene.dangling.assignment_id) == scene.dangling
    again = service.find()
    assert again.orphans == () and len(again.dangling) == 1


def test_a_failed_delete_is_reported_and_the_others_go_on(
    container: Container, teacher: Account, tmp_path: Path
) -> None:
    scene = arrange(container, teacher)
    service = reconciler(container)
    orphans = service.find().orphans
    # Between finding and deleting, something else takes the orphan's name: unlink fails.
    path = tmp_path / "data" / "objects" / scene.orphan_key
    path.unlink()
    path.mkdir()
    deletion = service.delete_orphans(orphans)
    assert sorted(deletion.deleted) == sorted([*scene.orphan_thumbnails, scene.stray_key])
    assert [failure.key for failure in deletion.failed] == [scene.orphan_key]
    assert "(reference: " in deletion.failed[0].error


def test_a_clean_store_is_clean(container: Container, teacher: Account) -> None:
    container.assignments.create_from_text(teacher, TEXT, with_image=True)
    findings = reconciler(container).find()
    assert findings.clean and findings.too_recent == ()


class DeletedWhileScanning(SqliteAssignmentRepository):
    """The real repository; a teacher deletes an assignment after the first page is read."""

    def __init__(self, database: SqliteDatabase, delete: Callable[[], None]) -> None:
        super().__init__(database)
        self._delete: Callable[[], None] | None = delete

    def list(
        self,
        *,
        limit: int,
        offset: int = 0,
        teacher_id: str | None = None,
        search: str | None = None,
    ) -> list[Assignment]:
        page = super().list(limit=limit, offset=offset, teacher_id=teacher_id, search=search)
        delete, self._delete = self._delete, None
        if delete is not None:
            delete()
        return page


def test_an_image_whose_record_the_paged_scan_missed_is_kept(
    container: Container, teacher: Account, tmp_path: Path
) -> None:
    oldest, middle, newest = (
        container.assignments.create_from_text(teacher, TEXT, with_image=True) for _ in range(3)
    )
    database = SqliteDatabase(tmp_path / "data" / "eduportal.db")
    shifting = DeletedWhileScanning(
        database, lambda: container.assignments.delete(teacher, newest.assignment_id)
    )
    # Pages of one, newest first: after `newest` goes, `middle` moves to the page already read.
    service = Reconciler(
        container.object_store,
        shifting,
        drafts=container.repositories.drafts,
        clock=later(),
        page_size=1,
    )
    findings = service.find()
    assert findings.records_scanned == 2
    assert findings.orphans == ()
    assert owned_keys(container.object_store) == sorted([*oldest.image_keys, *middle.image_keys])
    database.close()


def test_progress_is_reported_for_large_stores(
    container: Container, teacher: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(reconcile, "PROGRESS_EVERY", 2)
    for _ in range(4):
        container.assignments.create_from_text(teacher, TEXT, with_image=True)
    messages: list[str] = []
    Reconciler(
        container.object_store,
        container.repositories.assignments,
        drafts=container.repositories.drafts,
        clock=later(),
        page_size=2,
    ).find(progress=messages.append)
    assert messages == [
        "read 2 records",
        "read 4 records",
        # Each image with its two thumbnails.
        *(f"listed {count} objects" for count in range(2, 13, 2)),
    ]


def save_draft_with_image(container: Container, teacher: Account) -> str:
    """A teacher's draft with an image; the key of the object it names."""
    draft = container.drafts.save(
        teacher,
        title="",
        text=TEXT,
        questions=[],
        image=ChosenImage(png(gradient(32, 24)), "Generated illustration"),
        expected_version=NO_DRAFT,
    )
    assert draft.image is not None
    return draft.image.key


def crashed_draft_save(container: Container, teacher: Account) -> str:
    """An object written for a draft whose record was never saved: the key."""
    data = png(gradient(20, 20))
    key = new_draft_image_key(teacher.username, hashlib.sha256(data).hexdigest())
    container.object_store.put(key, data, content_type="image/png", cache_control="no-store")
    return key


def test_draft_images_no_draft_names_are_orphans_once_old_and_named_ones_are_kept(
    container: Container, teacher: Account
) -> None:
    named = save_draft_with_image(container, teacher)
    orphan = crashed_draft_save(container, teacher)
    young = reconciler(container, clock=0.0).find()
    assert young.orphans == () and [info.key for info in young.too_recent] == [orphan]
    service = reconciler(container)
    findings = service.find()
    assert [info.key for info in findings.orphans] == [orphan]
    assert findings.objects_scanned == 2 and findings.dangling == ()
    assert service.delete_orphans(findings.orphans).deleted == (orphan,)
    assert sorted(container.object_store.list_keys()) == [named]
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.image is not None  # its image is still readable


def test_a_draft_image_the_scan_missed_is_kept(
    container: Container, teacher: Account, tmp_path: Path
) -> None:
    named = save_draft_with_image(container, teacher)

    class MissedByTheScan(SqliteDraftRepository):
        """The real repository, whose list of image keys missed the draft (saved mid-scan)."""

        def image_keys(self) -> set[str]:
            return set()

    database = SqliteDatabase(tmp_path / "data" / "eduportal.db")
    service = Reconciler(
        container.object_store,
        container.repositories.assignments,
        drafts=MissedByTheScan(database),
        clock=later(),
    )
    assert service.find().orphans == ()
    assert sorted(container.object_store.list_keys()) == [named]
    database.close()


def test_reconcile_over_s3(tmp_path: Path, moto_url: str, bucket: str) -> None:
    settings = load_settings(
        storage="s3",
        s3_bucket_name=bucket,
        aws_endpoint_url=moto_url,
        data_dir=tmp_path / "data",
        generators="offline",
        image_variants=False,
    )
    container = build(settings)
    teacher = container.accounts.register("teacher1", PASSWORD, Role.TEACHER)
    scene = arrange(container, teacher)
    service = reconciler(container)
    findings = service.find()
    assert sorted(info.key for info in findings.orphans) == scene.orphans
    assert [record.assignment_id for record in findings.dangling] == [scene.dangling.assignment_id]
    assert sorted(service.delete_orphans(findings.orphans).deleted) == scene.orphans
    assert owned_keys(container.object_store) == sorted(
        [*scene.kept.image_keys, *scene.dangling.thumbnail_keys]
    )
