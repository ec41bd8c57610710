"""The readiness probe proves the store takes, gives back and deletes an object (req. 10.4)."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.domain.errors import PermissionDeniedError, StorageUnavailableError
from eduportal.domain.keys import HEALTH_PREFIX, canary_key
from eduportal.ports import StoredObject
from eduportal.services.readiness import check_storage_round_trip


class Recording(LocalObjectStore):
    """Files, with every call noted; `refuse` names an operation that fails as a role
    without that permission would."""

    def __init__(self, root: Path, refuse: str = "") -> None:
        super().__init__(root)
        self.calls: list[tuple[str, str]] = []
        self.refuse = refuse

    def _note(self, operation: str, key: str) -> None:
        self.calls.append((operation, key))
        if operation == self.refuse:
            raise PermissionDeniedError(detail=f"test: {operation} refused")

    def put(self, key: str, data: bytes, **options: Any) -> Any:
        self._note("put", key)
        return super().put(key, data, **options)

    def get(self, key: str) -> StoredObject:
        self._note("get", key)
        return super().get(key)

    def delete(self, key: str) -> None:
        self._note("delete", key)
        super().delete(key)


def test_a_canary_is_written_read_and_deleted_leaving_nothing(tmp_path: Path) -> None:
    store = Recording(tmp_path)
    check_storage_round_trip(store)
    assert [operation for operation, _ in store.calls] == ["put", "get", "delete"]
    assert len({key for _, key in store.calls}) == 1
    assert store.calls[0][1].startswith(HEALTH_PREFIX)
    assert list(store.list_keys()) == []


@pytest.mark.parametrize("refused", ["put", "get", "delete"])
def test_a_store_that_refuses_any_step_is_not_ready(tmp_path: Path, refused: str) -> None:
    store = Recording(tmp_path, refuse=refused)
    with pytest.raises(PermissionDeniedError):
        check_storage_round_trip(store)
    if refused == "get":  # the canary is still cleaned up
        assert [operation for operation, _ in store.calls] == ["put", "get", "delete"]
        assert list(store.list_keys()) == []


def test_bytes_read_back_unlike_those_written_are_not_ready(tmp_path: Path) -> None:
    class Corrupting(LocalObjectStore):
        def get(self, key: str) -> StoredObject:
            found = super().get(key)
            return dataclasses.replace(found, data=found.data + b"!")

    with pytest.raises(StorageUnavailableError, match="unlike"):
        check_storage_round_trip(Corrupting(tmp_path))


def test_canary_keys_are_valid_for_any_host_name() -> None:
    assert (
        canary_key("ip-10-0-1-5.ec2.internal", "ab12") == "health/ip-10-0-1-5-ec2-internal-ab12.bin"
    )
    assert canary_key("", "ab12") == "health/host-ab12.bin"
