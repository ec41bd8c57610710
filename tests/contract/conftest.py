"""Every repository contract runs on each database the portal supports: SQLite, mongomock,
a real MongoDB when `MONGODB_URI` is set (a fresh database per test, dropped after), and for
the pipeline's image records also DynamoDB, on moto's server over HTTP. The processing queue's
contract runs on SQLite and on SQS (moto's server, fresh queues per test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import mongomock
import pytest

from eduportal.adapters.aws.clients import dynamodb_client, sqs_client
from eduportal.adapters.aws.dynamodb_image_records import (
    DynamoImageRecordRepository,
    create_table,
)
from eduportal.adapters.aws.sqs_queue import SqsQueue, create_queues
from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_image_records import SqliteImageRecordRepository
from eduportal.adapters.local.sqlite_queue import SqliteQueue
from eduportal.adapters.mongo import mongo_database
from eduportal.adapters.mongo_image_records import MongoImageRecordRepository
from eduportal.ports import ImageRecordRepository, Queue
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


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[SqliteDatabase]:
    """The embedded default's database alone, for the adapters only SQLite backs locally."""
    with opened("sqlite", tmp_path) as db:
        assert isinstance(db, SqliteDatabase)
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


@pytest.fixture
def queue_lease_seconds() -> float:
    """The queue contract's visibility timeout: short, so leases run out within a test, and a
    whole second, the shortest SQS has."""
    return 1.0


@pytest.fixture
def queue_max_receives() -> int:
    return 2


@pytest.fixture(params=["sqlite", "sqs"])
def queue(
    request: pytest.FixtureRequest,
    tmp_path: Path,
    queue_lease_seconds: float,
    queue_max_receives: int,
) -> Iterator[Queue]:
    if request.param == "sqs":
        moto_url: str = request.getfixturevalue("moto_url")
        client = sqs_client(region="us-east-1", timeout_seconds=10.0, endpoint_url=moto_url)
        urls = create_queues(
            client,
            f"processing-{uuid.uuid4().hex[:12]}",
            max_receives=queue_max_receives,
            visibility_timeout=queue_lease_seconds,
        )
        yield SqsQueue(client, *urls)
        for url in urls:
            client.delete_queue(QueueUrl=url)
        return
    with opened("sqlite", tmp_path) as db:
        assert isinstance(db, SqliteDatabase)
        yield SqliteQueue(
            db, visibility_timeout=queue_lease_seconds, max_receives=queue_max_receives
        )
