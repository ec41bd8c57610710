"""The Image pipeline page in Chromium, on a desktop and on a phone, over what `eduportal serve`
and its worker really did: a photo completed, a text file rejected, and three images failed into
the dead-letter queue because the store could not write their processed image (a file stood
where its folder belongs). The teacher filters the records, opens one of each, and, the cause
removed, redrives a dead letter (on the desktop) or all of them (on the phone); the worker then
completes the image.

Images go in through the REST API as the demo teacher. Screenshots go to `test-artifacts/e2e/`
(51-57, one set per screen size).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

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


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("portal")


@pytest.fixture(scope="module")
def portal(work: Path) -> Iterator[Portal]:
    """Short pauses between a failing stage's tries: four tries in about a second."""
    with running_portal(work, {"EDUPORTAL_PIPELINE_RETRY_SECONDS": "0.2"}) as running:
        yield running


def upload(client: httpx.Client, name: str, data: bytes, content_type: str) -> str:
    response = client.post("/api/uploads", files={"file": (name, data, content_type)})
    assert response.status_code == 202, response.text
    image_id: str = response.json()["image_id"]
    return image_id


def ends(client: httpx.Client, image_id: str, status: str) -> None:
    """Wait until the portal's worker has brought the image to `status`."""

    def reached() -> bool:
        found = client.get(f"/api/uploads/{image_id}").json()["status"]
        assert found == status or found in ("UPLOADED", "PROCESSING"), found
        return bool(found == status)

    wait_for(reached, seconds=60, what=f"image {image_id} {status}")


@pytest.fixture(scope="module")
def uploads(portal: Portal, work: Path) -> dict[str, str]:
    """Image ids by file name, each at the status its name says."""
    blocked = work / "data" / "objects" / "processed"
    assert not blocked.exists()
    blocked.parent.mkdir(parents=True, exist_ok=True)
    blocked.write_text("a file where the processed images' folder belongs")
    picture = png(photograph("chelsea"))
    with api_client(portal, "teacher") as teacher:
        ids = {
            name: upload(teacher, name, picture, "image/png")
            for name in ("desktop-lesson.png", "phone-lesson.png", "spare-lesson.png")
        }
        for image_id in ids.values():
            ends(teacher, image_id, "FAILED")
        blocked.unlink()  # the cause, fixed: what an operator does before a redrive
        ids["field-trip.png"] = upload(teacher, "field-trip.png", picture, "image/png")
        ids["notes.txt"] = upload(teacher, "notes.txt", b"Bring the worksheets.", "text/plain")
        ends(teacher, ids["field-trip.png"], "COMPLETED")
        ends(teacher, ids["notes.txt"], "REJECTED")
    return ids


def open_pipeline(page: Page, portal: Portal) -> None:
    sign_in(page, portal, "teacher")
    go_to(page, "Image pipeline")
    expect(page.get_by_text("The queue: ")).to_be_visible()


def pill(page: Page, status: str) -> Locator:
    """The status filter's choice (Streamlit's pills are radio buttons)."""
    return page.get_by_role("radio", name=status, exact=True)


def pictures_loaded(page: Page) -> None:
    """Every image on the page has arrived, for a screenshot that shows them."""
    page.wait_for_function("[...document.images].every(i => i.complete && i.naturalWidth > 0)")


def keyed(within: Page | Locator, key: str) -> Locator:
    """The button Streamlit gave `key` (its element carries the class `st-key-{key}`): found
    by its name alone, a row's button was once another row's mid-rerun, stale and new side
    by side."""
    return within.locator(f".st-key-{key} button")


def open_record(page: Page, uploads: dict[str, str], name: str) -> None:
    keyed(page, f"open_{uploads[name]}").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    settled(page)


def back_to_list(page: Page) -> None:
    page.get_by_role("button", name="← All uploads").click()
    expect(page.get_by_role("tab", name="Uploads")).to_be_visible()
    settled(page)


def test_a_teacher_follows_uploads_and_redrives_the_dead_letters(
    page: Page, portal: Portal, size: str, uploads: dict[str, Any]
) -> None:
    open_pipeline(page, portal)
    for name in ("field-trip.png", "notes.txt", f"{size}-lesson.png"):
        expect(page.get_by_text(name, exact=True)).to_be_visible()
    expect(page.get_by_text("1 rejected", exact=True)).to_be_visible()  # a count badge
    pictures_loaded(page)
    fits(page)
    shot(page, f"51-pipeline-uploads-{size}")

    pill(page, "Rejected").click()
    expect(page.get_by_text("field-trip.png", exact=True)).to_have_count(0)
    expect(page.get_by_text("notes.txt", exact=True)).to_be_visible()
    settled(page)
    assert "status=Rejected" in page.url  # a refresh, or a shared link, keeps the filter
    open_record(page, uploads, "notes.txt")
    refusal = page.get_by_test_id("stAlertContentWarning")  # the history says it too
    expect(refusal.get_by_text("Rejected: This file is not an image we can read.")).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()
    expect(page.get_by_text("Validate refused the file: This file is not")).to_be_visible()
    shot(page, f"52-pipeline-rejected-{size}")
    back_to_list(page)
    pill(page, "Rejected").click()  # off again: every status

    pill(page, "Failed").click()
    open_record(page, uploads, f"{size}-lesson.png")
    expect(page.get_by_text("Failed at resize after 4 tries").first).to_be_visible()
    expect(page.get_by_text("temporary failure").first).to_be_visible()
    expect(page.get_by_test_id("stVegaLiteChart")).to_be_visible()
    fits(page)
    shot(page, f"53-pipeline-failed-{size}")
    back_to_list(page)
    pill(page, "Failed").click()

    open_record(page, uploads, "field-trip.png")
    expect(page.get_by_text("Completed: its five stages took")).to_be_visible()
    expect(
        page.get_by_role(
            "img", name=re.compile(r"^Uploaded field-trip\.png, \d+ \u00d7 \d+ pixels, ")
        )
    ).to_be_visible()
    pictures_loaded(page)
    expect(page.get_by_text("Processing started (run 1)")).to_be_visible()
    expect(page.get_by_role("link", name="the optimized image")).to_have_attribute(
        "href", f"{portal.api}/images/processed/{uploads['field-trip.png']}.webp"
    )
    fits(page)
    shot(page, f"54-pipeline-completed-{size}")
    back_to_list(page)

    page.get_by_role("tab", name="Dead letters").click()
    letters = page.get_by_role("tabpanel", name="Dead letters")
    mine = f"{size}-lesson.png"
    expect(letters.get_by_text(mine, exact=True)).to_be_visible()
    expect(
        letters.get_by_text("Failed at resize: Image storage is unavailable").first
    ).to_be_visible()
    settled(page)
    if size == "desktop":  # one letter
        letter = letters.locator(f"[class*='st-key-letter_{uploads[mine]}_']")
        letter.get_by_role("button", name="Redrive").click()
        confirm = page.get_by_role("button", name="Yes, redrive", exact=True)
    else:  # every letter left: the phone's and the spare one
        page.get_by_role("button", name="Redrive all", exact=False).click()
        confirm = page.get_by_role("button", name="Yes, redrive all")
    expect(confirm).to_be_visible()
    shot(page, f"55-pipeline-dead-letters-{size}")
    confirm.click()
    done = page.get_by_text("Back in the queue:")
    expect(done).to_contain_text(mine)
    if size == "phone":
        expect(done).to_contain_text("spare-lesson.png")
    expect(letters.get_by_text(mine, exact=True)).to_have_count(0)  # out of the dead letters
    settled(page)
    shot(page, f"56-pipeline-redriven-{size}")

    with api_client(portal, "teacher") as teacher:
        ends(teacher, uploads[mine], "COMPLETED")
    page.get_by_role("tab", name="Uploads").click()
    open_record(page, uploads, mine)
    expect(page.get_by_text("Completed: its five stages took")).to_be_visible()
    expect(page.get_by_text("run 2", exact=False).first).to_be_visible()
    fits(page)
    shot(page, f"57-pipeline-completed-after-redrive-{size}")
    assert_no_crash(page)
