"""Streamlit pages run headless by `AppTest` against the embedded default's real adapters."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from eduportal.domain.accounts import Role
from eduportal.ui import session
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.texts import PASSWORD

UI = Path(__file__).resolve().parents[2] / "src" / "eduportal" / "ui"


@pytest.fixture
def container(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Container]:
    """The pages' own cached container, pointed at a fresh data directory."""
    monkeypatch.setenv("EDUPORTAL_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("EDUPORTAL_GENERATORS", "offline")
    session.container.clear()
    built = session.container()
    built.accounts.register("teacher1", PASSWORD, Role.TEACHER)
    built.accounts.register("student1", PASSWORD, Role.STUDENT)
    yield built
    session.container.clear()


@pytest.fixture
def open_page(container: Container) -> PageFactory:
    def open_(script: str, user: str | None = None) -> AppTest:
        """Start at Home, the app's entrypoint, then go to `script` as the sidebar would:
        links between pages resolve only from the entrypoint."""
        app = AppTest.from_file(str(UI / "Home.py"), default_timeout=60)
        if user is not None:
            app.session_state[session.SESSION_KEY] = container.accounts.login(user, PASSWORD).token
        app.run()
        if script != "Home.py":
            app.switch_page(script)
        return app.run()

    return open_
