"""A teacher's own image on the Create page and the Assignments page, driven headless: sent
when chosen, followed while the pipeline works (a worker drained by the test), then the
processed image, or the refusal in a sentence with what to do; kept by the draft across
sessions; adopted after saving; a refusal after saving shown to the author until dismissed."""

from __future__ import annotations

from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from eduportal.domain.accounts import Role
from eduportal.domain.assignments import UploadState
from eduportal.domain.keys import NO_IMAGE
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.images import photograph, png
from tests.support.pages import TEXT_TITLE, handed_to, texts
from tests.support.texts import PASSWORD, TEXT

PHOTO = png(photograph("chelsea"))  # 451 x 300


@pytest.fixture
def shown_images(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    return handed_to(monkeypatch, "image", lambda args, kwargs: args[0])


def generated(open_page: PageFactory) -> AppTest:
    """The Create page with questions and the offline illustration made from TEXT."""
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT)
    app.button(key="generate").click().run()
    assert not app.exception
    return app


def choose(app: AppTest, name: str, data: bytes) -> AppTest:
    return app.file_uploader(key="create_upload_0").set_value((name, data, "image/png")).run()


def progress_text(app: AppTest) -> str:
    return " ".join(str(bar.proto.text) for bar in app.get("progress"))


def test_an_own_image_is_followed_then_shown_processed_then_saved_as_the_image(
    open_page: PageFactory, container: Container, shown_images: list[Any]
) -> None:
    app = choose(generated(open_page), "cat.png", PHOTO)
    assert not app.exception
    assert "**Your image: cat.png** is being processed: 0 of 5 steps done" in progress_text(app)
    assert "Waiting for its turn to be processed…" in texts(app)
    assert "Until it is ready, the illustration below stays chosen." in texts(app)
    caption = app.get("image")[0].proto.imgs[0].caption
    assert caption.startswith("Offline illustration")  # still the one shown meanwhile

    assert container.worker().run(drain=True).runs == {"COMPLETED": 1}
    shown_images.clear()
    app.run()
    assert not app.get("progress")
    assert app.get("image")[0].proto.imgs[0].caption == "Your image: cat.png · ready"
    record = container.image_records.list(limit=1)[0]
    assert record.processed_key is not None
    assert shown_images == [container.image_store.fetch(record.processed_key).data]

    app.button(key="save").click().run()
    assert not app.exception
    saved = container.assignments.list().items[0]
    assert saved.s3_image_key == record.processed_key and saved.image_upload is None
    assert list(container.object_store.list_keys("generated_images/")) == []  # nothing else
    assert list(container.object_store.list_keys("drafts/")) == []  # the draft went too


def test_saved_while_processing_the_page_follows_it_to_the_illustration(
    open_page: PageFactory, container: Container
) -> None:
    app = choose(generated(open_page), "cat.png", PHOTO)
    app.button(key="save").click().run()
    assert not app.exception
    assert f"Saved “{TEXT_TITLE}” with 5 questions." in texts(app)
    assert "is being processed" in progress_text(app)  # followed at once
    assert f"It becomes the illustration of “{TEXT_TITLE}” when ready." in texts(app)
    saved = container.assignments.list().items[0]
    assert saved.awaits_image and saved.s3_image_key.startswith("generated_images/")
    app.run()  # the page as it polls
    assert "is being processed" in progress_text(app)

    container.worker().run(drain=True)
    app.run()
    assert f"Your image is now the illustration of “{TEXT_TITLE}”." in texts(app)
    adopted = container.assignments.get(saved.assignment_id)
    assert adopted.s3_image_key.startswith("processed/")
    app.run()
    assert "Your image is now" not in texts(app)  # said once


def test_a_refused_file_says_why_and_what_to_do_and_the_illustration_stays(
    open_page: PageFactory, container: Container
) -> None:
    app = choose(generated(open_page), "notes.png", b"just some text")
    container.worker().run(drain=True)
    app.run()
    assert not app.exception
    warning = texts(app)
    assert (
        "“notes.png” was refused: This file is not an image we can read. Please use PNG, JPEG, "
        "WebP, GIF, BMP, TIFF or AVIF. Choose another file, or save without it."
    ) in warning
    assert "Reference" not in warning
    assert app.get("image")[0].proto.imgs[0].caption.startswith("Offline illustration")
    app.button(key="save").click().run()
    saved = container.assignments.list().items[0]
    assert saved.s3_image_key.startswith("generated_images/") and saved.image_upload is None


def test_a_refusal_after_saving_is_shown_to_the_author_until_dismissed(
    open_page: PageFactory, container: Container
) -> None:
    app = open_page("views/create.py", user="teacher1")
    app.text_area(key="create_text_0").input(TEXT)
    app.checkbox(key="create_with_image_0").uncheck()
    app.button(key="generate").click().run()
    choose(app, "notes.png", b"just some text")
    app.button(key="save").click().run()
    saved = container.assignments.list().items[0]
    assert saved.awaits_image and saved.s3_image_key == NO_IMAGE
    container.worker().run(drain=True)
    app.run()
    assert "“notes.png” was refused" in texts(app)
    assert f"“{TEXT_TITLE}” is saved with no image." in texts(app)

    detail = open_page(
        "views/assignments.py", user="teacher1", query={"assignment": saved.assignment_id}
    )
    assert not detail.exception
    assert "“notes.png” was refused: This file is not an image we can read." in texts(detail)
    assert "It has no image for now. To choose another file, edit the assignment." in texts(detail)
    refused = container.assignments.get(saved.assignment_id)
    assert refused.image_upload is not None
    assert refused.image_upload.state is UploadState.REJECTED
    container.accounts.register("teacher2", PASSWORD, Role.TEACHER)
    other = open_page(
        "views/assignments.py", user="teacher2", query={"assignment": saved.assignment_id}
    )
    assert "was refused" not in texts(other)  # the author's business
    detail.button(key="dismiss_image_problem").click().run()
    assert "was refused" not in texts(detail)
    assert container.assignments.get(saved.assignment_id).image_upload is None


def test_the_draft_keeps_the_chosen_image_across_sessions(
    open_page: PageFactory, container: Container
) -> None:
    choose(generated(open_page), "cat.png", PHOTO)
    again = open_page("views/create.py", user="teacher1")  # a refresh: a new session
    assert not again.exception
    assert "Your unsaved work from" in texts(again)
    assert "Your image: cat.png" in progress_text(again)
    container.worker().run(drain=True)
    again.run()
    assert again.get("image")[0].proto.imgs[0].caption == "Your image: cat.png · ready"
    teacher = container.accounts.login("teacher1", PASSWORD).account
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft.upload is not None
    assert loaded.image is not None  # the illustration to fall back on, until saved


def test_regenerating_the_illustration_replaces_the_chosen_image(
    open_page: PageFactory, container: Container
) -> None:
    app = choose(generated(open_page), "cat.png", PHOTO)
    app.button(key="regenerate_image").click().run()
    assert not app.get("progress")
    assert app.get("image")[0].proto.imgs[0].caption.startswith("Offline illustration")
    teacher = container.accounts.login("teacher1", PASSWORD).account
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft.upload is None


def test_the_illustrations_description_sent_back_by_a_browser_is_not_the_teachers(
    open_page: PageFactory, container: Container
) -> None:
    """Seen in CI: Save clicked before the upload's run had drawn the description field. The
    browser still held the illustration's sentence and sent it back with the click, which
    Streamlit reports as a change of the field: the own picture was saved described as the
    poster."""
    app = generated(open_page)
    shown = str(app.text_input(key="create_alt_0").value)
    app = choose(app, "cat.png", PHOTO)
    own = str(app.text_input(key="create_alt_0").value)
    assert own.startswith("The teacher's picture for") and own != shown
    app.text_input(key="create_alt_0").set_value(shown)
    app.button(key="save").click().run()
    assert not app.exception
    saved = container.assignments.list().items[0]
    assert saved.image_upload is not None and saved.image_upload.alt == own
