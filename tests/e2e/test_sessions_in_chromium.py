"""Signing in survives a refresh and a new tab; signing out ends it everywhere (issue 7, item 3).

The session lives in an HttpOnly cookie that the UI server sets on a form post; these tests
drive it in Chromium, and post to it as another site would.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, BrowserContext, expect

from tests.support.browser import (
    DESKTOP,
    PHONE,
    Portal,
    api_token,
    assert_no_crash,
    shot,
    sign_in,
)
from tests.support.texts import TEXT


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    opened = browser.new_context(viewport=DESKTOP)  # type: ignore[arg-type]
    opened.set_default_timeout(60_000)
    yield opened
    opened.close()


def session_cookie(context: BrowserContext) -> dict[str, object]:
    (cookie,) = [c for c in context.cookies() if c["name"] == "eduportal_session"]
    return dict(cookie)


def test_a_refresh_and_a_new_tab_keep_the_user_signed_in(
    context: BrowserContext, portal: Portal
) -> None:
    page = context.new_page()
    sign_in(page, portal, "teacher")
    cookie = session_cookie(context)
    assert cookie["httpOnly"] and cookie["secure"] and cookie["sameSite"] == "Lax"
    assert page.evaluate("document.cookie").find("eduportal_session") == -1  # out of scripts
    assert str(cookie["value"]) not in page.url
    page.reload()
    expect(page.get_by_text("Signed in as teacher (teacher)")).to_be_visible()
    other = context.new_page()
    other.goto(f"{portal.ui}/create")
    expect(other.get_by_role("heading", name="Create an assignment")).to_be_visible()
    expect(other.get_by_label("Text for the assignment")).to_be_visible()
    shot(other, "21-new-tab-signed-in")
    assert_no_crash(other)


def test_signing_out_ends_the_session_in_every_tab(context: BrowserContext, portal: Portal) -> None:
    first = context.new_page()
    sign_in(first, portal, "student")
    token = str(session_cookie(context)["value"])
    second = context.new_page()
    second.goto(portal.ui)
    expect(second.get_by_text("Signed in as student (student)")).to_be_visible()
    first.get_by_role("button", name="Sign out").click()
    expect(first.get_by_label("User name")).to_be_visible()  # lands on the sign-in form
    assert not [c for c in context.cookies() if c["name"] == "eduportal_session"]
    second.reload()
    expect(second.get_by_label("User name")).to_be_visible()
    shot(second, "22-other-tab-signed-out")
    # The server ended the session itself: the same token no longer opens the API.
    ended = httpx.get(f"{portal.api}/api/assignments", headers={"Authorization": f"Bearer {token}"})
    assert ended.status_code == 401


def test_a_link_opened_signed_out_leads_there_after_signing_in(
    context: BrowserContext, portal: Portal
) -> None:
    created = httpx.post(
        f"{portal.api}/api/assignments",
        json={"text": TEXT, "with_image": False, "title": "Cells, a link"},
        headers={"Authorization": f"Bearer {api_token(portal, 'teacher')}"},
        timeout=60,
    ).json()
    page = context.new_page()
    page.goto(f"{portal.ui}/assignments?assignment={created['assignment_id']}")
    expect(page.get_by_text("Please sign in to open this page.")).to_be_visible()
    page.get_by_label("User name").fill("student")
    page.get_by_label("Password").fill(portal.passwords["student"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Cells, a link")).to_be_visible()
    assert f"/assignments?assignment={created['assignment_id']}" in page.url
    expect(page.get_by_text("Page not found")).to_have_count(0)


def test_a_wrong_password_is_said_once_in_a_sentence(
    context: BrowserContext, portal: Portal
) -> None:
    page = context.new_page()
    page.goto(portal.ui)
    page.get_by_label("User name").fill("teacher")
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("Wrong user name or password. Please try again.")).to_be_visible()
    expect(page).not_to_have_url(re.compile("sign_in="))  # a refresh does not say it again
    shot(page, "23-wrong-password")
    assert_no_crash(page)


def test_on_a_phone_the_form_fits_and_signing_in_works(browser: Browser, portal: Portal) -> None:
    context = browser.new_context(viewport=PHONE)  # type: ignore[arg-type]
    page = context.new_page()
    page.set_default_timeout(60_000)
    page.goto(portal.ui)
    expect(page.get_by_label("User name")).to_be_visible()
    shot(page, "24-phone-sign-in")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"]  # nothing wider than the screen
    sign_in(page, portal, "teacher")
    page.reload()
    expect(page.get_by_role("heading", name="Assignments")).to_be_visible()
    shot(page, "25-phone-signed-in-after-refresh")
    context.close()


def test_another_site_cannot_post_the_forms(portal: Portal) -> None:
    """Login CSRF: a form on another site would sign a victim into the attacker's account."""
    form = {"username": "teacher", "password": portal.passwords["teacher"], "next": "/"}
    host = portal.ui.removeprefix("http://")
    for headers in ({}, {"Origin": "https://evil.example"}, {"Referer": "https://evil.example/"}):
        answer = httpx.post(f"{portal.ui}/account/sign-in", data=form, headers=headers)
        assert answer.status_code == 403, headers
        assert "set-cookie" not in answer.headers
    here = {"Origin": f"http://{host}"}
    signed = httpx.post(
        f"{portal.ui}/account/sign-in", data={**form, "next": "//evil.example/"}, headers=here
    )
    assert signed.status_code == 303
    assert signed.headers["location"] == "/"  # never off the site
    assert "HttpOnly" in signed.headers["set-cookie"]
    huge = httpx.post(
        f"{portal.ui}/account/sign-in", data={**form, "password": "x" * 10_000}, headers=here
    )
    assert huge.status_code == 400
    out = httpx.post(f"{portal.ui}/account/sign-out", headers={"Origin": "https://evil.example"})
    assert out.status_code == 403
