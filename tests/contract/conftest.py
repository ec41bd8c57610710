"""Every repository contract runs on each database the portal supports: SQLite, mongomock,
a real MongoDB when `MONGODB_URI` is set (a fresh database per test, dropped after), and for
the pipeline's image records also DynamoDB, on moto's server over HTTP."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mongomock
import pytest

from eduportal.adapters.aws.clients import dynamodb_client
from eduportal.adapters.aws.dynamodb_image_records import (
    DynamoImageRecordRepository,
    create_table,
)
from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_image_records import SqliteImageRecordRepository
from eduportal.adapters.mongo import mongo_database
from eduportal.adapters.mongo_image_records import MongoImageRecordRepository
from eduportal.ports import ImageRecordRepository
from tests.support.fixture_types import MongoDatabase

MONGODB_SERVER = pytest.param(
    "mongodb",
    marks=pytest.mark.skipif(
        not os.environ.get("MONGODB_URI"),
        reason="MONGODB_URI is not set: no real MongoDB server to run against",
    ),
)


@contextmanager
def opened(kind: str, tmp_path: Path) -> Iterator[SqliteDatabase | MongoDatabase]:
    if kind == "sqlite":
        db = SqliteDatabase(tmp_path / "eduportal.db")
        yield db
        db.close()
    elif kind == "mongomock":
        yield mongomock.MongoClient().db
    else:
        name = f"eduportal_test_{uuid.uuid4().hex[:12]}"
        real = mongo_database(os.environ["MONGODB_URI"], name, timeout_seconds=10.0)
        yield real
        real.client.drop_database(name)
        real.client.close()


@pytest.fixture(params=["sqlite", "mongomock", MONGODB_SERVER])
def database(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[SqliteDatabase | MongoDatabase]:
    with opened(request.param, tmp_path) as db:
        yield db


@pytest.fixture(params=["sqlite", "mongomock", MONGODB_SERVER, "dynamodb"])
def image_records(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[ImageRecordRepository]:
    if request.param == "dynamodb":
        moto_url: str = request.getfixturevalue("moto_url")
        client = dynamodb_client(region="us-east-1", timeout_seconds=10.0, endpoint_url=moto_url)
        table = f"image-records-{uuid.uuid4().hex[:12]}"
        create_table(client, table)
        yield DynamoImageRecordRepository(client, table)
        client.delete_table(TableName=table)
        return
    with opened(request.param, tmp_path) as db:
        if isinstance(db, SqliteDatabase):
            yield SqliteImageRecordRepository(db)
        else:
            yield MongoImageRecordRepository(db)
