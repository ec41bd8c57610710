"""Services over the embedded default's real adapters: files, SQLite, offline generators."""

from __future__ import annotations

from pathlib import Path

import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.wiring import Container, build

PASSWORD = "correct horse battery"


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


TEXT = (
    "The mitochondrion is the powerhouse of the cell. It produces most of the chemical energy "
    "needed to power the cell's biochemical reactions. This energy is stored in a molecule "
    "called adenosine triphosphate. Mitochondria have their own DNA, inherited from the mother. "
    "Red blood cells in mammals have no mitochondria at all. Muscle cells contain thousands of "
    "them because they need so much energy."
)
