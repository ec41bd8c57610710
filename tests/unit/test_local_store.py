"""What only the file adapter must guarantee: atomic writes and nothing left half-written."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.errors import NotFoundError, StorageUnavailableError
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL


def files_under(root: Path) -> list[str]:
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file())


def test_a_failed_write_leaves_no_object_and_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = LocalObjectStore(tmp_path)
    store.put("k/a.webp", b"old", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL)

    def failing_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(StorageUnavailableError) as caught:
        store.put(
            "k/a.webp", b"new", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL
        )
    with pytest.raises(StorageUnavailableError):
        store.put(
            "k/b.webp", b"new", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL
        )
    assert "No space left" in caught.value.detail
    assert "No space" not in caught.value.user_message
    monkeypatch.undo()
    assert store.get("k/a.webp").data == b"old"
    with pytest.raises(NotFoundError):
        store.get("k/b.webp")
    assert not [name for name in files_under(tmp_path) if ".tmp-" in name]


def test_objects_are_plain_files_an_operator_can_open(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put("generated_images/a.webp", b"RIFF", content_type="image/webp", cache_control="c")
    assert (tmp_path / "objects" / "generated_images" / "a.webp").read_bytes() == b"RIFF"
    assert files_under(tmp_path) == [
        "meta/generated_images/a.webp.json",
        "objects/generated_images/a.webp",
    ]


def test_a_lost_sidecar_still_serves_the_bytes(tmp_path: Path) -> None:
    store = LocalObjectStore(tmp_path)
    store.put("k/a.webp", b"RIFF", content_type="image/webp", cache_control="c")
    (tmp_path / "meta" / "k" / "a.webp.json").write_text("{broken")
    got = store.get("k/a.webp")
    assert got.data == b"RIFF"
    assert got.content_type == "application/octet-stream"


def test_check_fails_when_the_data_dir_is_unusable(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(StorageUnavailableError):
        LocalObjectStore(blocker).check()
