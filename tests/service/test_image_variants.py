"""Variants made in the background (issue 11): after a record names an illustration, never
for one a failed save discards; a failure leaves the WebP served and says why in the log;
replacing or deleting an image takes its variants along; reconcile counts them as their
image's."""

from __future__ import annotations

import time

import pytest

from eduportal.domain.accounts import Account
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL
from eduportal.domain.keys import canonical_key, variant_key
from eduportal.services.reconcile import Reconciler
from eduportal.wiring import Container
from tests.support.clock import FakeClock
from tests.support.images import gradient, photograph, png
from tests.support.texts import TEXT

TWO_HOURS = 7200.0


def variants_under(container: Container, image: str) -> list[str]:
    stem = image.removesuffix("webp")
    return sorted(
        key for key in container.object_store.list_keys(stem) if canonical_key(key) == image
    )


def wait_for_variants(container: Container, images: tuple[str, ...]) -> None:
    deadline = time.monotonic() + 60
    while not all(variants_under(container, image) for image in images):
        assert time.monotonic() < deadline, "variants not made within 60 s"
        time.sleep(0.1)


def test_a_stored_illustration_and_its_thumbnails_get_variants_in_the_background(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    images = (created.s3_image_key, *created.thumbnail_keys)
    wait_for_variants(container, images)
    for image in images:
        stored = container.object_store.get(image)
        for key in variants_under(container, image):
            variant = container.object_store.get(key)
            assert variant.metadata["assignment-id"] == created.assignment_id
            assert variant.metadata["encoding"] in {"lossy", "lossless"}
            if key.endswith(".avif"):
                assert len(variant.data) < len(stored.data)


def test_a_failure_is_logged_with_the_key_and_the_webp_stands(
    container: Container, caplog: pytest.LogCaptureFixture
) -> None:
    key = container.image_store.store_generated(
        "0001700000000-broken", png(photograph("coffee")), teacher_id="t"
    ).key
    # The stored object is damaged behind the portal's back: no variant can be made of it.
    container.object_store.put(
        key,
        b"RIFF\x10\x00\x00\x00WEBPVP8 damaged",
        content_type="image/webp",
        cache_control=IMMUTABLE_CACHE_CONTROL,
    )
    with caplog.at_level("WARNING"):
        made = container.image_variants.make(key)
    assert made.written == () and made.error
    assert variants_under(container, key) == []
    served = container.image_delivery.read(key, "image/avif,image/webp,*/*")
    assert (served.content_type, served.is_placeholder) == ("image/webp", False)
    logged = [r for r in caplog.records if "variants not made" in r.message]
    assert logged and getattr(logged[0], "key", None) == key
    assert container.image_variants.make("uploads/x/photo.jpg").error  # not a stored WebP


def test_replacing_an_image_drops_the_old_variants_until_new_ones_are_made(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    first = container.assignments.replace_image(
        teacher, created.assignment_id, png(photograph("chelsea"))
    )
    wait_for_variants(container, (first.s3_image_key,))
    old_avif = container.object_store.get(variant_key(first.s3_image_key, "avif")).etag

    second = container.assignments.replace_image(
        teacher, created.assignment_id, png(photograph("astronaut"))
    )
    assert second.s3_image_key == first.s3_image_key  # the same key, a new picture
    # At no moment after the replacement is the old picture's AVIF there.
    avif = variant_key(second.s3_image_key, "avif")
    assert [container.object_store.get(k).etag for k in container.object_store.list_keys(avif)] != [
        old_avif
    ]
    wait_for_variants(container, (second.s3_image_key,))
    assert container.object_store.get(variant_key(second.s3_image_key, "avif")).etag != old_avif


def test_deleting_an_assignment_deletes_its_variants_and_reconcile_stays_clean(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    images = (created.s3_image_key, *created.thumbnail_keys)
    wait_for_variants(container, images)
    reconciler = Reconciler(
        container.object_store,
        container.repositories.assignments,
        drafts=container.repositories.drafts,
        clock=FakeClock(time.time() + TWO_HOURS),
    )
    assert reconciler.find().orphans == ()  # variants belong to their image's record

    orphan = container.image_store.store_generated(
        "0001700000000-crash1", png(gradient(64, 48)), teacher_id="t"
    )
    container.image_variants.make(orphan.key)
    found = sorted(info.key for info in reconciler.find().orphans)
    assert found == sorted(
        [orphan.key, *orphan.thumbnail_keys, *variants_under(container, orphan.key)]
    )

    container.assignments.delete(teacher, created.assignment_id)
    assert all(variants_under(container, image) == [] for image in images)
