"""Concurrent image changes on one assignment: they serialize or fail cleanly with a 409, no
record ever points at a missing object, and no object is left without a record.

Before the image lock, two replacements racing on one assignment left 6 of 40 records
pointing at a deleted object.
"""

from __future__ import annotations

import threading
from collections import Counter
from pathlib import Path

import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import Assignment, ImageLock
from eduportal.domain.errors import ConflictError
from eduportal.domain.keys import NO_IMAGE, canonical_key
from eduportal.wiring import Container, build
from tests.support.clock import FakeClock
from tests.support.images import decode, gradient, photograph, png
from tests.support.texts import PASSWORD, TEXT

PHOTO = png(photograph("coffee"))
DRAWING = png(gradient(300, 200))


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def container(tmp_path: Path, clock: FakeClock) -> Container:
    settings = load_settings(storage="local", data_dir=tmp_path / "data", generators="offline")
    return build(settings, clock=clock)


@pytest.fixture
def teacher(container: Container) -> Account:
    return container.accounts.register("teacher1", PASSWORD, Role.TEACHER)


def assert_consistent(container: Container, assignment_id: str) -> Assignment:
    """The record names an object that exists (or none), and nothing else is stored for it
    (its thumbnails, which it names too, aside)."""
    record = container.repositories.assignments.get(assignment_id)
    listed = container.object_store.list_keys(f"generated_images/{assignment_id}")
    # Variants come from a background thread (test_image_variants has them); a PNG stored
    # because WebP failed has a variant's shape and is kept by the record's keys.
    stored = sorted(k for k in listed if canonical_key(k) is None or k in record.image_keys)
    if record.has_image:
        assert stored == sorted(record.image_keys) and len(record.thumbnail_keys) == 2
        data = container.object_store.get(record.s3_image_key).data
        assert record.image_metadata is not None
        width, height = decode(data).size
        assert record.image_metadata.dimensions == f"{width}x{height}"
    else:
        assert record.s3_image_key == NO_IMAGE and stored == []
    return record


@pytest.mark.parametrize("round_", range(4))
def test_racing_replacements_and_removals_serialize_or_conflict(
    container: Container, teacher: Account, round_: int
) -> None:
    created = container.assignments.create(
        teacher, TEXT, container.assignments.generate_questions(teacher, TEXT), PHOTO
    )
    workers = 8
    barrier = threading.Barrier(workers)
    outcomes: Counter[str] = Counter()
    errors: list[BaseException] = []

    def change(n: int) -> None:
        barrier.wait()
        try:
            if n % 3 == 2:
                container.assignments.remove_image(teacher, created.assignment_id)
            else:
                image = PHOTO if n % 2 else DRAWING
                container.assignments.replace_image(teacher, created.assignment_id, image)
            outcomes["done"] += 1
        except ConflictError as exc:
            assert "reload" in exc.user_message or "try again" in exc.user_message
            outcomes["conflict"] += 1
        except BaseException as exc:  # anything else fails the test below
            errors.append(exc)

    threads = [threading.Thread(target=change, args=(n,)) for n in range(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert outcomes["done"] >= 1 and sum(outcomes.values()) == workers
    record = assert_consistent(container, created.assignment_id)
    assert record.image_lock is None
    # Every success moved the version on by two (claim, release) or three (old image deleted
    # in between); conflicts moved nothing.
    assert record.version >= 1 + 2 * outcomes["done"]


def claimed_by_someone_else(container: Container, teacher: Account, *, until: float) -> Assignment:
    """An assignment with an image whose record another request has claimed until `until`."""
    created = container.assignments.create(
        teacher, TEXT, container.assignments.generate_questions(teacher, TEXT), PHOTO
    )
    claimed = created.next_version(image_lock=ImageLock("someone else", until))
    container.repositories.assignments.replace(claimed, expected_version=created.version)
    return created


def test_a_live_claim_refuses_other_changes_with_a_409(
    container: Container, teacher: Account, clock: FakeClock
) -> None:
    created = claimed_by_someone_else(container, teacher, until=clock.now() + 60)
    for attempt in (
        lambda: container.assignments.replace_image(teacher, created.assignment_id, DRAWING),
        lambda: container.assignments.remove_image(teacher, created.assignment_id),
        lambda: container.assignments.delete(teacher, created.assignment_id),
        lambda: container.assignments.update_questions(
            teacher, created.assignment_id, created.question_answers
        ),
    ):
        with pytest.raises(ConflictError) as caught:
            attempt()
        assert caught.value.transient and "being changed right now" in caught.value.user_message
    assert_consistent(container, created.assignment_id)


def test_a_claim_left_by_a_crashed_request_expires(
    container: Container, teacher: Account, clock: FakeClock
) -> None:
    created = claimed_by_someone_else(container, teacher, until=clock.now() + 120)
    clock.advance(121)
    updated = container.assignments.replace_image(teacher, created.assignment_id, DRAWING)
    assert updated.image_lock is None and updated.image_metadata is not None
    assert updated.image_metadata.dimensions == "300x200"
    assert_consistent(container, created.assignment_id)


def test_an_edit_from_a_stale_version_is_a_conflict(container: Container, teacher: Account) -> None:
    created = container.assignments.create(
        teacher, TEXT, container.assignments.generate_questions(teacher, TEXT)
    )
    edited = container.assignments.update_questions(
        teacher, created.assignment_id, created.question_answers[:2]
    )
    assert edited.version == 2
    with pytest.raises(ConflictError):
        container.repositories.assignments.replace(
            created.next_version(prompt="stale"), expected_version=created.version
        )
    assert (
        container.assignments.get(created.assignment_id).question_answers
        == (created.question_answers[:2])
    )
