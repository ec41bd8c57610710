"""The Image pipeline page, driven headless over real records: an image completed, a text file
rejected and an image failed into the dead letters by a store that could not write (a file
where the processed images' folder belongs), then the cause removed and the image redriven."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from eduportal.domain.image_records import ImageStatus
from eduportal.ui.listing import escape_markdown as shown_as_written
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.images import gps_exif, gradient, png
from tests.support.pages import texts

PAGE = "views/pipeline.py"


@pytest.fixture(autouse=True)
def quick_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    """Set before the pages' container is built (autouse fixtures come first): a failing
    stage's four tries take milliseconds, not 14 s."""
    monkeypatch.setenv("EDUPORTAL_PIPELINE_RETRY_SECONDS", "0.01")


def upload(container: Container, data: bytes, name: str) -> str:
    record = container.uploads.upload(
        data, file_name=name, content_type="image/png", uploader="teacher1"
    )
    return record.image_id


def processed(container: Container) -> None:
    container.worker().run(drain=True)


@pytest.fixture
def processed_folder_blocked(container: Container) -> Path:
    """A file where the processed images' folder belongs: every resize fails to write, as a
    broken disk would make it, until the file is removed."""
    objects = container.settings.data_dir / "objects"
    objects.mkdir(parents=True, exist_ok=True)
    block = objects / "processed"
    block.write_text("not a folder")
    return block


def test_with_no_upload_the_page_says_how_uploads_arrive(
    open_page: PageFactory, container: Container
) -> None:
    app = open_page(PAGE, user="teacher1")
    assert "No uploads yet — when an image is uploaded into the pipeline" in texts(app)
    assert "The queue: 0 waiting · 0 being processed · 0 dead letters" in texts(app)
    assert not app.exception and not app.error


def test_records_are_filtered_by_status_and_day_and_one_opens_with_its_stages(
    open_page: PageFactory, container: Container
) -> None:
    photo = upload(container, png(gradient(1600, 1200), exif=gps_exif()), "field trip.png")
    upload(container, b"just some notes", "notes.png")
    processed(container)
    app = open_page(PAGE, user="teacher1")
    shown = texts(app)
    assert shown_as_written("field-trip.png") in shown and shown_as_written("notes.png") in shown
    assert ":green-badge[1 completed] :orange-badge[1 rejected]" in shown

    app.button_group(key="status").set_value(ImageStatus.REJECTED).run()
    assert shown_as_written("notes.png") in texts(app)
    assert shown_as_written("field-trip.png") not in texts(app)
    earlier = date.fromisoformat(container.uploads.today()) - timedelta(days=3)
    app.date_input(key="day").set_value(earlier).run()
    assert f"No rejected uploads on {earlier}. Clear a filter to see more." in texts(app)
    kept = open_page(PAGE, user="teacher1", query={"status": "Completed"})  # a link, a refresh
    assert shown_as_written("notes.png") not in texts(kept)
    assert shown_as_written("field-trip.png") in texts(kept)

    app = open_page(PAGE, user="teacher1", query={"image": photo})
    detail = texts(app)
    assert "Completed: its five stages took" in detail
    assert "The upload is 1600 \u00d7 1200 pixels, PNG, RGB." in detail
    assert "1. Validate** · completed · " in detail and "5. Archive** · completed · " in detail
    assert "Processing started (run 1)" in detail and "Resize completed in" in detail
    assert not app.exception and not app.error


def test_a_failed_image_waits_in_the_dead_letters_and_a_redrive_completes_it(
    open_page: PageFactory, container: Container, processed_folder_blocked: Path
) -> None:
    image_id = upload(container, png(gradient(400, 300)), "lesson.png")
    processed(container)
    assert container.uploads.get(image_id).status is ImageStatus.FAILED

    app = open_page(PAGE, user="teacher1", query={"image": image_id})
    detail = texts(app)
    assert "Failed at resize after 4 tries: “Image storage is unavailable" in detail
    assert "5. Resize** · temporary failure · " in detail  # the third try of resize
    assert "6. Resize** · failed · " in detail  # the fourth and last

    processed_folder_blocked.unlink()  # the cause, fixed
    app = open_page(PAGE, user="teacher1", query={"tab": "Dead letters"})
    assert "1 image failed after its retries and waits here" in texts(app)
    assert "Failed at resize: Image storage is unavailable" in texts(app)
    (letter,) = container.uploads.dead_letters()
    app.button(key=f"redrive_{letter.message_id}").click().run()
    assert [s.value for s in app.success] == [
        f"Back in the queue: {shown_as_written('lesson.png')}. A worker processes it again now."
    ]
    assert container.uploads.get(image_id).status is ImageStatus.UPLOADED
    processed(container)
    assert container.uploads.get(image_id).status is ImageStatus.COMPLETED
    app.run()
    assert "The dead-letter queue is empty" in texts(app)
    assert not app.exception
