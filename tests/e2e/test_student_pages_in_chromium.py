"""A student's pages in Chromium, on a desktop and on a phone: answering, progress that holds
after a refresh, My results, its link back to the assignment, and the browser's back button.

Screenshots go to `test-artifacts/e2e/` (41-49, one set per screen size).
"""

from __future__ import annotations

import re
from typing import Any

from playwright.sync_api import Locator, Page, expect

from tests.support.browser import (
    Portal,
    api_client,
    assert_no_crash,
    fits,
    go_to,
    shot,
    sign_in,
)
from tests.support.portal_api import create_assignment
from tests.support.texts import HISTORY, SCIENCE


def assignments(portal: Portal, size: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Two assignments of the teacher's, as the teacher sees them (with reference answers),
    titled for this screen size so each run finds its own; the second one illustrated."""
    with api_client(portal, "teacher") as teacher:
        return (
            create_assignment(teacher, text=SCIENCE, title=f"Photosynthesis ({size})"),
            create_assignment(
                teacher, text=HISTORY, title=f"Magna Carta ({size})", with_image=True
            ),
        )


def list_row(page: Page, title: str) -> Locator:
    """The list's row for `title`: the nearest block around the title with an Open button."""
    return page.get_by_text(title, exact=True).locator(
        "xpath=ancestor::*[.//button[normalize-space()='Open']][1]"
    )


def open_from_list(page: Page, title: str) -> None:
    list_row(page, title).get_by_role("button", name="Open").click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def answer(page: Page, number: int, text: str) -> None:
    """Answer question `number` (from 1) and wait until the page counts it."""
    page.get_by_label("Your answer").nth(number - 1).fill(text)
    page.get_by_role("button", name="Submit answer").nth(number - 1).click()
    expect(page.get_by_text(f"{number} of 5 questions answered")).to_be_visible()


def result_card(page: Page, title: str) -> Locator:
    """The card of My results that `title`'s link heads."""
    return page.get_by_role("link", name=title).locator("xpath=ancestor::*[.//li][1]")


def test_a_student_answers_sees_results_and_finds_the_way_back(
    page: Page, portal: Portal, size: str
) -> None:
    plants, history = assignments(portal, size)
    first, second = plants["question_answers"][:2]
    sign_in(page, portal, "student")
    open_from_list(page, plants["title"])
    expect(page.get_by_text("0 of 5 questions answered")).to_be_visible()
    answer(page, 1, first["answer"])
    expect(page.get_by_text("Scored offline by a sentence model")).to_be_visible()
    answer(page, 2, "I do not remember")
    shot(page, f"41-answered-two-{size}")
    assert_no_crash(page)
    with api_client(portal, "teacher") as teacher:
        set_score = teacher.put(
            f"/api/assignments/{plants['assignment_id']}/questions/{second['id']}/scores/student",
            json={"score": 60},
        )
        assert set_score.status_code == 200, set_score.text

    page.reload()  # answers and scores come back from the server, as best scores
    expect(page.get_by_text("2 of 5 questions answered")).to_be_visible()
    expect(page.get_by_text("Your best: 100 / 100 · 1 attempt")).to_be_visible()
    expect(
        page.get_by_text("Your best: 60 / 100 · set by your teacher · 1 attempt")
    ).to_be_visible()
    expect(page.get_by_text(f"Your best answer: {first['answer']}")).to_be_visible()
    shot(page, f"42-after-refresh-{size}")
    assert_no_crash(page)
    fits(page)

    go_to(page, "My results")
    card = result_card(page, plants["title"])
    expect(card.get_by_text("2 of 5 questions answered · average 80 / 100")).to_be_visible()
    expect(card.get_by_text("Question 1: 100 / 100 · 1 attempt")).to_be_visible()
    expect(
        card.get_by_text("Question 2: 60 / 100 · set by your teacher · 1 attempt")
    ).to_be_visible()
    expect(card.get_by_text("Not answered yet: questions 3, 4, 5")).to_be_visible()
    expect(page.get_by_role("link", name=history["title"])).to_have_count(0)  # not answered
    shot(page, f"43-my-results-{size}")
    assert_no_crash(page)
    fits(page)

    page.get_by_role("link", name=plants["title"]).click()
    expect(page.get_by_role("heading", name=plants["title"])).to_be_visible()
    expect(page.get_by_text("2 of 5 questions answered")).to_be_visible()
    assert f"assignment={plants['assignment_id']}" in page.url
    shot(page, f"44-opened-from-my-results-{size}")

    page.go_back()
    expect(page.get_by_role("heading", name="My results")).to_be_visible()
    expect(
        result_card(page, plants["title"]).get_by_text("2 of 5 questions answered · average 80")
    ).to_be_visible()
    assert_no_crash(page)
    page.go_back()
    expect(page.get_by_role("heading", name=plants["title"])).to_be_visible()
    expect(page.get_by_text("Your best: 100 / 100 · 1 attempt")).to_be_visible()
    assert_no_crash(page)

    page.get_by_role("button", name="← All assignments").click()
    expect(
        list_row(page, plants["title"]).get_by_text(
            re.compile(r"^2 of 5 questions answered · by teacher")
        )
    ).to_be_visible()
    shot(page, f"45-list-after-back-{size}")
    assert_no_crash(page)
    fits(page)
    illustration = page.get_by_role("img", name=history["image_alt"])
    expect(illustration).to_have_count(1)  # the list's thumbnail, described
    open_from_list(page, history["title"])
    expect(page.get_by_text("0 of 5 questions answered")).to_be_visible()
    expect(illustration).to_be_visible()
    expect(page.get_by_text("Answer once to unlock the reference answer.").first).to_be_visible()
    shot(page, f"46-other-assignment-{size}")
    assert_no_crash(page)
