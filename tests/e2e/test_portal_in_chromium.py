"""The whole portal in a real headless Chromium, against the servers `make run` starts.

A teacher signs in, creates an assignment with an image and sees it listed; a student signs
in, answers, and sees a score and the leaderboard. Screenshots of every step are kept in
`test-artifacts/e2e/` (Debian's Chromium driven by Playwright; no browser is downloaded).
"""

from __future__ import annotations

import httpx
from playwright.sync_api import Browser, expect

from tests.support.browser import DESKTOP, Portal, go_to, shot, sign_in
from tests.support.texts import TEXT

TITLE = "The mitochondrion is the powerhouse of the cell"  # proposed from TEXT


def test_teacher_creates_and_student_answers(browser: Browser, portal: Portal) -> None:
    page = browser.new_page(viewport=DESKTOP)  # type: ignore[arg-type]
    page.set_default_timeout(60_000)

    sign_in(page, portal, "teacher")
    shot(page, "01-teacher-home")
    go_to(page, "Create an assignment")
    page.get_by_label("Text for the assignment").fill(TEXT)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Question 5", exact=True)).to_be_visible()
    expect(page.locator("img").first).to_be_visible()
    shot(page, "02-generated")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text(f"Saved “{TITLE}” with 5 questions.")).to_be_visible()
    shot(page, "03-saved")
    go_to(page, "Assignments")
    expect(page.get_by_text("1 assignment, newest first")).to_be_visible()
    expect(page.get_by_text(TITLE, exact=True)).to_be_visible()
    shot(page, "04-listed")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_label("User name")).to_be_visible()

    sign_in(page, portal, "student")
    page.get_by_role("button", name="Open").click()
    page.get_by_label("Your answer").first.fill("The mitochondrion is the powerhouse of the cell")
    page.get_by_role("button", name="Submit answer").first.click()
    expect(page.get_by_text("This answer")).to_be_visible()
    page.get_by_text("Top five on this question").click()
    expect(page.get_by_role("cell", name="student", exact=True)).to_be_visible()
    shot(page, "05-answered")
    page.close()

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
