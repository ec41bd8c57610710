"""The image records table on DynamoDB as the portal uses it: its key and the indexes its
queries name, each index carrying the whole record (the portal reads the record's document from
the index). `adapters.aws.dynamodb_image_records` creates tables from it (for tests and local
trials) and `eduportal infra check` holds a deployed table to it, so the Terraform that builds
the table and the code that reads it cannot drift apart unnoticed."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal, TypeAlias

KeyRole: TypeAlias = Literal["HASH", "RANGE"]
"""DynamoDB's names for a partition key (`HASH`) and a sort key (`RANGE`)."""
Projection: TypeAlias = Literal["ALL", "KEYS_ONLY", "INCLUDE"]


@dataclass(frozen=True, slots=True)
class TableIndex:
    name: str
    key: tuple[tuple[str, KeyRole], ...]
    """(attribute, role), partition key first."""
    projection: Projection = "ALL"


PARTITION_KEY: Final = "image_id"
BY_KEY: Final = TableIndex("by_key", (("key", "HASH"),))
BY_STATUS: Final = TableIndex("by_status", (("status", "HASH"), ("uploaded_at", "RANGE")))
BY_DAY: Final = TableIndex("by_day", (("uploaded_day", "HASH"), ("uploaded_at", "RANGE")))
INDEXES: Final = (BY_KEY, BY_STATUS, BY_DAY)
ATTRIBUTE_TYPES: Final[dict[str, Literal["S", "N"]]] = {
    PARTITION_KEY: "S",
    "key": "S",
    "status": "S",
    "uploaded_day": "S",
    "uploaded_at": "N",
}
"""DynamoDB's type of each attribute a key names: `S` string, `N` number."""
