"""Drafts: a teacher's unsaved Create page, kept per account so that a refresh loses nothing.

The page saves on every change and loads on start. A draft lives in two stores that share no
transaction: the record in the database, the chosen image's bytes in the object store (raw,
as uploaded or generated: optimizing waits until the assignment is saved). Their order keeps
every record's image readable:

- a new image is written first, under a key never used before (`new_draft_image_key`), and
  the record is saved to point at it second;
- the object the record pointed at before is deleted only after the record stopped naming it.

Because no key is ever reused, an object that no draft names can never be named again: the
old object a save deletes cannot be one a newer save (from another tab) points at. A failure
between the steps leaves at worst an object no draft names, which `eduportal storage
reconcile` finds and deletes once it is older than its window.

Every save is a compare-and-set on the draft's version, so of two tabs saving from the same
version the second gets a `ConflictError` and reloads, instead of overwriting newer work. A
save whose image bytes did not change (same SHA-256) keeps the stored object: typing in the
text costs one database write.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Final

from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import OwnImage
from eduportal.domain.drafts import (
    NO_DRAFT,
    Draft,
    DraftImage,
    DraftQuestion,
    draft_changed_meanwhile,
)
from eduportal.domain.errors import ConflictError, EduportalError, NotFoundError
from eduportal.domain.keys import new_draft_image_key
from eduportal.imaging.probe import probe
from eduportal.observability.logging import log_context
from eduportal.ports import Clock, DraftRepository, ObjectStore
from eduportal.services.accounts import require_role

log = logging.getLogger(__name__)

DRAFT_CACHE_CONTROL: Final = "private, no-store"
"""A draft image is one teacher's unfinished work: nothing between them and us may keep it."""

LOAD_ROUNDS: Final = 3
"""Reads of a draft whose image another tab replaced while it was being read: each round
means one more save landed in between, so three only run out under a stream of saves."""


@dataclass(frozen=True, slots=True)
class ChosenImage:
    """An image as the page holds it: the bytes and the label shown under them."""

    data: bytes
    label: str


@dataclass(frozen=True, slots=True)
class LoadedDraft:
    """A draft with its image's bytes, read together so they belong to the same version."""

    draft: Draft
    image: ChosenImage | None


class DraftService:
    def __init__(
        self,
        drafts: DraftRepository,
        store: ObjectStore,
        clock: Clock,
        *,
        max_image_bytes: int,
        max_image_pixels: int,
    ) -> None:
        """`max_image_bytes` and `max_image_pixels` are the limits every image upload has."""
        self.drafts = drafts
        self.store = store
        self.clock = clock
        self.max_image_bytes = max_image_bytes
        self.max_image_pixels = max_image_pixels

    def load(self, teacher: Account) -> LoadedDraft | None:
        """The teacher's draft and its image, or None when there is none.

        A record whose image object is missing (deleted behind the portal's back) loads
        without its image rather than not at all; the next save drops the reference.
        """
        require_role(teacher, Role.TEACHER)
        with log_context(user=teacher.username):
            for _ in range(LOAD_ROUNDS):
                draft = self.drafts.get(teacher.username)
                if draft is None:
                    return None
                if draft.image is None:
                    return LoadedDraft(draft, None)
                try:
                    data = self._read(draft.image.key)
                except NotFoundError:
                    again = self.drafts.get(teacher.username)
                    if again is not None and again.version == draft.version:
                        log.warning("draft image missing", extra={"key": draft.image.key})
                        return LoadedDraft(replace(draft, image=None), None)
                    continue  # another tab saved (or discarded) meanwhile: read it again
                return LoadedDraft(draft, ChosenImage(data, draft.image.label))
        raise ConflictError(
            "This draft is being changed in another tab right now. Please reload the page.",
            detail=f"draft of {teacher.username} changed in each of {LOAD_ROUNDS} reads",
            transient=True,
        )

    def save(
        self,
        teacher: Account,
        *,
        title: str,
        text: str,
        questions: Sequence[tuple[str, str]],
        image: ChosenImage | None,
        expected_version: int,
        subject: str = "",
        upload: OwnImage | None = None,
        image_alt: str = "",
        image_alt_edited: bool = False,
    ) -> Draft:
        """Save the page as it is now, from `expected_version` (`NO_DRAFT` for the first save).

        `upload` is an own image the teacher chose, already in the processing pipeline: the
        draft keeps its image id (the pipeline keeps the bytes), beside `image` if the page
        keeps one to fall back on. `image_alt` is the description shown for the image,
        `image_alt_edited` when the teacher changed it.

        Returns the saved draft; its `version` is the `expected_version` of the next save.
        Raises `ValidationError` for a field over its limit or an image refused (too large,
        not an image), before anything is stored, and `ConflictError` when another tab saved
        or discarded the draft since `expected_version`.
        """
        require_role(teacher, Role.TEACHER)
        username = teacher.username
        draft = Draft(
            title=title,
            text=text,
            questions=tuple(DraftQuestion(question, answer) for question, answer in questions),
            image=None,
            updated_at=self.clock.now(),
            version=expected_version + 1,
            subject=subject,
            upload=upload,
            image_alt=image_alt,
            image_alt_edited=image_alt_edited,
        )
        with log_context(user=username):
            current = self.drafts.get(username)
            stored_version = NO_DRAFT if current is None else current.version
            if stored_version != expected_version:
                raise draft_changed_meanwhile(
                    username, stored_version, expected_version, where="draft service"
                )
            kept = None if current is None else current.image
            draft = replace(draft, image=self._image_for(username, image, kept))
            old_key = None if kept is None else kept.key
            new_key = None if draft.image is None else draft.image.key
            written = new_key if new_key != old_key else None
            self._save(username, draft, expected_version, written)
            if old_key is not None and old_key != new_key:
                self._delete(old_key)
        return draft

    def discard(self, teacher: Account) -> None:
        """Delete the teacher's draft and its image; nothing to discard is not an error."""
        require_role(teacher, Role.TEACHER)
        with log_context(user=teacher.username):
            discarded = self.drafts.delete(teacher.username)
            if discarded is not None and discarded.image is not None:
                self._delete(discarded.image.key)

    # -- helpers --------------------------------------------------------------------------------

    def _image_for(
        self, username: str, image: ChosenImage | None, kept: DraftImage | None
    ) -> DraftImage | None:
        """The reference the draft will hold: `kept` when the bytes are the same, else a new
        object, checked and written under a fresh key."""
        if image is None:
            return None
        digest = hashlib.sha256(image.data).hexdigest()
        if kept is not None and kept.sha256 == digest:
            return replace(kept, label=image.label)
        reference = DraftImage(new_draft_image_key(username, digest), digest, image.label)
        probed = probe(image.data, max_bytes=self.max_image_bytes, max_pixels=self.max_image_pixels)
        self.store.put(
            reference.key,
            image.data,
            content_type=probed.mime_type,
            cache_control=DRAFT_CACHE_CONTROL,
        )
        return reference

    def _save(
        self, username: str, draft: Draft, expected_version: int, written: str | None
    ) -> None:
        """Save the record; an object written for it is deleted again only when the save
        certainly did not land (a lost compare-and-set). After any other failure the save may
        have landed after all, so the object stays: the reconciler deletes it if no draft
        names it."""
        try:
            self.drafts.save(username, draft, expected_version=expected_version)
        except ConflictError:
            if written is not None:
                self._delete(written)
            raise
        except EduportalError:
            if written is not None:
                log.warning(
                    "draft not saved; its image is left to the reconciler", extra={"key": written}
                )
            raise

    def _read(self, key: str) -> bytes:
        return self.store.get(key).data

    def _delete(self, key: str) -> None:
        """Delete an object no draft names any more; a failure leaves an orphan for the
        reconciler rather than failing a save that has landed."""
        try:
            self.store.delete(key)
        except EduportalError:
            log.warning("could not delete a draft image no draft names", extra={"key": key})
