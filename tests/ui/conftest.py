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
def open_page(container: Container, monkeypatch: pytest.MonkeyPatch) -> PageFactory:
    def open_(script: str, user: str | None = None, query: dict[str, str] | None = None) -> AppTest:
        """Start at Home, the app's entrypoint, then go to `script` as the navigation would.

        `AppTest` has no browser to hold the session cookie, so the cookie reader is given
        `user`'s token; the browser tests (tests/e2e) cover the cookie itself."""
        token = container.accounts.login(user, PASSWORD).token if user is not None else None
        monkeypatch.setattr(session, "session_token", lambda: token)
        app = AppTest.from_file(str(UI / "Home.py"), default_timeout=60)
        app.query_params.update(query or {})
        app.run()
        if script == "Home.py":
            return app
        app.switch_page(script)
        return app.run()

    return open_
