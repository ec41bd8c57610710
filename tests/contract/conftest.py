"""Every repository contract runs on each database the portal supports: SQLite, mongomock,
and a real MongoDB when `MONGODB_URI` is set (a fresh database per test, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import mongomock
import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.mongo import mongo_database


@pytest.fixture(
    params=[
        "sqlite",
        "mongomock",
        pytest.param(
            "mongodb",
            marks=pytest.mark.skipif(
                not os.environ.get("MONGODB_URI"),
                reason="MONGODB_URI is not set: no real MongoDB server to run against",
            ),
        ),
    ]
)
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    if request.param == "sqlite":
        db = SqliteDatabase(tmp_path / "eduportal.db")
        yield db
        db.close()
    elif request.param == "mongomock":
        yield mongomock.MongoClient().db
    else:
        name = f"eduportal_test_{uuid.uuid4().hex[:12]}"
        real = mongo_database(os.environ["MONGODB_URI"], name, timeout_seconds=10.0)
        yield real
        real.client.drop_database(name)
        real.client.close()
