"""The portal as `make run` starts it, and Debian's Chromium to drive it (no browser download)."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from playwright.sync_api import Page, expect

from tests.support.network import free_port, wait_until_up

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1400, "height": 1000}
PHONE = {"width": 390, "height": 844}
PHONE_BROWSER = {
    "user_agent": (
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
        "Chrome/124.0.0.0 Mobile Safari/537.36"
    ),
    "is_mobile": True,
    "has_touch": True,
}
"""A phone beyond its screen size (`browser.new_context(viewport=PHONE, **PHONE_BROWSER)`):
Streamlit closes its menu after a choice only for a phone's user agent."""
SCREENS: dict[str, dict[str, Any]] = {
    "desktop": {"viewport": DESKTOP},
    "phone": {"viewport": PHONE, **PHONE_BROWSER},
}
"""`browser.new_context(**SCREENS[name])`: each screen a page is checked on."""


@dataclass(frozen=True)
class Portal:
    ui: str
    api: str
    passwords: dict[str, str]
    """The demo accounts' passwords, as `serve` printed them."""
    env: dict[str, str] = field(default_factory=dict)
    """The environment `serve` runs in: what another `eduportal` command needs to act on the
    same portal (`eduportal worker --drain`)."""


@contextmanager
def running_portal(
    work: Path, settings: Mapping[str, str] | None = None, *, workers: int | None = None
) -> Iterator[Portal]:
    """`eduportal serve` (API, UI and its worker) on free ports and a fresh data directory
    under `work`; Ctrl-C when done, as a person would stop it. `settings`: more `EDUPORTAL_*`
    variables. `workers=0` starts no worker, for a test that processes uploads itself when
    it chooses (`eduportal worker --drain`)."""
    api_port, ui_port = free_port(), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("EDUPORTAL_")},
        **(settings or {}),
        "EDUPORTAL_DATA_DIR": str(work / "data"),
        "EDUPORTAL_API_PORT": str(api_port),
        "EDUPORTAL_UI_PORT": str(ui_port),
        "EDUPORTAL_PUBLIC_URL": f"http://127.0.0.1:{api_port}",
    }
    log = work / "serve.log"
    with log.open("w") as sink:
        extra = [] if workers is None else ["--workers", str(workers)]
        process = subprocess.Popen(
            [sys.executable, "-m", "eduportal", "serve", *extra], env=env, stderr=sink, text=True
        )
        try:
            wait_until_up(f"http://127.0.0.1:{api_port}/healthz", process=process, seconds=90)
            wait_until_up(f"http://127.0.0.1:{ui_port}/_stcore/health", process=process, seconds=90)
            banner = log.read_text()
            passwords = dict(re.findall(r"^\s+(\w+)\s+password: (\S+)$", banner, re.MULTILINE))
            assert {"teacher", "student"} <= set(passwords), banner
            yield Portal(
                f"http://127.0.0.1:{ui_port}", f"http://127.0.0.1:{api_port}", passwords, env
            )
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


CRASH_WORDS = (
    "Traceback",
    "StreamlitAPIException",
    "UnidentifiedImageError",
    "Error:",
    "Page not found",
)


def sign_in(page: Page, portal: Portal, user: str) -> None:
    """As a person does: the form, then the start page of the user's role."""
    page.goto(portal.ui)
    page.get_by_label("User name").fill(user)
    password = page.get_by_label("Password")
    expect(password).to_have_attribute("autocomplete", "current-password")  # password managers
    password.fill(portal.passwords[user])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Assignments")).to_be_visible()
    settled(page)


def settled(page: Page) -> None:
    """Once the run that drew what a test just saw has ended. Until then Streamlit keeps the
    previous run's elements on the page, faded (`data-stale`): a locator can find the old
    and the new copy of a button or a line at once. Call it after seeing the new content."""
    expect(page.locator("[data-stale='true']")).to_have_count(0)


def leave_field(page: Page, label: str) -> None:
    """Leave a text field as a person does before reaching for the next control (Tab), and
    wait for the rerun that saves it. A file chosen straight after typing, without that,
    raced the field's rerun twice in the parallel suite: the page then worked with the text
    before (an overlap of Streamlit's reruns, suspected, not confirmed). The rerun has begun
    within a second of the Tab; then it is waited for."""
    page.get_by_label(label, exact=True).press("Tab")
    page.wait_for_timeout(1000)
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0)
    settled(page)


def shot(page: Page, name: str) -> None:
    """The whole page. Streamlit scrolls its main area itself, which a full-page screenshot
    does not follow, so the window is made as tall as that area for the picture."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    window = page.viewport_size
    height = page.evaluate("document.querySelector('[data-testid=stMain]')?.scrollHeight ?? 0")
    if window is not None and height > window["height"]:
        page.set_viewport_size({"width": window["width"], "height": height})
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    if window is not None:
        page.set_viewport_size(window)


def fits(page: Page) -> None:
    """Nothing wider than the screen: no sideways scrolling, no text cut off at the edge."""
    width = page.evaluate("document.documentElement.scrollWidth")
    assert page.viewport_size is not None and width <= page.viewport_size["width"], width


def assert_no_crash(page: Page) -> None:
    body = page.locator("body").inner_text()
    assert not any(word in body for word in CRASH_WORDS), body[:2000]


def api_client(portal: Portal, user: str) -> httpx.Client:
    """The portal's REST API as `user` (close it after use), to set up or check through the
    API what a test does in the browser."""
    return httpx.Client(
        base_url=portal.api,
        headers={"Authorization": f"Bearer {api_token(portal, user)}"},
        timeout=60,
    )


def api_token(portal: Portal, user: str) -> str:
    """A bearer token for checking, through the API, what the browser did."""
    response = httpx.post(
        f"{portal.api}/api/login",
        json={"username": user, "password": portal.passwords[user]},
    )
    token: str = response.json()["token"]
    return token


def go_to(page: Page, title: str) -> None:
    """Follow the navigation's link to the page called `title`, opening the menu first where
    it starts closed (on a phone)."""
    menu = page.get_by_test_id("stExpandSidebarButton")
    if menu.is_visible():
        menu.click()
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title).click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()
    settled(page)
