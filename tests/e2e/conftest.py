"""What every browser test shares: one portal and one Chromium per module, a page on each
screen size for the modules that check both, and patience.

The portal is `eduportal serve` as `make run` starts it, on free ports and a fresh data
directory; Chromium is Debian's, driven by Playwright (no browser is downloaded).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.support.browser import CHROMIUM, CHROMIUM_ARGS, SCREENS, Portal, running_portal


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason="Debian's chromium is not installed (make test installs it)")
    for item in items:
        if item.path.parent == Path(__file__).parent:
            item.add_marker(skip)


@pytest.fixture(autouse=True, scope="session")
def patient_expectations() -> None:
    """`expect` waits 5 s by default; a rerun that scores an answer can take longer while
    other tests share the cores. A real failure still fails, after 30 s."""
    expect.set_options(timeout=30_000)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("portal")) as running:
        yield running


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture(params=list(SCREENS))
def size(request: pytest.FixtureRequest) -> str:
    """Each screen in turn ("desktop", "phone"): a test asking for it runs once per screen."""
    name: str = request.param
    return name


@pytest.fixture
def page(browser: Browser, size: str) -> Iterator[Page]:
    """A fresh browser context on `size`'s screen (a module may define its own `page`)."""
    context = browser.new_context(**SCREENS[size], accept_downloads=True)
    opened = context.new_page()
    opened.set_default_timeout(60_000)
    yield opened
    context.close()
