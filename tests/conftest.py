"""Shared fixtures: real adapters only (files, moto's S3 server on loopback, fault proxy)."""

from __future__ import annotations

import io
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from hypothesis import HealthCheck, settings
from moto.server import ThreadedMotoServer

from eduportal.adapters.aws.clients import s3_client
from eduportal.adapters.aws.s3_store import S3ObjectStore
from eduportal.adapters.local.file_store import LocalObjectStore
from eduportal.observability.logging import configure_logging
from tests.support.fault_proxy import FaultProxy
from tests.support.fixture_types import JsonLog, S3StoreFactory
from tests.support.logs import detach_handlers, parsed

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

settings.register_profile(
    "eduportal", deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
settings.load_profile("eduportal")

_FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
    "AWS_CONFIG_FILE": "/nonexistent/eduportal-tests",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/eduportal-tests",
}


@pytest.fixture(scope="session", autouse=True)
def _isolated_aws_environment() -> Iterator[None]:
    """Fake credentials and no instance metadata: nothing in the suite can reach real AWS."""
    saved = {name: os.environ.get(name) for name in _FAKE_AWS}
    os.environ.update(_FAKE_AWS)
    yield
    for name, value in saved.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(scope="session")
def moto_server() -> Iterator[tuple[str, int]]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    yield server.get_host_and_port()
    server.stop()


@pytest.fixture(scope="session")
def moto_url(moto_server: tuple[str, int]) -> str:
    host, port = moto_server
    return f"http://{host}:{port}"


@pytest.fixture
def s3_admin(moto_url: str) -> S3Client:
    """A plain client straight to moto, for arranging and inspecting the bucket."""
    return boto3.client("s3", endpoint_url=moto_url, region_name="us-east-1")


@pytest.fixture
def bucket(s3_admin: S3Client) -> str:
    """A fresh versioned bucket per test, as Terraform provisions it."""
    name = f"eduportal-test-{uuid.uuid4().hex[:12]}"
    s3_admin.create_bucket(Bucket=name)
    s3_admin.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


@pytest.fixture
def fault_proxy(moto_server: tuple[str, int]) -> Iterator[FaultProxy]:
    proxy = FaultProxy(moto_server)
    yield proxy
    proxy.close()


@pytest.fixture
def make_s3_store(moto_url: str, bucket: str) -> S3StoreFactory:
    def make(
        *, endpoint: str | None = None, timeout: float = 20.0, name: str = ""
    ) -> S3ObjectStore:
        client = s3_client(
            region="us-east-1", timeout_seconds=timeout, endpoint_url=endpoint or moto_url
        )
        return S3ObjectStore(client, name or bucket, timeout_seconds=timeout)

    return make


@pytest.fixture
def local_store(tmp_path: Path) -> LocalObjectStore:
    return LocalObjectStore(tmp_path / "data")


@pytest.fixture
def json_log() -> Iterator[JsonLog]:
    """The JSON lines eduportal logs during the test, parsed."""
    stream = io.StringIO()
    configure_logging("DEBUG", stream=stream)
    yield lambda: parsed(stream.getvalue())
    detach_handlers()
