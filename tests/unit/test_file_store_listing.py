"""What only the local store's listing can show: files that are not objects, unreadable
directories. The shared listing contract is in tests/contract/test_object_store.py."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.errors import StorageUnavailableError
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL


def put(store: LocalObjectStore, key: str) -> None:
    store.put(key, b"RIFF", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL)


def test_temporary_files_of_interrupted_writes_are_not_objects(
    local_store: LocalObjectStore,
) -> None:
    put(local_store, "generated_images/a1.webp")
    folder = local_store.root / "objects" / "generated_images"
    (folder / ".tmp-abc123").write_bytes(b"half an image")
    assert [info.key for info in local_store.list_objects()] == ["generated_images/a1.webp"]


def test_an_empty_data_directory_lists_nothing(tmp_path: Path) -> None:
    assert list(LocalObjectStore(tmp_path / "never-created").list_objects()) == []


def test_an_unreadable_directory_fails_the_listing_instead_of_hiding_objects(
    local_store: LocalObjectStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    put(local_store, "uploads/i1/a.png")
    unreadable = local_store.root / "objects" / "uploads"
    real_scandir = os.scandir

    # chmod cannot stop root, who runs this suite in containers; refusing the read can.
    def scandir(path: Any) -> Any:
        if Path(path) == unreadable:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    with pytest.raises(StorageUnavailableError) as caught:
        list(local_store.list_objects())
    assert str(unreadable) in caught.value.detail
