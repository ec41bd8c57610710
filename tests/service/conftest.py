"""Services over the embedded default's real adapters: files, SQLite, offline generators."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.wiring import Container, build
from tests.support.texts import PASSWORD


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return build(load_settings(storage="local", data_dir=tmp_path / "data", generators="offline"))


@pytest.fixture
def teacher(container: Container) -> Account:
    return container.accounts.register("teacher1", PASSWORD, Role.TEACHER)


@pytest.fixture
def other_teacher(container: Container) -> Account:
    return container.accounts.register("teacher2", PASSWORD, Role.TEACHER)


@pytest.fixture
def student(container: Container) -> Account:
    return container.accounts.register("student1", PASSWORD, Role.STUDENT)
