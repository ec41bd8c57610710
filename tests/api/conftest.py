"""The REST API served by uvicorn on a loopback port, reached with httpx over real HTTP."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import uvicorn

from eduportal.api.app import create_app
from eduportal.config import load_settings
from eduportal.domain.accounts import Role
from eduportal.wiring import Container, build

PASSWORD = "correct horse battery"
USERS = {
    "teacher1": Role.TEACHER,
    "teacher2": Role.TEACHER,
    "student1": Role.STUDENT,
    "student2": Role.STUDENT,
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def container(tmp_path: Path) -> Container:
    port = free_port()
    settings = load_settings(
        data_dir=tmp_path / "data",
        generators="offline",
        api_port=port,
        public_url=f"http://127.0.0.1:{port}",
        max_upload_bytes=2_000_000,
    )
    built = build(settings)
    for name, role in USERS.items():
        built.accounts.register(name, PASSWORD, role)
    return built


@pytest.fixture
def base_url(container: Container) -> Iterator[str]:
    port = container.settings.api_port
    config = uvicorn.Config(create_app(container), host="127.0.0.1", port=port, log_level="warning")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture
def anonymous(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def signed_in(base_url: str, username: str) -> httpx.Client:
    token = httpx.post(
        f"{base_url}/api/login", json={"username": username, "password": PASSWORD}, timeout=30
    ).json()["token"]
    return httpx.Client(base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def teacher(base_url: str) -> Iterator[httpx.Client]:
    with signed_in(base_url, "teacher1") as client:
        yield client


@pytest.fixture
def other_teacher(base_url: str) -> Iterator[httpx.Client]:
    with signed_in(base_url, "teacher2") as client:
        yield client


@pytest.fixture
def student(base_url: str) -> Iterator[httpx.Client]:
    with signed_in(base_url, "student1") as client:
        yield client


@pytest.fixture
def other_student(base_url: str) -> Iterator[httpx.Client]:
    with signed_in(base_url, "student2") as client:
        yield client
