"""Reconciling stored images with the assignment records that name them.

Objects and records live in two stores without a shared transaction. Creating an assignment
stores the image first and saves the record second, so a crash in between leaves an object no
record names (an *orphan*); deleting an assignment removes the record first and the image
second, so a crash there leaves one too. A record naming an object that is gone (*dangling*)
should not happen at all; it means an object was deleted behind the portal's back or the
store was restored from an older copy than the database.

Orphans are safe to delete once they are older than a window (an hour by default): an
upload whose record is being saved right now looks exactly like an orphan. Each candidate is
checked against its one possible record again before it is reported, so a record that an
offset-paged scan missed (an assignment deleted mid-scan shifts the pages) cannot get its
image deleted. Dangling records are only reported: whether the image can be regenerated or
should be removed is the teacher's call, and pages show a placeholder meanwhile.

Draft images (`drafts/`) are reconciled the same way against the drafts that name them: a
draft's object is written before the record points at it and deleted after the record
stopped naming it, so a crash leaves at worst an object no draft names. Draft keys are never
reused, so such an object can never be named again; each candidate is still asked about once
more (`DraftRepository.names_image`) before it is reported. A draft naming a missing object is
not reported: loading it drops the image and says so in the log.

An assignment's image may also be a pipeline image it adopted (`processed/{image_id}.webp`,
with `thumbnails/{image_id}/...`). Those objects belong to their image record, which names
them whether or not an assignment does (an operator's `eduportal upload` has none), so they
are never orphans here: `processed/` is listed only to check, in one pass, that every adopted
image is still there. Thumbnails are never reported dangling: a list shows the image itself,
or the placeholder, in a missing thumbnail's place. A generated illustration's thumbnails
(`generated_images/{id}/{size}.webp`) are the assignment's own and reconciled like its image.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass
from typing import Final

from eduportal.domain.errors import EduportalError, NotFoundError
from eduportal.domain.keys import (
    DRAFTS_PREFIX,
    GENERATED_PREFIX,
    PROCESSED_PREFIX,
    canonical_key,
    generated_image_owner,
)
from eduportal.ports import AssignmentRepository, Clock, DraftRepository, ObjectInfo, ObjectStore

log = logging.getLogger(__name__)

DEFAULT_MIN_AGE_SECONDS: Final = 3600.0
"""Unreferenced objects younger than this are left alone: they may be uploads in progress."""
RECORD_PAGE: Final = 500
PROGRESS_EVERY: Final = 10_000

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


@dataclass(frozen=True, slots=True)
class DanglingRecord:
    assignment_id: str
    teacher_id: str
    key: str
    """The image key the record names, which the store does not hold."""


@dataclass(frozen=True, slots=True)
class Findings:
    orphans: tuple[ObjectInfo, ...]
    """Objects no record (assignment or draft) names, older than the window: safe to delete."""
    too_recent: tuple[ObjectInfo, ...]
    """Objects no record names yet, younger than the window: left alone."""
    dangling: tuple[DanglingRecord, ...]
    objects_scanned: int
    """Assignment images (generated and processed) and draft images listed."""
    records_scanned: int
    """Assignment records read."""

    @property
    def clean(self) -> bool:
        return not self.orphans and not self.dangling


@dataclass(frozen=True, slots=True)
class DeleteFailure:
    key: str
    error: str
    """The error's user sentence and reference."""


@dataclass(frozen=True, slots=True)
class Deletion:
    deleted: tuple[str, ...]
    failed: tuple[DeleteFailure, ...]


class Reconciler:
    def __init__(
        self,
        store: ObjectStore,
        assignments: AssignmentRepository,
        *,
        drafts: DraftRepository,
        clock: Clock,
        page_size: int = RECORD_PAGE,
    ) -> None:
        self.store = store
        self.assignments = assignments
        self.drafts = drafts
        self.clock = clock
        self.page_size = page_size

    def find(
        self, *, min_age_seconds: float = DEFAULT_MIN_AGE_SECONDS, progress: Progress = _quiet
    ) -> Findings:
        """Read every record, then list the objects; changes nothing.

        Records are read before objects: an image is always stored before its record, so
        every record seen has its object by the time the listing starts, unless it is truly
        dangling. Drafts are read the same way, before their objects are listed.
        """
        named, thumbnails, records_scanned = self._named_images(progress)
        in_drafts = self.drafts.image_keys()
        cutoff = self.clock.now() - min_age_seconds
        listed: set[str] = set()
        candidates: list[ObjectInfo] = []
        too_recent: list[ObjectInfo] = []
        scans: tuple[tuple[str, Container[str] | None], ...] = (
            (GENERATED_PREFIX, named.keys() | thumbnails),
            (DRAFTS_PREFIX, in_drafts),
            (PROCESSED_PREFIX, None),  # the image records' own: listed, never orphans
        )
        for prefix, referenced in scans:
            for info in self.store.list_objects(prefix):
                listed.add(info.key)
                if len(listed) % PROGRESS_EVERY == 0:
                    progress(f"listed {len(listed)} objects")
                if referenced is not None and not _named(info.key, referenced):
                    (candidates if info.last_modified <= cutoff else too_recent).append(info)
        orphans = tuple(info for info in candidates if not self._has_record(info.key))
        dangling = tuple(
            DanglingRecord(assignment_id, teacher_id, key)
            for key, (assignment_id, teacher_id) in sorted(named.items())
            if key not in listed and self._still_dangling(assignment_id, key)
        )
        return Findings(
            orphans=orphans,
            too_recent=tuple(too_recent),
            dangling=dangling,
            objects_scanned=len(listed),
            records_scanned=records_scanned,
        )

    def delete_orphans(self, orphans: Iterable[ObjectInfo]) -> Deletion:
        """Delete what `find` reported as orphans; a failure is recorded and the rest go on."""
        deleted: list[str] = []
        failed: list[DeleteFailure] = []
        for info in orphans:
            try:
                self.store.delete(info.key)
            except EduportalError as exc:
                log.warning("orphan not deleted", extra={"key": info.key, "error": exc.detail})
                failed.append(DeleteFailure(info.key, exc.for_user()))
            else:
                log.info("orphan deleted", extra={"key": info.key, "bytes": info.size_bytes})
                deleted.append(info.key)
        return Deletion(tuple(deleted), tuple(failed))

    def _named_images(self, progress: Progress) -> tuple[dict[str, tuple[str, str]], set[str], int]:
        """Image key -> (assignment id, teacher id) of the record naming it, the thumbnail
        keys records name, and how many records were read, over every assignment a page at a
        time."""
        named: dict[str, tuple[str, str]] = {}
        thumbnails: set[str] = set()
        offset, next_report = 0, PROGRESS_EVERY
        while True:
            page = self.assignments.list(limit=self.page_size, offset=offset)
            for assignment in page:
                if assignment.has_image:
                    named[assignment.s3_image_key] = (
                        assignment.assignment_id,
                        assignment.teacher_id,
                    )
                thumbnails.update(assignment.thumbnail_keys)
            offset += len(page)
            if len(page) < self.page_size:
                return named, thumbnails, offset
            if offset >= next_report:
                progress(f"read {offset} records")
                next_report += PROGRESS_EVERY

    def _has_record(self, key: str) -> bool:
        """Ask the one record that could name `key`; the paged scan may have missed it."""
        if key.startswith(DRAFTS_PREFIX):
            return self.drafts.names_image(key)
        owner = generated_image_owner(key)
        if owner is None:
            return False  # not a key the portal builds: no record can name it
        try:
            return _named(key, self.assignments.get(owner).image_keys)
        except NotFoundError:
            return False

    def _still_dangling(self, assignment_id: str, key: str) -> bool:
        """Still naming the key, and the key still missing: not a change made mid-scan."""
        try:
            current = self.assignments.get(assignment_id)
        except NotFoundError:
            return False
        if current.s3_image_key != key:
            return False
        return not any(info.key == key for info in self.store.list_objects(key))


def _named(key: str, names: Container[str]) -> bool:
    """`key` is named, or is a variant (`x.avif`, `x.jpg`, `x.png`) of an image named: a
    variant belongs to its image's record. (A `.png` is also what an image is stored as
    when WebP failed, and then named itself.)"""
    image = canonical_key(key)
    return key in names or (image is not None and image in names)
