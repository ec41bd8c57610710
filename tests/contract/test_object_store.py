"""One contract for `ObjectStore`, run against every adapter (files, and S3 over moto's wire)."""

from __future__ import annotations

import shutil
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from eduportal.adapters.aws.s3_store import S3ObjectStore
from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import NotFoundError, StorageUnavailableError, ValidationError
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL, Lifecycle
from eduportal.ports import ObjectStore
from tests.support.fixture_types import S3StoreFactory


@pytest.fixture(params=["local", "s3"])
def store(request: pytest.FixtureRequest) -> ObjectStore:
    if request.param == "local":
        local: ObjectStore = request.getfixturevalue("local_store")
        return local
    factory: S3StoreFactory = request.getfixturevalue("make_s3_store")
    return factory()


def put(store: ObjectStore, key: str, data: bytes, **extra: object) -> None:
    store.put(
        key,
        data,
        content_type=str(extra.get("content_type", "image/webp")),
        cache_control=IMMUTABLE_CACHE_CONTROL,
        metadata={"assignment-id": "a1", "optimized": "true"},
    )


def test_round_trip_keeps_bytes_type_metadata_and_cache_control(store: ObjectStore) -> None:
    receipt = store.put(
        "generated_images/a1.webp",
        b"RIFF-bytes",
        content_type="image/webp",
        cache_control=IMMUTABLE_CACHE_CONTROL,
        metadata={"assignment-id": "a1", "teacher-id": "t 1"},
    )
    got = store.get("generated_images/a1.webp")
    assert got.data == b"RIFF-bytes"
    assert got.content_type == "image/webp"
    assert got.cache_control == IMMUTABLE_CACHE_CONTROL
    assert dict(got.metadata) == {"assignment-id": "a1", "teacher-id": "t 1"}
    assert receipt.attempts == 1
    assert receipt.size_bytes == len(b"RIFF-bytes")
    assert got.etag == receipt.etag and got.etag


def test_etag_changes_with_content_and_not_otherwise(store: ObjectStore) -> None:
    put(store, "k/one.webp", b"first")
    first = store.get("k/one.webp").etag
    assert store.get("k/one.webp").etag == first
    put(store, "k/one.webp", b"second")
    assert store.get("k/one.webp").etag != first
    assert store.get("k/one.webp").data == b"second"


def test_missing_key_raises_not_found(store: ObjectStore) -> None:
    with correlation_scope("cid-missing"), pytest.raises(NotFoundError) as caught:
        store.get("generated_images/never.webp")
    assert caught.value.user_message == "The image was not found."
    assert caught.value.correlation_id == "cid-missing"


def test_delete_is_idempotent(store: ObjectStore) -> None:
    put(store, "generated_images/gone.webp", b"x")
    store.delete("generated_images/gone.webp")
    store.delete("generated_images/gone.webp")
    with pytest.raises(NotFoundError):
        store.get("generated_images/gone.webp")


def test_objects_are_tagged_auto_until_marked_permanent(store: ObjectStore) -> None:
    put(store, "generated_images/keep.webp", b"x")
    assert store.get_lifecycle("generated_images/keep.webp") is Lifecycle.AUTO
    store.set_lifecycle("generated_images/keep.webp", Lifecycle.PERMANENT)
    assert store.get_lifecycle("generated_images/keep.webp") is Lifecycle.PERMANENT
    assert store.get("generated_images/keep.webp").data == b"x"


def test_tagging_a_missing_key_is_not_found(store: ObjectStore) -> None:
    with pytest.raises(NotFoundError):
        store.set_lifecycle("generated_images/none.webp", Lifecycle.PERMANENT)


def test_list_keys_by_prefix(store: ObjectStore) -> None:
    for key in ("uploads/i1/a.png", "uploads/i2/b.png", "generated_images/c.webp"):
        put(store, key, b"x")
    assert sorted(store.list_keys("uploads/")) == ["uploads/i1/a.png", "uploads/i2/b.png"]
    assert sorted(store.list_keys()) == [
        "generated_images/c.webp",
        "uploads/i1/a.png",
        "uploads/i2/b.png",
    ]


def test_list_objects_gives_size_and_time_of_last_write(store: ObjectStore) -> None:
    before = time.time()
    put(store, "generated_images/a.webp", b"12345")
    put(store, "generated_images/b.webp", b"")
    put(store, "generated_images/a.webp", b"1234567")  # rewritten: the new size counts
    put(store, "generated_imagesX/c.webp", b"x")
    put(store, "uploads/i1/d.png", b"xy")
    after = time.time()
    listed = {info.key: info for info in store.list_objects("generated_images/")}
    assert set(listed) == {"generated_images/a.webp", "generated_images/b.webp"}
    assert listed["generated_images/a.webp"].size_bytes == 7
    assert listed["generated_images/b.webp"].size_bytes == 0
    for info in listed.values():
        # S3 keeps whole seconds; clocks of client and server agree to within a second here.
        assert before - 2 <= info.last_modified <= after + 2
    assert {info.key for info in store.list_objects()} == {
        "generated_images/a.webp",
        "generated_images/b.webp",
        "generated_imagesX/c.webp",
        "uploads/i1/d.png",
    }
    assert [info.key for info in store.list_objects("uploads/i1/d")] == ["uploads/i1/d.png"]
    assert list(store.list_objects("nothing/")) == []


def test_head_gives_size_time_and_type_without_the_bytes(store: ObjectStore) -> None:
    before = time.time()
    store.put("uploads/i1/a.png", b"12345", content_type="image/png", cache_control="no-cache")
    head = store.head("uploads/i1/a.png")
    assert (head.key, head.size_bytes, head.content_type) == ("uploads/i1/a.png", 5, "image/png")
    assert before - 2 <= head.last_modified <= time.time() + 2
    with pytest.raises(NotFoundError):
        store.head("uploads/i1/b.png")


def test_deleted_objects_are_not_listed(store: ObjectStore) -> None:
    put(store, "generated_images/gone.webp", b"x")
    put(store, "generated_images/kept.webp", b"x")
    store.delete("generated_images/gone.webp")
    keys = [info.key for info in store.list_objects("generated_images/")]
    assert keys == ["generated_images/kept.webp"]


def test_empty_object_round_trips(store: ObjectStore) -> None:
    put(store, "empty/zero.bin", b"", content_type="application/octet-stream")
    assert store.get("empty/zero.bin").data == b""


@pytest.mark.parametrize(
    "key", ["../etc/passwd", "/abs.webp", "a//b.webp", ".hidden/x", "a/../b", "a/", "", "x y"]
)
def test_unsafe_keys_are_refused_before_any_io(store: ObjectStore, key: str) -> None:
    with pytest.raises(ValidationError):
        put(store, key, b"x")
    with pytest.raises(ValidationError):
        store.get(key)


def take_away(store: ObjectStore, request: pytest.FixtureRequest) -> None:
    """What each adapter's storage looks like when it is gone: a file where the data
    directory was; a deleted bucket."""
    if isinstance(store, LocalObjectStore):
        shutil.rmtree(store.root, ignore_errors=True)
        store.root.write_text("not a directory")
    else:
        assert isinstance(store, S3ObjectStore)
        request.getfixturevalue("s3_admin").delete_bucket(Bucket=store.bucket)


def test_check_passes_on_a_working_store_and_fails_when_it_is_gone(
    store: ObjectStore, request: pytest.FixtureRequest
) -> None:
    store.check()
    take_away(store, request)
    with pytest.raises(StorageUnavailableError):
        store.check()


# Property 1: S3 upload persistence (for any image and key, reading the key returns its bytes)
@given(
    data=st.binary(min_size=0, max_size=4096),
    assignment_id=st.from_regex(r"[A-Za-z0-9][A-Za-z0-9_-]{0,30}", fullmatch=True),
)
def test_any_bytes_under_any_valid_key_read_back_identical(
    store: ObjectStore, data: bytes, assignment_id: str
) -> None:
    key = f"generated_images/{assignment_id}.webp"
    put(store, key, data)
    assert store.get(key).data == data
