"""What used to crash or lose work in the browser (issue 7, "Broken today"), in Chromium.

Each test signs in afresh and drives the page as a person would; screenshots go to
`test-artifacts/e2e/`. The assertions are about what the person sees: no traceback, the
sentence that explains a refusal, and a preview that is what will be saved.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.support.browser import (
    Portal,
    api_token,
    assert_no_crash,
    go_to,
    leave_field,
    settled,
    shot,
    sign_in,
)
from tests.support.cli import run_cli
from tests.support.containers import without_variants
from tests.support.images import photograph, png
from tests.support.texts import TEXT

OTHER_TEXT = (
    "Photosynthesis happens in the chloroplast of a plant cell. Chlorophyll absorbs sunlight, "
    "and the plant turns carbon dioxide and water into glucose. Oxygen is released as a "
    "by-product. Without sunlight, photosynthesis stops and the plant uses its stored starch. "
    "Farmers grow maize and wheat in greenhouses to extend the season."
)


def generate(page: Page, portal: Portal, text: str = TEXT, user: str = "teacher") -> None:
    sign_in(page, portal, user)
    go_to(page, "Create an assignment")
    expect(page.get_by_role("button", name="Generate", exact=True)).to_be_visible()  # drawn after
    restored = page.get_by_role("button", name="Discard it")  # the notice, when there is one
    if restored.count():  # a test before left a draft: its questions would show before
        restored.click()  # Generate ends, and a file chosen then would be lost in the rerun
        expect(restored).to_have_count(0)
        settled(page)
    page.get_by_label("Text for the assignment").fill(text)
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Question 5", exact=True)).to_be_visible()
    settled(page)


def choose_file(page: Page, name: str, data: bytes) -> None:
    """What dropping a file on "…or use your own image" does."""
    page.locator("input[type=file]").set_input_files(
        {"name": name, "mimeType": "image/png", "buffer": data}
    )


def question_texts(page: Page) -> list[str]:
    return [page.get_by_label(f"Question {n}", exact=True).input_value() for n in range(1, 6)]


def test_regenerating_questions_uses_the_text_as_edited(
    page: Page, portal: Portal, size: str
) -> None:
    """Was a StreamlitWidgetAlreadyInstantiatedError traceback, and the old text's questions."""
    generate(page, portal)
    before = question_texts(page)
    page.get_by_label("Text for the assignment").fill(OTHER_TEXT)
    page.get_by_role("button", name="Regenerate questions").click()
    expect(page.get_by_label("Question 1", exact=True)).not_to_have_value(before[0])
    shot(page, f"11-questions-regenerated-{size}")
    assert_no_crash(page)
    after = " ".join(question_texts(page)).lower()
    assert "mitochondri" not in after
    assert any(word in after for word in ("chloroplast", "photosynthesis", "chlorophyll"))
    assert page.get_by_label("Text for the assignment").input_value() == OTHER_TEXT


def test_a_file_that_is_not_an_image_is_refused_with_a_sentence(
    page: Page, portal: Portal, size: str
) -> None:
    """Was accepted silently, then a PIL traceback took the Save controls away. Now the
    processing pipeline (serve's worker) refuses it from its bytes within moments, and the
    page, which follows it, says so."""
    generate(page, portal)
    expect(page.get_by_text("Offline illustration (made from")).to_be_visible()
    expect(page.get_by_text("25MB per file • PNG, JPG, WEBP, GIF, BMP, TIF, AVIF")).to_be_visible()
    choose_file(page, "notes.png", b"just some text")
    expect(
        page.get_by_text("“notes.png” was refused: This file is not an image we can read.")
    ).to_be_visible()
    shot(page, f"12-not-an-image-{size}")
    assert_no_crash(page)
    expect(
        page.get_by_text("Offline illustration (made from")
    ).to_be_visible()  # the previous image
    expect(page.get_by_role("button", name="Save assignment")).to_be_visible()
    expect(page.get_by_role("button", name="Save without the image")).to_be_visible()


def test_the_preview_is_what_will_be_saved(page: Page, portal: Portal, size: str) -> None:
    """Was one click behind: an upload still said "generated", and a regenerated image was
    shown while the upload was saved."""
    generate(page, portal)
    photo = png(photograph("chelsea"))  # 451 x 300
    choose_file(page, "cat.png", photo)
    expect(page.get_by_text("Your image: cat.png · ready")).to_be_visible()  # serve's worker
    settled(page)
    shot(page, f"13-uploaded-preview-{size}")
    page.get_by_role("button", name="Regenerate image").click()
    expect(page.get_by_text("Your image: cat.png")).to_have_count(0)
    settled(page)
    expect(page.get_by_text("Offline illustration (made from")).to_be_visible()
    page.get_by_role("button", name="Save assignment").click()
    expect(
        page.get_by_text(
            "Saved “The mitochondrion is the powerhouse of the cell” with 5 questions."
        )
    ).to_be_visible()
    assert_no_crash(page)
    token = api_token(portal, "teacher")
    newest = httpx.get(
        f"{portal.api}/api/assignments",
        params={"limit": 1},
        headers={"Authorization": f"Bearer {token}"},
    ).json()["items"][0]
    image = Image.open(io.BytesIO(httpx.get(newest["cloudfront_url"]).content))
    assert image.size == (1024, 768)  # the generated poster, not the 451 x 300 upload


def test_generate_with_no_text_is_a_plain_sentence(page: Page, portal: Portal, size: str) -> None:
    sign_in(page, portal, "teacher")
    go_to(page, "Create an assignment")
    page.get_by_role("button", name="Generate", exact=True).click()
    expect(page.get_by_text("Please enter a text to build the assignment from.")).to_be_visible()
    shot(page, f"14-empty-text-{size}")
    assert "Reference" not in page.locator("body").inner_text()
    assert_no_crash(page)


def test_revealing_the_answer_keeps_the_score_just_shown(
    page: Page, portal: Portal, size: str
) -> None:
    """Was: revealing wiped the score and feedback the student had just got."""
    token = api_token(portal, "teacher")
    created = httpx.post(
        f"{portal.api}/api/assignments",
        json={"text": TEXT, "with_image": False},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert created.status_code == 201
    sign_in(page, portal, "student")
    page.get_by_role("button", name="Open").first.click()
    page.get_by_label("Your answer").first.fill("the nucleus makes the energy")
    page.get_by_role("button", name="Submit answer").first.click()
    expect(page.get_by_text("This answer")).to_be_visible()
    reveal = page.get_by_role("button", name="Show the reference answer").first
    expect(reveal).to_be_enabled()  # once the run that scored the answer has drawn it
    reveal.click()
    expect(page.get_by_text(re.compile("^Reference answer: "))).to_be_visible()
    expect(page.get_by_text("This answer")).to_be_visible()
    expect(page.get_by_text("Top five on this question")).to_be_visible()
    shot(page, f"15-revealed-keeps-score-{size}")
    assert_no_crash(page)


def test_after_saving_the_teacher_gets_a_link_to_it_and_a_fresh_form(
    page: Page, portal: Portal, size: str
) -> None:
    """Was: the filled form stayed, the message named an opaque id, and nothing linked."""
    generate(page, portal, OTHER_TEXT)
    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_value("Photosynthesis happens in the chloroplast of a plant cell")
    title.fill("Photosynthesis, week 3")
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text("Saved “Photosynthesis, week 3” with 5 questions.")).to_be_visible()
    settled(page)  # the old form's field stays, faded, until the run ends
    expect(page.get_by_label("Text for the assignment")).to_have_value("")
    expect(page.get_by_role("button", name="Save assignment")).to_have_count(0)
    shot(page, f"16-saved-fresh-form-{size}")
    page.get_by_role("link", name="Open the assignment").click()
    expect(page.get_by_role("heading", name="Photosynthesis, week 3")).to_be_visible()
    expect(page.get_by_role("heading", name="Questions")).to_be_visible()
    expect(page.get_by_text("Delete", exact=True)).to_be_visible()  # the page is drawn in full
    assert "assignment=" in page.url
    shot(page, f"17-opened-from-the-link-{size}")
    assert_no_crash(page)


@pytest.fixture
def drafting_teacher(portal: Portal, size: str) -> str:
    """A teacher of this test's own. A teacher has one draft, shared by all their tabs: the
    page of the test before, closed while its last run ended, could still save the draft,
    and this page's next save then met "changed in another tab" and took that draft (three
    times in CI, always on the test right after another test's pages; suspected, not seen
    here). That is the portal working as designed for two tabs, not what this test is about."""
    name = f"drafter{size}"
    password = "drafting password 1"
    added = run_cli(["users", "add", name, "--role", "teacher"], portal.env, stdin=password)
    assert added.returncode == 0, added.stderr
    portal.passwords[name] = password
    return name


def saved_draft_title(portal: Portal, user: str) -> Callable[[], str | None]:
    """The title of `user`'s draft as the server has it, read from the portal's own store."""
    container = without_variants(Path(portal.env["EDUPORTAL_DATA_DIR"]))
    account = next(a for a in container.accounts.list_accounts() if a.username == user)

    def title() -> str | None:
        loaded = container.drafts.load(account)
        return loaded.draft.title if loaded is not None else None

    return title


def test_a_refresh_brings_the_unsaved_work_back(
    page: Page, portal: Portal, size: str, drafting_teacher: str
) -> None:
    """Was: a refresh signed the teacher out and threw the draft away."""
    generate(page, portal, OTHER_TEXT, drafting_teacher)
    page.get_by_label("Answer 2", exact=True).fill("My own answer")
    title = page.get_by_label("Title", exact=True)
    # The title Generate proposes reaches the field when the run draws it, and replaces
    # whatever was typed there before: typed earlier, the title was lost (CI, 3 times).
    expect(title).to_have_value("Photosynthesis happens in the chloroplast of a plant cell")
    title.fill("Plants, my draft")
    leave_field(page, "Title")  # a field is saved when left
    # Saved before the file is chosen: if the title never reaches the server, this says so.
    draft_title = saved_draft_title(portal, drafting_teacher)
    for _ in range(40):
        if draft_title() == "Plants, my draft":
            break
        page.wait_for_timeout(250)
    assert draft_title() == "Plants, my draft", "the title typed and left was never saved"
    choose_file(page, "cat.png", png(photograph("chelsea")))
    expect(page.get_by_text("Your image: cat.png")).to_be_visible()
    page.reload()
    expect(page.get_by_text("Your unsaved work from")).to_be_visible()
    expect(page.get_by_label("Text for the assignment")).to_have_value(OTHER_TEXT)
    expect(page.get_by_label("Title", exact=True)).to_have_value("Plants, my draft")
    expect(page.get_by_label("Answer 2", exact=True)).to_have_value("My own answer")
    expect(page.get_by_text("Your image: cat.png")).to_be_visible()
    shot(page, f"18-draft-after-refresh-{size}")
    assert_no_crash(page)
    page.get_by_role("button", name="Save assignment").click()
    expect(page.get_by_text("Saved “Plants, my draft” with 5 questions.")).to_be_visible()
    page.reload()
    expect(page.get_by_label("Text for the assignment")).to_have_value("")  # nothing left over
    expect(page.get_by_text("Your unsaved work from")).to_have_count(0)
