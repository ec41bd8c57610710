"""The local store makes renames and deletes durable by syncing the directory that holds them.

A power cut cannot be staged in a test, so these tests watch the system calls instead: which
file descriptors are fsynced, whether they are directories, and in which order that happens
relative to the rename or unlink it must make durable.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL

Event = tuple[str, int]
"""("replace" | "unlink", inode of the containing directory) or ("fsync-dir", its inode)."""


@pytest.fixture
def events(monkeypatch: pytest.MonkeyPatch) -> list[Event]:
    recorded: list[Event] = []
    real_fsync, real_replace, real_unlink = os.fsync, os.replace, os.unlink

    def fsync(fd: int) -> None:
        info = os.fstat(fd)
        if stat.S_ISDIR(info.st_mode):
            recorded.append(("fsync-dir", info.st_ino))
        real_fsync(fd)

    def watched(name: str, call: Callable[..., None]) -> Callable[..., None]:
        def run(target: Any, *args: Any, **kwargs: Any) -> None:
            call(target, *args, **kwargs)
            destination = Path(args[0] if args else target)
            recorded.append((name, destination.parent.stat().st_ino))

        return run

    monkeypatch.setattr(os, "fsync", fsync)
    monkeypatch.setattr(os, "replace", watched("replace", real_replace))
    monkeypatch.setattr(os, "unlink", watched("unlink", real_unlink))
    return recorded


def synced_after(events: list[Event], kind: str, directory: Path) -> bool:
    """True when `directory` was fsynced after the last `kind` of an entry inside it."""
    inode = directory.stat().st_ino
    last = max(i for i, event in enumerate(events) if event == (kind, inode))
    return ("fsync-dir", inode) in events[last + 1 :]


def put(store: LocalObjectStore, key: str) -> None:
    store.put(key, b"RIFF", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL)


def test_put_syncs_the_directory_after_renaming_into_it(
    local_store: LocalObjectStore, events: list[Event]
) -> None:
    put(local_store, "generated_images/a1.webp")
    objects = local_store.root / "objects" / "generated_images"
    meta = local_store.root / "meta" / "generated_images"
    assert synced_after(events, "replace", objects)
    assert synced_after(events, "replace", meta)


def test_put_syncs_the_parents_of_directories_it_creates(
    local_store: LocalObjectStore, events: list[Event]
) -> None:
    put(local_store, "uploads/i1/photo.png")
    synced = {inode for kind, inode in events if kind == "fsync-dir"}
    for created in ("objects", "objects/uploads", "objects/uploads/i1"):
        assert (local_store.root / created).parent.stat().st_ino in synced, created


def test_delete_syncs_the_directory_after_unlinking(
    local_store: LocalObjectStore, events: list[Event]
) -> None:
    put(local_store, "generated_images/a1.webp")
    events.clear()
    local_store.delete("generated_images/a1.webp")
    assert synced_after(events, "unlink", local_store.root / "objects" / "generated_images")
    assert synced_after(events, "unlink", local_store.root / "meta" / "generated_images")


def test_deleting_a_missing_key_syncs_nothing(
    local_store: LocalObjectStore, events: list[Event]
) -> None:
    local_store.delete("generated_images/never.webp")
    assert events == []
