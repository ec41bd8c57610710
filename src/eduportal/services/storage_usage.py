"""How much the object stores hold, by key prefix and storage class, against a quota.

`eduportal storage usage` prints it; requirement 8.3's alarm (bucket above 80 % of its quota)
watches the same quota figure, `EDUPORTAL_STORAGE_QUOTA_BYTES`, so an operator can check by
hand what the alarm says. A listing reads every key once (1,000 per request on S3), so the
report costs one pass over the bucket and says its progress on large ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from eduportal.ports import ObjectInfo, ObjectStore

QUOTA_ALERT_SHARE: Final = 0.80
"""The share of the quota past which the store needs attention (requirement 8.3)."""
PROGRESS_EVERY: Final = 10_000


@dataclass
class Tally:
    objects: int = 0
    bytes: int = 0

    def add(self, size: int) -> None:
        self.objects += 1
        self.bytes += size

    def as_dict(self) -> dict[str, int]:
        return {"objects": self.objects, "bytes": self.bytes}


@dataclass
class Usage:
    total: Tally = field(default_factory=Tally)
    by_prefix: dict[str, Tally] = field(default_factory=dict)
    """By the key's first segment: `generated_images/`, `uploads/`, `processed/`, ..."""
    by_storage_class: dict[str, Tally] = field(default_factory=dict)

    def add(self, info: ObjectInfo) -> None:
        self.total.add(info.size_bytes)
        self.by_prefix.setdefault(prefix_of(info.key), Tally()).add(info.size_bytes)
        self.by_storage_class.setdefault(info.storage_class, Tally()).add(info.size_bytes)

    def share_of(self, quota_bytes: int) -> float:
        return self.total.bytes / quota_bytes

    def as_dict(self) -> dict[str, object]:
        return {
            **self.total.as_dict(),
            "by_prefix": {name: t.as_dict() for name, t in sorted(self.by_prefix.items())},
            "by_storage_class": {
                name: t.as_dict() for name, t in sorted(self.by_storage_class.items())
            },
        }


def prefix_of(key: str) -> str:
    head, slash, _ = key.partition("/")
    return head + slash if slash else "(top level)"


def measure(store: ObjectStore, progress: Callable[[str], None] = lambda _: None) -> Usage:
    usage = Usage()
    for info in store.list_objects():
        usage.add(info)
        if usage.total.objects % PROGRESS_EVERY == 0:
            progress(f"{usage.total.objects:,} objects, {usage.total.bytes:,} bytes so far")
    return usage
