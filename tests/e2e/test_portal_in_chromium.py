"""The whole portal in a real headless Chromium, against the servers `make run` starts.

A teacher signs in, creates an assignment with an image and sees it listed; a student signs
in, answers, and sees a score and the leaderboard. Screenshots of every step are kept in
`test-artifacts/e2e/` (Debian's Chromium driven by Playwright; no browser is downloaded).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.support.browser import (
    ARTIFACTS,
    CHROMIUM,
    CHROMIUM_ARGS,
    Portal,
    go_to,
    running_portal,
    sign_in,
)
from tests.support.texts import TEXT

TITLE = "The mitochondrion is the powerhouse of the cell"  # proposed from TEXT

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed (make test installs it)"
)


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("portal")) as running:
        yield running


def test_teacher_creates_and_student_answers(portal: Portal) -> None:
    from playwright.sync_api import expect, sync_playwright

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)

        def shot(name: str) -> None:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

        sign_in(page, portal, "teacher")
        shot("01-teacher-home")
        go_to(page, "Create an assignment")
        page.get_by_label("Text for the assignment").fill(TEXT)
        page.get_by_role("button", name="Generate", exact=True).click()
        expect(page.get_by_text("Question 5", exact=True)).to_be_visible()
        expect(page.locator("img").first).to_be_visible()
        shot("02-generated")
        page.get_by_role("button", name="Save assignment").click()
        expect(page.get_by_text(f"Saved “{TITLE}” with 5 questions.")).to_be_visible()
        shot("03-saved")
        go_to(page, "Assignments")
        expect(page.get_by_text("1 assignment, newest first")).to_be_visible()
        expect(page.get_by_text(TITLE, exact=True)).to_be_visible()
        shot("04-listed")
        page.get_by_role("button", name="Sign out").click()
        expect(page.get_by_label("User name")).to_be_visible()

        sign_in(page, portal, "student")
        page.get_by_role("button", name="Open").click()
        page.get_by_label("Your answer").first.fill(
            "The mitochondrion is the powerhouse of the cell"
        )
        page.get_by_role("button", name="Submit answer").first.click()
        expect(page.get_by_text("This answer")).to_be_visible()
        page.get_by_text("Top five on this question").click()
        expect(page.get_by_role("cell", name="student", exact=True)).to_be_visible()
        shot("05-answered")
        browser.close()

    # What the browser did is in the database the API serves: one assignment by the teacher,
    # with its image, and the student's answer on the first question's leaderboard.
    token = httpx.post(
        f"{portal.api}/api/login",
        json={"username": "student", "password": portal.passwords["student"]},
    ).json()["token"]
    with httpx.Client(base_url=portal.api, headers={"Authorization": f"Bearer {token}"}) as api:
        (assignment,) = api.get("/api/assignments").json()["items"]
        assert assignment["teacher_id"] == "teacher" and assignment["prompt"] == TEXT
        assert assignment["s3_upload_status"] == "success"
        board = api.get(
            f"/api/assignments/{assignment['assignment_id']}/leaderboard",
            params={"question_id": "q1"},
        ).json()["q1"]
        assert [row["student_id"] for row in board] == ["student"]
