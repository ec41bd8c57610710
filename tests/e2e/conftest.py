"""Browser tests wait as long as a loaded 2-core machine needs for Streamlit to redraw; each
module gets its own portal and browser."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, Portal, running_portal


@pytest.fixture(autouse=True, scope="session")
def patient_expectations() -> None:
    """`expect` waits 5 s by default; a rerun that scores an answer can take longer while
    other tests share the cores. A real failure still fails, after 30 s."""
    expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    """`eduportal serve` on a fresh data directory, for the module's tests."""
    with running_portal(tmp_path_factory.mktemp("portal")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Debian's Chromium, headless."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()
