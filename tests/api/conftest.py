"""One API server per test module (uvicorn on a loopback port, real HTTP through httpx), with
its accounts created and signed in once. Tests create their own assignments, so they do not
depend on each other's data; a module that needs other settings overrides `api_settings`."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from eduportal.config import Settings, load_settings
from eduportal.domain.accounts import Role
from eduportal.wiring import build
from tests.support.api_server import Api, running_api
from tests.support.network import free_port
from tests.support.texts import PASSWORD

USERS = {
    "teacher1": Role.TEACHER,
    "teacher2": Role.TEACHER,
    "student1": Role.STUDENT,
    "student2": Role.STUDENT,
}


@pytest.fixture(scope="module")
def api_settings() -> dict[str, Any]:
    """Settings beyond the defaults for this module's server (override in a module)."""
    return {}


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory, api_settings: dict[str, Any]) -> Iterator[Api]:
    port = free_port()
    settings: Settings = load_settings(
        **{
            "data_dir": tmp_path_factory.mktemp("api") / "data",
            "generators": "offline",
            "api_port": port,
            "public_url": f"http://127.0.0.1:{port}",
            "max_upload_bytes": 2_000_000,
            **api_settings,
        }
    )
    container = build(settings)
    for name, role in USERS.items():
        container.accounts.register(name, PASSWORD, role)
    with running_api(container) as running:
        yield running


@pytest.fixture(scope="module")
def anonymous(api: Api) -> Iterator[httpx.Client]:
    with api.client() as client:
        yield client


@pytest.fixture(scope="module")
def teacher(api: Api) -> Iterator[httpx.Client]:
    with api.signed_in("teacher1") as client:
        yield client


@pytest.fixture(scope="module")
def other_teacher(api: Api) -> Iterator[httpx.Client]:
    with api.signed_in("teacher2") as client:
        yield client


@pytest.fixture(scope="module")
def student(api: Api) -> Iterator[httpx.Client]:
    with api.signed_in("student1") as client:
        yield client


@pytest.fixture(scope="module")
def other_student(api: Api) -> Iterator[httpx.Client]:
    with api.signed_in("student2") as client:
        yield client
