"""`ObjectStore` on the local filesystem, the embedded default.

Layout under the root: `objects/{key}` holds the bytes, exactly as stored, so an operator can
open them; `meta/{key}.json` holds content type, cache control, metadata and the lifecycle tag.
Every write goes to a temporary file in the target's directory and is renamed into place
(`os.replace` is atomic), so a reader sees the old object or the new one, never half of one,
and a crash leaves at most a `.tmp-*` file that no key can name.

Durable before `put` returns: the file is fsynced before the rename, and the directory after
it (and after creating a directory), because a rename lives in the directory, not in the file:
without that a power cut can undo the rename although the bytes reached the disk. Callers save
a record naming the key right after `put` (an assignment's image), so a committed record must
never outlive its object. Deletes sync the directory too, so a deleted image stays deleted.
"""

from __future__ import annotations

import dataclasses
import errno
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from eduportal.domain.errors import NotFoundError, StorageUnavailableError
from eduportal.domain.images import Lifecycle
from eduportal.domain.keys import validate_key
from eduportal.ports import ObjectInfo, PutReceipt, StoredObject

_DEFAULT_TYPE = "application/octet-stream"


class LocalObjectStore:
    backend = "local"

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self._objects = self.root / "objects"
        self._meta = self.root / "meta"

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str,
        metadata: Mapping[str, str] | None = None,
        lifecycle: Lifecycle = Lifecycle.AUTO,
    ) -> PutReceipt:
        path, meta_path = self._paths(key)
        meta = _Meta(content_type, cache_control, dict(metadata or {}), lifecycle)
        try:
            _atomic_write(meta_path, meta.to_json())
            _atomic_write(path, data)
        except OSError as exc:
            raise StorageUnavailableError(detail=f"local put {key}: {exc}") from exc
        return PutReceipt(key=key, etag=_etag(data), size_bytes=len(data), attempts=1)

    def get(self, key: str) -> StoredObject:
        path, meta_path = self._paths(key)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            raise NotFoundError(detail=f"local get {key}: no such object") from None
        except OSError as exc:
            if exc.errno == errno.ENAMETOOLONG:  # no such name can exist: simply not found
                raise NotFoundError(detail=f"local get {key}: {exc}") from None
            raise StorageUnavailableError(detail=f"local get {key}: {exc}") from exc
        meta = _Meta.read(meta_path)
        return StoredObject(
            key=key,
            data=data,
            content_type=meta.content_type,
            etag=_etag(data),
            metadata=meta.metadata,
            cache_control=meta.cache_control,
        )

    def head(self, key: str) -> ObjectInfo:
        path, meta_path = self._paths(key)
        try:
            info = path.stat()
        except (FileNotFoundError, NotADirectoryError):
            raise NotFoundError(detail=f"local head {key}: no such object") from None
        except OSError as exc:
            raise StorageUnavailableError(detail=f"local head {key}: {exc}") from exc
        return ObjectInfo(
            key=key,
            size_bytes=info.st_size,
            last_modified=info.st_mtime,
            content_type=_Meta.read(meta_path).content_type,
        )

    def delete(self, key: str) -> None:
        path, meta_path = self._paths(key)
        for target in (path, meta_path):
            try:
                target.unlink()
                _fsync_directory(target.parent)
            except FileNotFoundError:
                continue
            except OSError as exc:
                raise StorageUnavailableError(detail=f"local delete {key}: {exc}") from exc

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None:
        path, meta_path = self._paths(key)
        if not path.is_file():
            raise NotFoundError(detail=f"local tag {key}: no such object")
        meta = dataclasses.replace(_Meta.read(meta_path), lifecycle=lifecycle)
        try:
            _atomic_write(meta_path, meta.to_json())
        except OSError as exc:
            raise StorageUnavailableError(detail=f"local tag {key}: {exc}") from exc

    def get_lifecycle(self, key: str) -> Lifecycle:
        path, meta_path = self._paths(key)
        if not path.is_file():
            raise NotFoundError(detail=f"local tag {key}: no such object")
        return _Meta.read(meta_path).lifecycle

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        return (info.key for info in self.list_objects(prefix))

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Walks only the directories that can hold keys with `prefix`, in name order.

        Names starting with `.` are skipped: they are temporary files of writes in progress
        (or of writes a crash interrupted), which no key can name.
        """
        if not self._objects.is_dir():
            return
        for directory, subdirectories, files in os.walk(self._objects, onerror=_raise):
            folder = Path(directory)
            relative = folder.relative_to(self._objects).as_posix()
            base = "" if relative == "." else f"{relative}/"
            subdirectories[:] = sorted(
                name
                for name in subdirectories
                if _may_hold(f"{base}{name}/", prefix) and not name.startswith(".")
            )
            for name in sorted(files):
                key = f"{base}{name}"
                if name.startswith(".") or not key.startswith(prefix):
                    continue
                try:
                    info = (folder / name).stat()
                except FileNotFoundError:
                    continue  # deleted since the directory was read
                except OSError as exc:
                    raise StorageUnavailableError(detail=f"local list {key}: {exc}") from exc
                yield ObjectInfo(key=key, size_bytes=info.st_size, last_modified=info.st_mtime)

    def check(self) -> None:
        try:
            self._objects.mkdir(parents=True, exist_ok=True)
            probe = tempfile.NamedTemporaryFile(dir=self._objects, prefix=".tmp-check-")  # noqa: SIM115
            probe.close()
        except OSError as exc:
            raise StorageUnavailableError(detail=f"data directory not writable: {exc}") from exc

    def _paths(self, key: str) -> tuple[Path, Path]:
        validate_key(key)
        path = (self._objects / key).resolve()
        meta_path = (self._meta / f"{key}.json").resolve()
        # validate_key already forbids `..`; this guards against symlinks planted in the tree.
        if not path.is_relative_to(self._objects) or not meta_path.is_relative_to(self._meta):
            raise NotFoundError(detail=f"key {key!r} resolves outside the data directory")
        return path, meta_path


@dataclasses.dataclass(frozen=True, slots=True)
class _Meta:
    content_type: str = _DEFAULT_TYPE
    cache_control: str | None = None
    metadata: dict[str, str] = dataclasses.field(default_factory=dict)
    lifecycle: Lifecycle = Lifecycle.AUTO

    def to_json(self) -> bytes:
        return json.dumps(dataclasses.asdict(self)).encode()

    @classmethod
    def read(cls, path: Path) -> _Meta:
        """Defaults when the sidecar is missing or damaged: the bytes matter more than it."""
        try:
            raw = json.loads(path.read_bytes())
            return cls(
                content_type=str(raw["content_type"]),
                cache_control=raw.get("cache_control"),
                metadata={str(k): str(v) for k, v in raw.get("metadata", {}).items()},
                lifecycle=Lifecycle(raw.get("lifecycle", Lifecycle.AUTO)),
            )
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            return cls()


def _may_hold(directory: str, prefix: str) -> bool:
    """Whether keys under `directory` (ending in `/`) can start with `prefix`."""
    return directory.startswith(prefix) or prefix.startswith(directory)


def _raise(error: OSError) -> None:
    """`os.walk` skips unreadable directories by default; a listing must not hide objects."""
    raise StorageUnavailableError(detail=f"local list: {error}") from error


def _etag(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()[:32]


def _atomic_write(path: Path, data: bytes) -> None:
    _make_directories(path.parent)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_directory(path.parent)


def _make_directories(directory: Path) -> None:
    """`mkdir -p`, syncing each parent that gains a directory: the file synced inside a new
    directory is lost all the same if the directory's own entry is."""
    missing = []
    while not directory.is_dir():
        missing.append(directory)
        directory = directory.parent
    for created in reversed(missing):
        created.mkdir(exist_ok=True)
        _fsync_directory(created.parent)


def _fsync_directory(directory: Path) -> None:
    """Make the entries of `directory` (renames, new and removed names) durable."""
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
