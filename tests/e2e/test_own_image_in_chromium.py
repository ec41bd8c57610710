"""A teacher's own image in Chromium, on a desktop and on a phone: chosen on the Create page,
followed while the processing pipeline works on it, shown processed, saved as the assignment's
image; a text file named .png refused in a sentence that says what to do; and an assignment
saved while its image is still processing, followed on its own page until the image is there.

The portal runs without its worker here (`serve --workers 0`) and the test runs
`eduportal worker --drain` when it wants the pipeline to work: otherwise the worker could
finish before the page is looked at, and the progress would be seen only when the machine
happens to be slow. The page's polling is what shows the outcome either way. Screenshots go
to `test-artifacts/e2e/` (41-47, one set per screen size).
"""

from __future__ import annotations

import io
import re
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Locator, Page, expect

from tests.support.browser import (
    Portal,
    api_client,
    assert_no_crash,
    fits,
    go_to,
    leave_field,
    running_portal,
    settled,
    shot,
    sign_in,
)
from tests.support.images import photograph, png
from tests.support.pages import TEXT_TITLE
from tests.support.texts import TEXT

PHOTO = png(photograph("chelsea"))  # 451 x 300
WAITING = "Waiting for its turn to be processed…"


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Portal]:
    with running_portal(tmp_path_factory.mktemp("portal"), workers=0) as running:
        yield running


def drain(portal: Portal) -> None:
    """The pipeline works through everything uploaded so far, as serve's worker would."""
    done = subprocess.run(
        [sys.executable, "-m", "eduportal", "worker", "--drain"],
        env=portal.env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr[-2000:]


def create_with_questions(page: Page) -> None:
    go_to(page, "Create an assignment")
    expect(page.get_by_role("button", name="Generate", exact=True)).to_be_visible()
    restored = page.get_by_role("button", name="Discard it")  # a draft a failed test left
    if restored.count():
        restored.click()
        expect(restored).to_have_count(0)
        settled(page)
    page.get_by_label("Text for the assignment").fill(TEXT)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Question 5", exact=True)).to_be_visible()
    expect(page.get_by_text("Offline illustration (made from")).to_be_visible()
    settled(page)


def choose_file(page: Page, name: str, data: bytes) -> None:
    """What dropping a file on "…or use your own image" does."""
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": data}
    )


def progress(page: Page, words: str) -> Locator:
    """Text of the progress box: `first`, since the box is drawn again every second and a
    run's new copy may stand beside the old one for a moment."""
    return page.get_by_text(words).first


def drawn_to_the_end(page: Page) -> None:
    """The assignment's page drawn down to its last control: `settled` alone can pass while
    the first run after opening a page is still drawing (nothing is stale yet)."""
    expect(page.get_by_role("button", name="Delete")).to_be_visible()
    settled(page)


def newest(portal: Portal) -> dict[str, object]:
    with api_client(portal, "teacher") as teacher:
        item: dict[str, object] = teacher.get("/api/assignments", params={"limit": 1}).json()[
            "items"
        ][0]
        return item


def test_a_teacher_creates_an_assignment_with_their_own_image(
    page: Page, portal: Portal, size: str
) -> None:
    sign_in(page, portal, "teacher")
    create_with_questions(page)
    choose_file(page, "cat.png", PHOTO)
    expect(progress(page, WAITING)).to_be_visible()  # answered at once, processed later
    expect(progress(page, "is being processed: 0 of 5 steps done")).to_be_visible()
    meanwhile = page.get_by_text("Until it is ready, the illustration below stays chosen.")
    expect(meanwhile).to_be_visible()
    settled(page)
    fits(page)
    shot(page, f"41-own-image-processing-{size}")
    assert_no_crash(page)

    drain(portal)
    expect(page.get_by_text("Your image: cat.png · ready")).to_be_visible()  # the page polled
    expect(page.get_by_text(WAITING)).to_have_count(0)
    settled(page)
    fits(page)
    shot(page, f"42-own-image-ready-{size}")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text(f"Saved “{TEXT_TITLE}” with 5 questions.")).to_be_visible()
    assert_no_crash(page)

    saved = newest(portal)
    assert str(saved["s3_image_key"]).startswith("processed/")  # the processed image IS it
    assert saved["image_upload"] is None and saved["s3_upload_status"] == "success"
    image = httpx.get(str(saved["cloudfront_url"]))
    assert image.status_code == 200 and image.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(image.content)).size == (451, 300)

    page.get_by_role("link", name="Open the assignment").click()
    expect(page.get_by_role("heading", name=TEXT_TITLE)).to_be_visible()
    described = re.compile(f"^The teacher's picture for “{re.escape(TEXT_TITLE)}”")
    expect(page.get_by_role("img", name=described)).to_be_visible()
    drawn_to_the_end(page)
    fits(page)
    shot(page, f"43-own-image-saved-{size}")
    assert_no_crash(page)

    # A text file named .png: the pipeline decides from the bytes, and the page says so.
    create_with_questions(page)
    choose_file(page, "notes.png", b"Shopping list: apples, bread, milk.\n")
    expect(progress(page, WAITING)).to_be_visible()
    drain(portal)
    refused = page.get_by_text(
        "“notes.png” was refused: This file is not an image we can read. Please use PNG, JPEG, "
        "WebP, GIF, BMP, TIFF or AVIF. Choose another file, or save without it."
    )
    expect(refused).to_be_visible()
    expect(page.get_by_text("Offline illustration (made from")).to_be_visible()  # it stays
    expect(page.get_by_role("button", name="Save without the image")).to_be_visible()
    settled(page)
    fits(page)
    shot(page, f"44-own-image-refused-{size}")
    assert_no_crash(page)
    assert "Reference" not in page.locator("body").inner_text()
    page.get_by_role("button", name="Save assignment").click()  # with the illustration
    expect(page.get_by_text(f"Saved “{TEXT_TITLE}” with 5 questions.")).to_be_visible()
    kept = newest(portal)
    assert str(kept["s3_image_key"]).startswith("generated_images/")
    assert kept["image_upload"] is None


def test_saved_while_processing_its_page_shows_the_image_when_ready(
    page: Page, portal: Portal, size: str
) -> None:
    sign_in(page, portal, "teacher")
    create_with_questions(page)
    page.get_by_label("Title", exact=True).fill(f"Own image, saved early ({size})")
    leave_field(page, "Title")  # the picture's description names the title
    choose_file(page, "cat.png", PHOTO)
    expect(progress(page, WAITING)).to_be_visible()
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text("with 5 questions.")).to_be_visible()
    expect(progress(page, "is being processed")).to_be_visible()  # followed from here too
    settled(page)
    shot(page, f"45a-saved-while-processing-create-{size}")
    saved = newest(portal)
    assert saved["image_upload"] is not None  # awaited,
    assert str(saved["s3_image_key"]).startswith("generated_images/")  # the poster meanwhile
    page.get_by_role("link", name="Open the assignment").click()
    expect(page.get_by_role("heading", name=f"Own image, saved early ({size})")).to_be_visible()
    expect(progress(page, "is being processed")).to_be_visible()
    expect(page.get_by_text("The image below stays until yours is ready.")).to_be_visible()
    drawn_to_the_end(page)
    fits(page)
    shot(page, f"45-saved-while-processing-{size}")
    assert_no_crash(page)

    drain(portal)
    expect(page.get_by_text("is being processed")).to_have_count(0)  # the page polled
    drawn_to_the_end(page)
    adopted = newest(portal)
    assert str(adopted["s3_image_key"]).startswith("processed/")
    fits(page)
    shot(page, f"46-adopted-on-its-page-{size}")
    assert_no_crash(page)

    page.get_by_role("button", name="← All assignments").click()
    expect(page.get_by_text("newest first")).to_be_visible()  # the list, not the detail
    settled(page)
    # The picture's own description, not the poster's shown while it was processed.
    assert str(adopted["image_alt"]).startswith("The teacher's picture for"), adopted
    row = page.get_by_role("img", name=str(adopted["image_alt"]))
    expect(row).to_be_visible()
    # A list row loads the 256 px thumbnail, sharp at 96 CSS pixels on a dense screen.
    assert row.evaluate("img => img.decode().then(() => img.naturalWidth)") == 256  # loaded
    widths = page.locator("[data-testid=stImage] img").evaluate_all(
        "images => Promise.all(images.map(img => img.decode().then(() => img.naturalWidth)))"
    )
    assert widths and max(widths) <= 256, widths  # every row light, generated ones too
    fits(page)
    shot(page, f"47-list-with-thumbnails-{size}")
    assert_no_crash(page)
