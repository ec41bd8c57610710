"""The environment every CLI test runs the command in: a fresh data directory."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.cli import cli_env


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return cli_env(tmp_path / "data")
