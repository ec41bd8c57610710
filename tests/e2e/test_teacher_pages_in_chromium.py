"""The teacher's Assignments page in Chromium, on a desktop and on a phone: searching, editing
and saving (a question added, one removed), and results with a teacher's score and the CSV.

The assignments are made and answered through the API, then the teacher works in the browser;
what the browser did is checked through the API again. Screenshots go to `test-artifacts/e2e/`
(31-36, one set per screen size).
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from playwright.sync_api import Page, expect

from tests.support.browser import (
    Portal,
    api_client,
    assert_no_crash,
    fits,
    settled,
    shot,
    sign_in,
)
from tests.support.portal_api import answer, create_assignment


def open_assignment(page: Page, portal: Portal, assignment_id: str, query: str = "") -> None:
    """At its address, as a shared link names it."""
    sign_in(page, portal, "teacher")
    page.goto(f"{portal.ui}/assignments?assignment={assignment_id}{query}")


def search(page: Page, words: str) -> None:
    box = page.get_by_label("Search")
    box.fill(words)
    box.press("Enter")


def test_the_search_box_finds_and_says_when_nothing_matches(
    page: Page, portal: Portal, size: str
) -> None:
    with api_client(portal, "teacher") as teacher:
        create_assignment(teacher, title=f"Mitochondria for the {size} class", subject="Biology")
    sign_in(page, portal, "teacher")
    search(page, f"{size} class")
    expect(page.get_by_text(f"1 assignment matches “{size} class”, newest first")).to_be_visible()
    settled(page)
    expect(page.get_by_text("Biology · 5 questions · by teacher")).to_be_visible()
    fits(page)
    shot(page, f"31-search-{size}")
    page.get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name=f"Mitochondria for the {size} class")).to_be_visible()
    page.get_by_role("button", name="← All assignments").click()
    expect(page.get_by_label("Search")).to_have_value(f"{size} class")  # kept on the way back
    search(page, "zebra")
    expect(page.get_by_text("No assignment matches “zebra”.")).to_be_visible()
    search(page, "x" * 101)
    expect(page.get_by_text("A search has at most 100 characters.")).to_be_visible()
    shot(page, f"32-search-too-long-{size}")
    assert "Reference" not in page.locator("body").inner_text()
    assert_no_crash(page)


def test_editing_adds_and_removes_a_question_and_saves(
    page: Page, portal: Portal, size: str
) -> None:
    with api_client(portal, "teacher") as teacher:
        created = create_assignment(teacher, title=f"To edit on a {size}")
    open_assignment(page, portal, created["assignment_id"])
    page.get_by_role("button", name="Edit").click()
    expect(page.get_by_role("heading", name=f"Editing “To edit on a {size}”")).to_be_visible()
    page.reload()  # the edit has its own address
    expect(page.get_by_label("Title", exact=True)).to_have_value(f"To edit on a {size}")
    page.get_by_role("button", name="Remove question 2").click()
    expect(page.get_by_label("Question 5", exact=True)).to_have_count(0)
    page.get_by_role("button", name="Add a question").click()
    page.get_by_label("Question 5", exact=True).fill("Which molecule stores the energy?")
    page.get_by_label("Answer 5", exact=True).fill("Adenosine triphosphate")
    page.get_by_label("Title", exact=True).fill(f"Edited on a {size}")
    page.get_by_label("Subject (optional)").fill("Biology")
    fits(page)
    shot(page, f"33-editing-{size}")
    save = page.get_by_role("button", name="Save changes")
    expect(save).to_be_enabled()
    save.click()
    saved = page.get_by_text(f"Saved your changes to “Edited on a {size}”.")
    expect(saved.first).to_be_visible()  # at the top, and as a toast wherever one has scrolled
    expect(page.get_by_role("heading", name=f"Edited on a {size}")).to_be_visible()
    expect(page.get_by_text("Which molecule stores the energy?")).to_be_visible()
    assert "edit=1" not in page.url
    shot(page, f"34-edit-saved-{size}")
    assert_no_crash(page)
    with api_client(portal, "teacher") as teacher:
        stored = teacher.get(f"/api/assignments/{created['assignment_id']}").json()
    assert [qa["id"] for qa in stored["question_answers"]] == ["q1", "q3", "q4", "q5", "q6"]
    assert stored["question_answers"][-1]["answer"] == "Adenosine triphosphate"
    assert (stored["title"], stored["subject"]) == (f"Edited on a {size}", "Biology")


def answered_by_the_student(portal: Portal, size: str) -> str:
    """An assignment whose first answer the scorer flags (a word of the reference changed)."""
    questions = [
        {"id": "q1", "question": "What do mitochondria do?", "answer": "They produce energy."},
        {"id": "q2", "question": "Who passes them on?", "answer": "The mother."},
    ]
    with api_client(portal, "teacher") as teacher:
        created = create_assignment(teacher, title=f"Results on a {size}")
        assignment_id = str(created["assignment_id"])
        edited = teacher.patch(
            f"/api/assignments/{assignment_id}", json={"version": 1, "question_answers": questions}
        )
        assert edited.status_code == 200, edited.text
    with api_client(portal, "student") as student:
        answer(student, assignment_id, "They consume energy.", "q1")
        answer(student, assignment_id, "The mother.", "q2")
    return assignment_id


def test_results_with_a_teachers_score_and_the_csv(page: Page, portal: Portal, size: str) -> None:
    assignment_id = answered_by_the_student(portal, size)
    open_assignment(page, portal, assignment_id, "&tab=Results")
    expect(page.get_by_text("1 student answered so far.")).to_be_visible()
    wide, narrow = page.locator(".st-key-results_wide"), page.locator(".st-key-results_narrow")
    shown, hidden = (wide, narrow) if size == "desktop" else (narrow, wide)  # table, or cards
    expect(shown.get_by_text("2 of 2 answered")).to_be_visible()
    expect(hidden).to_be_hidden()
    fits(page)
    shot(page, f"35-results-{size}")
    with page.expect_download() as download:
        page.get_by_role("button", name="Download CSV").click()
    assert download.value.suggested_filename == f"Results-on-a-{size}-results.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text())))
    assert rows[0] == ["student", "Q1 score", "Q1 attempts", "Q2 score", "Q2 attempts", "average"]
    assert rows[1][0] == "student" and rows[1][3:5] == ["100", "1"]
    expect(page.get_by_text("'produce' became 'consume'").first).to_be_visible()
    score = page.get_by_label("Your score, 0 to 100").first  # on the flagged answer's card
    score.fill("90")
    score.press("Enter")
    save = page.get_by_role("button", name="Save score").first
    expect(save).to_be_enabled()
    save.click()
    expect(page.get_by_text("student now has 90 / 100 on question 1.")).to_be_visible()
    chosen = page.get_by_label("Your score, 0 to 100").last  # the same answer, chosen below
    expect(chosen).to_have_value("90")
    shot(page, f"36-score-given-{size}")
    assert_no_crash(page)
    with api_client(portal, "student") as student:
        own = student.get("/api/me/results").json()
    (mine,) = [result for result in own if result["assignment_id"] == assignment_id]
    first = mine["questions"][0]
    assert (first["best_score"], first["overridden"]) == (90, True)  # what the student sees
