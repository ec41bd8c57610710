"""The Operations page in Chromium, on a desktop and on a phone, over what `eduportal serve`
really did: a teacher creates an assignment with its illustration on the Create page (saved
by the pages' process), an image goes into the pipeline through the REST API (stored by the
API's process, processed by the worker's), the list shows the thumbnails (read through the
image origin). Every process records its metrics each second here, so the page sums three
processes. A student is offered no Operations page, and its address shows none of it.

Screenshots go to `test-artifacts/e2e/` (60-63, one set per screen size).
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.support.browser import (
    Portal,
    api_client,
    assert_no_crash,
    fits,
    go_to,
    running_portal,
    settled,
    shot,
    sign_in,
)
from tests.support.images import photograph, png
from tests.support.network import wait_for
from tests.support.texts import TEXT

SNAPSHOT_SECONDS = "1"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    settings = {
        "EDUPORTAL_METRICS_SNAPSHOT_SECONDS": SNAPSHOT_SECONDS,
        "EDUPORTAL_STORAGE_QUOTA_BYTES": str(20 * 1000 * 1000),
    }
    with running_portal(tmp_path_factory.mktemp("portal"), settings) as running:
        yield running


def create_on_the_page(page: Page, title: str) -> None:
    """An assignment with its generated illustration, saved from the Create page."""
    go_to(page, "Create an assignment")
    page.get_by_label("Text for the assignment").fill(TEXT)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Question 5", exact=True)).to_be_visible()
    settled(page)
    page.get_by_label("Title", exact=True).fill(title)
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text(f"Saved “{title}” with 5 questions.")).to_be_visible()
    settled(page)


def uploaded_and_processed(portal: Portal, name: str) -> None:
    """An image into the pipeline through the API, processed by the portal's worker."""
    with api_client(portal, "teacher") as teacher:
        sent = teacher.post(
            "/api/uploads", files={"file": (name, png(photograph("chelsea")), "image/png")}
        )
        assert sent.status_code == 202, sent.text
        link = f"/api/uploads/{sent.json()['image_id']}"

        def completed() -> bool:
            return bool(teacher.get(link).json()["status"] == "COMPLETED")

        wait_for(completed, seconds=60, what=f"{name} processed")


def open_operations(page: Page) -> None:
    go_to(page, "Operations")
    expect(page.get_by_role("heading", name="The last 5 minutes")).to_be_visible()
    settled(page)


def refreshed_until(page: Page, text: str, seconds: float = 60) -> None:
    """Press Refresh until `text` shows: the storage reading of a small store is kept 10 s,
    so one made before this test's saves may still be on the page."""
    deadline = time.monotonic() + seconds
    while not page.get_by_text(text).count():
        assert time.monotonic() < deadline, f"{text!r} not shown within {seconds} s"
        page.wait_for_timeout(2000)
        page.get_by_role("button", name="Refresh").click()
        settled(page)


def figure(page: Page, label: str) -> str:
    """A headline figure's value, as the reader sees it."""
    metric = page.get_by_test_id("stMetric").filter(has_text=label)
    return metric.get_by_test_id("stMetricValue").inner_text()


def test_a_fresh_portal_says_what_will_appear(page: Page, portal: Portal, size: str) -> None:
    """Before anyone saved an image (this module's first test): sentences, not empty axes."""
    sign_in(page, portal, "teacher")
    open_operations(page)
    expect(page.get_by_text("No image was saved in the last hour.")).to_be_visible()
    expect(page.get_by_text("No image went through the processing pipeline")).to_be_visible()
    assert figure(page, "Failed saves") == "—"  # no saves: nothing failed, which is not 0 %
    fits(page)
    shot(page, f"60-operations-fresh-{size}")
    assert_no_crash(page)


def test_a_teacher_sees_the_last_hour_of_every_process(
    page: Page, portal: Portal, size: str
) -> None:
    sign_in(page, portal, "teacher")
    create_on_the_page(page, f"Cells on a {size}")
    uploaded_and_processed(portal, f"{size}-lesson.png")
    go_to(page, "Assignments")  # the list reads the thumbnails through the image origin
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")
    page.wait_for_timeout(2 * 1000 * float(SNAPSHOT_SECONDS) + 500)  # every process recorded

    open_operations(page)
    expect(page.get_by_text("the API, the pages and 1 worker")).to_be_visible()
    assert figure(page, "Saving an image") != "—"  # saved by the pages and by the API
    assert figure(page, "Failed saves") == "0 %"
    assert figure(page, "Dead letters") == "0"
    for title in (
        "How long saving an image takes",
        "Saves and loads that failed",
        "How long each pipeline stage takes",
        "Images optimized: WebP, or PNG when WebP failed",
    ):
        expect(page.get_by_text(title, exact=True)).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart").first).to_be_visible()
    # At least five charts: waited for, as each draws on its own after the first.
    expect(page.get_by_test_id("stVegaLiteChart").nth(4)).to_be_attached()
    expect(page.get_by_text("No image went through the processing pipeline")).to_have_count(0)
    refreshed_until(page, "KB of 20.0 MB used")  # storage measured since the saves
    expect(page.get_by_text("objects · measured again after 10 s")).to_be_visible()
    page.wait_for_timeout(500)  # the charts' first paint
    fits(page)
    shot(page, f"61-operations-{size}")

    page.get_by_role("button", name="Refresh").click()
    settled(page)
    expect(page.get_by_role("heading", name="The last 5 minutes")).to_be_visible()
    shot(page, f"62-operations-refreshed-{size}")
    assert_no_crash(page)


def test_a_student_is_offered_no_operations_page(page: Page, portal: Portal, size: str) -> None:
    sign_in(page, portal, "student")
    menu = page.get_by_test_id("stExpandSidebarButton")
    if menu.is_visible():
        menu.click()
    nav = page.get_by_test_id("stSidebarNav")
    expect(nav.get_by_role("link", name="My results")).to_be_visible()
    expect(nav.get_by_role("link", name="Operations")).to_have_count(0)
    page.goto(f"{portal.ui}/operations")  # the address typed or kept from before
    expect(page.get_by_role("heading", name="Assignments")).to_be_visible()
    settled(page)
    expect(page.get_by_text("The last 5 minutes")).to_have_count(0)
    shot(page, f"63-operations-as-a-student-{size}")
