"""The environment every CLI test runs the command in: a fresh data directory; the pipeline's
AWS resources on moto's server, fresh for each test that asks."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

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
