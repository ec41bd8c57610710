"""The table of real clients' Accept headers (`tests/data/accept_headers.json`) that both the
Python negotiation and the CloudFront function are tested on."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from eduportal.domain.delivery import DeliveryFormat

TABLE = Path(__file__).parent.parent / "data" / "accept_headers.json"


@dataclass(frozen=True, slots=True)
class Client:
    client: str
    accept: str | None
    format: DeliveryFormat


def clients() -> list[Client]:
    rows = json.loads(TABLE.read_text())["clients"]
    return [Client(row["client"], row["accept"], DeliveryFormat(row["format"])) for row in rows]


def uris() -> list[str]:
    return list(json.loads(TABLE.read_text())["uris"])
