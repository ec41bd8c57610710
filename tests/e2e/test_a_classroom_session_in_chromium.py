"""A whole lesson in Chromium, through the pages only: what issue 7 calls done.

A teacher creates an assignment (refreshing halfway), edits it, a student answers, refreshes,
reveals, goes back and forth, the teacher reads the results, changes a score and exports them,
and the student sees the teacher's score. Two browsers, as a teacher and a student would be;
no traceback, no lost work at any step.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import DESKTOP, Portal, assert_no_crash, go_to, shot, sign_in

TEXT = (
    "The heart pumps blood around the body through arteries and veins. Arteries carry "
    "oxygen-rich blood away from the heart. Veins bring the blood back to the heart. The "
    "smallest vessels, the capillaries, let oxygen pass into the tissues. Red blood cells "
    "carry oxygen with a protein called haemoglobin. A resting adult heart beats about 70 "
    "times a minute."
)
TITLE = "The heart, lesson 4"


def person(browser: Browser, portal: Portal, user: str) -> Page:
    page = browser.new_context(viewport=DESKTOP).new_page()  # type: ignore[arg-type]
    page.set_default_timeout(60_000)
    sign_in(page, portal, user)
    return page


def test_a_lesson_from_creating_to_the_exported_results(browser: Browser, portal: Portal) -> None:
    teacher = person(browser, portal, "teacher")
    go_to(teacher, "Create an assignment")
    teacher.get_by_label("Text for the assignment").fill(TEXT)
    teacher.get_by_role("button", name="Generate", exact=True).click()
    expect(teacher.get_by_label("Question 5", exact=True)).to_be_visible()
    kept = teacher.get_by_text("Your work is kept as a draft")
    saved_before = kept.inner_text()
    teacher.wait_for_timeout(1_000)  # so the next save's time, to the second, differs
    teacher.get_by_label("Title", exact=True).fill(TITLE)
    teacher.get_by_label("Title", exact=True).press("Tab")
    expect(kept).not_to_have_text(saved_before)  # the title reached the server
    teacher.reload()  # halfway: the work is kept
    expect(teacher.get_by_label("Title", exact=True)).to_have_value(TITLE)
    teacher.get_by_role("button", name="Save assignment").click()
    expect(teacher.get_by_text(f"Saved “{TITLE}” with 5 questions.")).to_be_visible()
    teacher.get_by_role("link", name="Open the assignment").click()
    expect(teacher.get_by_role("heading", name=TITLE)).to_be_visible()

    teacher.get_by_role("button", name="Edit").click()
    teacher.get_by_role("button", name="Add a question").click()
    teacher.get_by_label("Question 6", exact=True).fill("Which vessels carry blood back?")
    teacher.get_by_label("Answer 6", exact=True).fill("Veins")
    save = teacher.get_by_role("button", name="Save changes")
    expect(save).to_be_enabled()
    save.click()
    expect(teacher.get_by_text(f"Saved your changes to “{TITLE}”.").first).to_be_visible()
    shot(teacher, "51-lesson-edited")
    assert_no_crash(teacher)
    address = teacher.url

    student = person(browser, portal, "student")
    student.get_by_role("button", name="Open").first.click()
    expect(student.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(student.get_by_text("Which vessels carry blood back?")).to_be_visible()  # the edit
    student.get_by_label("Your answer").nth(5).fill("The veins carry it back")
    student.get_by_role("button", name="Submit answer").nth(5).click()
    expect(student.get_by_text("1 of 6 questions answered")).to_be_visible()
    student.get_by_label("Your answer").first.fill("the lungs")
    student.get_by_role("button", name="Submit answer").first.click()
    expect(student.get_by_text("2 of 6 questions answered")).to_be_visible()
    student.reload()
    expect(student.get_by_text("2 of 6 questions answered")).to_be_visible()
    reveal = student.get_by_role("button", name="Show the reference answer").first
    expect(reveal).to_be_enabled()
    reveal.click()
    expect(student.get_by_text("Reference answer:").first).to_be_visible()
    go_to(student, "My results")
    expect(student.get_by_text("2 of 6 questions answered").first).to_be_visible()
    student.go_back()
    expect(student.get_by_role("heading", name=TITLE)).to_be_visible()
    shot(student, "52-lesson-answered")
    assert_no_crash(student)

    teacher.goto(address)
    teacher.get_by_role("tab", name="Results").click()
    expect(teacher.get_by_text("1 student answered so far.")).to_be_visible()
    with teacher.expect_download() as download:
        teacher.get_by_role("button", name="Download CSV").click()
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[1][0] == "student" and len(rows) == 2
    score = teacher.get_by_label("Your score, 0 to 100").last  # under "Change a score"
    score.fill("80")
    score.press("Enter")
    save = teacher.get_by_role("button", name="Save score").last
    expect(save).to_be_enabled()
    save.click()
    expect(
        teacher.get_by_text(re.compile(r"student now has 80 / 100 on question \d"))
    ).to_be_visible()
    shot(teacher, "53-lesson-results")
    assert_no_crash(teacher)

    student.reload()  # My results, after the browser's back and forward
    go_to(student, "My results")
    expect(student.get_by_text("set by your teacher").first).to_be_visible()
    shot(student, "54-lesson-teachers-score")
    assert_no_crash(student)
