"""Alt text in the real browser: a teacher corrects an image's description, and the student's
page reads it in its `<img alt>`, on a desktop and on a phone. Screenshots go to
/tmp/alt-shots/ as well as the suite's artifacts, to be looked at."""

from __future__ import annotations

import shutil
from pathlib import Path

from playwright.sync_api import Browser, Page, expect

from tests.support.browser import (
    ARTIFACTS,
    SCREENS,
    Portal,
    api_client,
    assert_no_crash,
    fits,
    shot,
    sign_in,
)
from tests.support.portal_api import create_assignment
from tests.support.texts import SCIENCE

SHOTS = Path("/tmp/alt-shots")


def keep(page: Page, name: str) -> None:
    """The suite's whole-page screenshot, copied where the task's reviewers look."""
    shot(page, name)
    SHOTS.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(ARTIFACTS / f"{name}.png", SHOTS / f"{name}.png")


def test_a_teachers_description_is_the_students_img_alt(
    page: Page, browser: Browser, portal: Portal, size: str
) -> None:
    title = f"Plants and light ({size})"
    with api_client(portal, "teacher") as teacher:
        created = create_assignment(teacher, text=SCIENCE, title=title, with_image=True)
    described = created["image_alt"]
    assert described.startswith("Poster naming ")

    sign_in(page, portal, "teacher")
    page.goto(f"{portal.ui}/assignments?assignment={created['assignment_id']}")
    expect(page.get_by_role("img", name=described)).to_be_visible()
    page.get_by_role("button", name="Edit").click()
    field = page.get_by_role("textbox", name="Image description (alt text)")
    expect(field).to_have_value(described)
    written = f"A leaf in sunlight taking in carbon dioxide and giving off oxygen ({size})."
    field.fill(written)
    fits(page)
    keep(page, f"60-alt-text-editing-{size}")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_text(f"Saved your changes to “{title}”.").first).to_be_visible()
    expect(page.get_by_role("img", name=written)).to_be_visible()
    assert_no_crash(page)

    student = browser.new_context(**SCREENS[size]).new_page()
    try:
        sign_in(student, portal, "student")
        student.goto(f"{portal.ui}/assignments?assignment={created['assignment_id']}")
        image = student.locator(f'img[alt="{written}"]')
        expect(image).to_have_count(1)
        expect(image).to_be_visible()
        fits(student)
        keep(student, f"61-alt-text-student-{size}")
        assert_no_crash(student)
    finally:
        student.context.close()
    with api_client(portal, "student") as reader:
        view = reader.get(f"/api/assignments/{created['assignment_id']}").json()
    assert view["image_alt"] == written
