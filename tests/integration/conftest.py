"""The environment every CLI test runs the command in: a fresh data directory. The pipeline's
AWS resources on moto's server, fresh for each test that asks, and the Lambda environment of
its handlers, whose AWS calls are recorded and checked against their functions' grants."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.aws_calls import AwsCalls
from tests.support.aws_pipeline import AwsPipeline, provision
from tests.support.cli import cli_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")


@pytest.fixture
def aws_pipeline(moto_url: str) -> Iterator[AwsPipeline]:
    pipeline = provision(moto_url)
    yield pipeline
    pipeline.close()


@pytest.fixture
def calls(aws_pipeline: AwsPipeline, monkeypatch: pytest.MonkeyPatch) -> Iterator[AwsCalls]:
    """The variables the infrastructure gives the pipeline's Lambda functions set in this
    process, and every AWS call of the handlers recorded; after the test, each call must be
    one its function is granted (`pipeline.permissions`)."""
    for name, value in aws_pipeline.environment().items():
        monkeypatch.setenv(name, value)
    recorded = AwsCalls()
    recorded.install(monkeypatch)
    yield recorded
    assert recorded.ungranted(aws_pipeline) == []
