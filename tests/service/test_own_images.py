"""A teacher's own image through the processing pipeline, over the embedded default's real
adapters: sent at once, awaited by the assignment, adopted when COMPLETED (the processed image
IS the assignment's image), refused with the pipeline's sentence, and never a half state under
races: adopting twice, a newer choice landing first, an edit made meanwhile.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from eduportal.config import load_settings
from eduportal.domain.accounts import Account, Role
from eduportal.domain.assignments import (
    Assignment,
    ImageUpload,
    OwnImage,
    UploadState,
    numbered,
)
from eduportal.domain.drafts import NO_DRAFT
from eduportal.domain.errors import ConfigurationError, ForbiddenError, ValidationError
from eduportal.domain.image_records import ImageStatus, Stage, StageFailure
from eduportal.domain.images import UploadStatus
from eduportal.domain.keys import NO_IMAGE, processed_key, thumbnail_key
from eduportal.pipeline.runner import LocalRunner
from eduportal.services.assignments import AssignmentService
from eduportal.services.drafts import ChosenImage
from eduportal.services.reconcile import DanglingRecord, Reconciler
from eduportal.wiring import Container, Repositories, build
from tests.support.clock import FakeClock
from tests.support.containers import without_variants
from tests.support.images import decode, gradient, photograph, png
from tests.support.texts import PASSWORD, TEXT
from tests.support.threads import run_together

PHOTO = png(photograph("chelsea"))  # 451 x 300
NOT_AN_IMAGE = b"just some text, saved as notes.png"


@pytest.fixture
def container(tmp_path: Path) -> Container:
    return without_variants(tmp_path / "data")


def send(container: Container, teacher: Account, data: bytes = PHOTO, name: str = "cat.png") -> str:
    """The teacher's file into the pipeline, as the pages do; its image id."""
    record = container.assignments.send_image(
        teacher, data, file_name=name, content_type="image/png"
    )
    assert record.status is ImageStatus.UPLOADED
    return record.image_id


def upload(image_id: str, name: str = "cat.png") -> OwnImage:
    return OwnImage(image_id, f"Your image: {name}")


def process(container: Container, image_id: str) -> ImageStatus | None:
    """Run the pipeline on one image now, as a worker would (its final event included)."""
    record = container.image_records.get(image_id)
    job = container.intake.job_for({"key": record.key})
    assert job is not None
    return LocalRunner(container.pipeline_steps, container.pipeline_definition).run(job)


def create(
    container: Container,
    teacher: Account,
    *,
    awaiting: str | None = None,
    image: bytes | None = None,
    name: str = "cat.png",
) -> Assignment:
    questions = container.assignments.generate_questions(teacher, TEXT)
    return container.assignments.create(
        teacher,
        TEXT,
        numbered([(qa.question, qa.answer) for qa in questions]),
        image,
        upload=upload(awaiting, name) if awaiting else None,
    )


def stored(container: Container, assignment_id: str) -> Assignment:
    return container.repositories.assignments.get(assignment_id)


def test_an_own_image_is_stored_and_recorded_at_once_and_decoded_by_nobody(
    container: Container, teacher: Account, student: Account
) -> None:
    image_id = send(container, teacher, NOT_AN_IMAGE, "notes.png")  # the pipeline decides
    assert container.assignments.image_progress(teacher, image_id).status is ImageStatus.UPLOADED
    assert container.queue.depth().waiting == 1
    with pytest.raises(ForbiddenError):
        container.assignments.send_image(student, PHOTO, file_name="cat.png")
    with pytest.raises(ValidationError, match="empty"):
        container.assignments.send_image(teacher, b"", file_name="empty.png")


def test_saved_while_processing_then_the_processed_image_is_the_assignments(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)
    assert created.awaits_image and not created.has_image
    assert created.s3_upload_status is UploadStatus.PENDING and created.cloudfront_url is None

    assert container.worker().run(drain=True).runs == {"COMPLETED": 1}
    adopted = stored(container, created.assignment_id)  # by the pipeline's final event
    assert adopted.s3_image_key == processed_key(image_id)
    assert adopted.thumbnail_keys == (thumbnail_key(image_id, 128), thumbnail_key(image_id, 256))
    assert adopted.image_upload is None and adopted.s3_upload_status is UploadStatus.SUCCESS
    assert adopted.cloudfront_url is not None
    assert adopted.cloudfront_url.startswith(
        f"http://127.0.0.1:8000/images/{processed_key(image_id)}?v="
    )
    assert adopted.image_metadata is not None
    assert adopted.image_metadata.dimensions == "451x300"
    assert adopted.image_metadata.format == "webp"
    assert adopted.image_metadata.original_size_bytes == len(PHOTO)
    assert decode(container.image_store.fetch(adopted.s3_image_key).data).size == (451, 300)
    assert adopted.version == created.version + 1  # one write: nothing of its own to delete
    assert container.assignments.get(created.assignment_id) == adopted


def test_a_generated_illustration_shows_until_the_own_image_is_ready_then_goes(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    generated = container.assignments.generate_image(teacher, TEXT)
    created = create(container, teacher, awaiting=image_id, image=generated)
    assert created.s3_image_key.startswith("generated_images/") and created.awaits_image
    assert created.s3_upload_status is UploadStatus.SUCCESS  # the image it shows meanwhile
    assert len(created.own_image_keys) == 3  # the illustration and its two thumbnails

    process(container, image_id)
    adopted = stored(container, created.assignment_id)
    assert adopted.s3_image_key == processed_key(image_id)
    assert adopted.image_lock is None  # claimed to delete the illustration, then released
    assert list(container.object_store.list_keys("generated_images/")) == []
    assert sorted(container.object_store.list_keys("processed/")) == [adopted.s3_image_key]


def test_an_image_ready_before_saving_is_adopted_by_the_save_and_nothing_else_stored(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    process(container, image_id)
    created = create(container, teacher, awaiting=image_id, image=PHOTO)
    assert created.s3_image_key == processed_key(image_id) and created.image_upload is None
    assert list(container.object_store.list_keys("generated_images/")) == []


def test_rejected_after_saving_the_assignment_keeps_no_image_and_says_why(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher, NOT_AN_IMAGE, "notes.png")
    created = create(container, teacher, awaiting=image_id, name="notes.png")
    assert process(container, image_id) is ImageStatus.REJECTED

    refused = container.assignments.get(created.assignment_id)
    assert refused.s3_image_key == NO_IMAGE and refused.cloudfront_url is None
    assert refused.s3_upload_status is UploadStatus.NO_IMAGE  # a valid assignment, no image
    assert refused.image_upload is not None
    assert refused.image_upload.state is UploadState.REJECTED
    assert refused.image_upload.message is not None
    assert refused.image_upload.message.startswith("This file is not an image we can read.")
    assert refused.image_upload.label == "Your image: notes.png"

    dismissed = container.assignments.dismiss_image_problem(teacher, created.assignment_id)
    assert dismissed.image_upload is None and dismissed.version == refused.version + 1


def test_rejected_replacing_a_saved_image_keeps_the_previous_one(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    image_id = send(container, teacher, NOT_AN_IMAGE, "notes.png")
    awaiting = container.assignments.use_image(teacher, created.assignment_id, upload(image_id))
    assert awaiting.s3_image_key == created.s3_image_key and awaiting.awaits_image
    process(container, image_id)
    refused = container.assignments.get(created.assignment_id)
    assert refused.image_keys == created.image_keys  # the previous image, whole
    assert refused.s3_upload_status is UploadStatus.SUCCESS
    assert refused.image_upload is not None and refused.image_upload.state is UploadState.REJECTED
    assert sorted(container.object_store.list_keys("generated_images/")) == sorted(
        created.image_keys
    )


def test_a_failed_image_is_given_up_with_the_pipelines_sentence(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)
    records = container.image_records
    now = time.time()
    processing = records.get(image_id).moved_to(ImageStatus.PROCESSING, now)
    records.move(processing)
    failure = StageFailure(Stage.RESIZE, "The storage service is unavailable.", 4)
    records.move(processing.moved_to(ImageStatus.FAILED, now, failure=failure))

    failed = container.assignments.get(created.assignment_id)  # settled by reading it
    assert failed.image_upload is not None and failed.image_upload.state is UploadState.FAILED
    assert failed.image_upload.message == "The storage service is unavailable."
    assert not failed.has_image and failed.s3_upload_status is UploadStatus.NO_IMAGE


def test_an_upload_whose_record_is_gone_is_given_up_not_awaited_for_ever(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)
    with container.sqlite.transaction("lose the records") as connection:  # behind our back
        connection.execute("DELETE FROM image_records")
    given_up = container.assignments.get(created.assignment_id)
    assert given_up.image_upload is not None
    assert given_up.image_upload.state is UploadState.FAILED
    assert (
        given_up.image_upload.message == "This image was not found. Please choose the file again."
    )


def test_without_the_event_a_read_adopts_it(
    container: Container, teacher: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    """On AWS no subscriber of the final event is deployed yet: the next read settles."""
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)
    assert container.assignments.get(created.assignment_id).awaits_image  # cached, pending
    monkeypatch.setattr(AssignmentService, "settle_image", lambda self, image_id: None)
    process(container, image_id)
    assert stored(container, created.assignment_id).awaits_image  # nobody told it
    assert container.assignments.peek(created.assignment_id) is None  # no pending copy served
    page = container.assignments.list(teacher_id=teacher.username)
    assert page.items[0].s3_image_key == processed_key(image_id)
    assert (
        container.assignments.get(created.assignment_id).s3_image_key == page.items[0].s3_image_key
    )


def test_a_failing_subscriber_never_fails_the_pipeline(
    container: Container, teacher: Account, monkeypatch: pytest.MonkeyPatch
) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)

    def broken(self: AssignmentService, image_id: str) -> None:
        raise RuntimeError("the assignments database went away")

    monkeypatch.setattr(AssignmentService, "settle_image", broken)
    assert process(container, image_id) is ImageStatus.COMPLETED
    monkeypatch.undo()
    adopted = container.assignments.get(created.assignment_id)
    assert adopted.s3_image_key == processed_key(image_id)


def test_adopting_twice_at_once_adopts_once(container: Container, teacher: Account) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id, image=PHOTO)
    process_without_event(container, image_id)

    def settle(n: int) -> None:
        if n % 2:
            container.assignments.settle_image(image_id)
        else:
            container.assignments.get(created.assignment_id)

    assert run_together(settle, 8) == []
    adopted = stored(container, created.assignment_id)
    assert adopted.s3_image_key == processed_key(image_id) and adopted.image_lock is None
    assert adopted.version == created.version + 2  # one claim with the image, one release
    assert list(container.object_store.list_keys("generated_images/")) == []
    container.assignments.settle_image(image_id)  # again, later: nothing to do
    assert stored(container, created.assignment_id) == adopted


def process_without_event(container: Container, image_id: str) -> None:
    """The record COMPLETED with its outputs, while no assignment has heard of it yet."""
    original = AssignmentService.settle_image
    AssignmentService.settle_image = lambda self, image_id: None  # type: ignore[method-assign]
    try:
        assert process(container, image_id) is ImageStatus.COMPLETED
    finally:
        AssignmentService.settle_image = original  # type: ignore[method-assign]


def test_the_newer_choice_wins_whichever_upload_completes_first(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    older = send(container, teacher, PHOTO, "older.png")
    newer = send(container, teacher, png(gradient(200, 100)), "newer.png")
    service = container.assignments
    service.use_image(teacher, created.assignment_id, upload(older, "older.png"))
    service.use_image(teacher, created.assignment_id, upload(newer, "newer.png"))

    process(container, newer)  # the newer first: adopted
    assert stored(container, created.assignment_id).s3_image_key == processed_key(newer)
    process(container, older)  # the older late: ignored
    final = service.get(created.assignment_id)
    assert final.s3_image_key == processed_key(newer) and final.image_upload is None
    assert final.image_metadata is not None and final.image_metadata.dimensions == "200x100"

    other = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    first = send(container, teacher, PHOTO, "first.png")
    second = send(container, teacher, png(gradient(120, 80)), "second.png")
    service.use_image(teacher, other.assignment_id, upload(first, "first.png"))
    service.use_image(teacher, other.assignment_id, upload(second, "second.png"))
    process(container, first)  # the older first: not what the assignment awaits
    awaited = stored(container, other.assignment_id).image_upload
    assert awaited is not None and (awaited.image_id, awaited.pending) == (second, True)
    process(container, second)
    assert stored(container, other.assignment_id).s3_image_key == processed_key(second)


class ReplacedFirst:
    """The real repository, where a teacher's newer choice lands just before the first
    compare-and-set of the settling (the race a read and a save can run)."""

    def __init__(self, container: Container, teacher: Account, assignment_id: str) -> None:
        self.real = container.repositories.assignments
        self.container = container
        self.teacher = teacher
        self.assignment_id = assignment_id
        self.newer: str | None = None

    def __getattr__(self, name: str) -> object:
        return getattr(self.real, name)

    def replace(self, assignment: Assignment, *, expected_version: int) -> None:
        if self.newer is None and assignment.s3_image_key.startswith("processed/"):
            self.newer = send(self.container, self.teacher, png(gradient(90, 60)), "newer.png")
            current = self.real.get(self.assignment_id)
            self.real.replace(
                current.awaiting(
                    ImageUpload.of(upload(self.newer, "newer.png"), time.time())
                ).next_version(),
                expected_version=current.version,
            )
        self.real.replace(assignment, expected_version=expected_version)


def test_an_older_upload_settling_loses_to_a_newer_choice_saved_meanwhile(
    tmp_path: Path, container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)
    process_without_event(container, image_id)
    racing = ReplacedFirst(container, teacher, created.assignment_id)
    repositories = container.repositories
    hooked = build(
        container.settings,
        repositories=Repositories(
            racing,  # type: ignore[arg-type]
            repositories.answers,
            repositories.accounts,
            repositories.drafts,
        ),
    )
    hooked.assignments.settle_image(image_id)
    after = stored(container, created.assignment_id)
    assert racing.newer is not None
    assert not after.has_image  # the older upload's compare-and-set lost, and it gave way
    assert after.image_upload is not None and after.image_upload.image_id == racing.newer
    assert after.awaits_image


def test_an_edit_from_before_the_adoption_is_no_conflict(
    container: Container, teacher: Account
) -> None:
    image_id = send(container, teacher)
    created = create(container, teacher, awaiting=image_id)
    process(container, image_id)
    edited = container.assignments.edit(
        teacher, created.assignment_id, expected_version=created.version, title="Cells, edited"
    )
    assert edited.title == "Cells, edited"
    assert edited.s3_image_key == processed_key(image_id)  # the adoption kept
    assert edited.content_version == edited.version


def test_removing_the_image_while_one_is_awaited_wins(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    image_id = send(container, teacher)
    container.assignments.use_image(teacher, created.assignment_id, upload(image_id))
    removed = container.assignments.remove_image(teacher, created.assignment_id)
    assert removed.image_upload is None and not removed.has_image
    process(container, image_id)
    assert not container.assignments.get(created.assignment_id).has_image


def test_deleting_keeps_the_pipelines_objects_and_reconcile_stays_clean(
    tmp_path: Path, teacher: Account, container: Container
) -> None:
    image_id = send(container, teacher)
    kept = create(container, teacher, awaiting=image_id)
    process(container, image_id)
    adopted = stored(container, kept.assignment_id)
    later = Reconciler(
        container.object_store,
        container.repositories.assignments,
        drafts=container.repositories.drafts,
        clock=FakeClock(time.time() + 7200),
    )
    findings = later.find()
    assert findings.clean and findings.too_recent == ()  # neither orphans nor dangling
    container.object_store.delete(adopted.s3_image_key)
    assert later.find().dangling == (
        DanglingRecord(kept.assignment_id, "teacher1", adopted.s3_image_key),
    )
    container.assignments.delete(teacher, kept.assignment_id)
    assert sorted(container.object_store.list_keys("thumbnails/")) == sorted(
        adopted.thumbnail_keys
    )  # the image record's, which still names them


def test_the_rest_apis_own_image_is_sent_and_awaited_in_one_call(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    awaiting = container.assignments.upload_image(
        teacher, created.assignment_id, PHOTO, file_name="C:\\photos\\cat.png"
    )
    assert awaiting.image_upload is not None and awaiting.awaits_image
    assert awaiting.image_upload.label == "Your image: cat.png"
    container.worker().run(drain=True)
    assert container.assignments.get(created.assignment_id).has_image


def test_a_draft_keeps_the_upload_not_its_bytes(container: Container, teacher: Account) -> None:
    image_id = send(container, teacher)
    generated = ChosenImage(
        container.assignments.generate_image(teacher, TEXT), "Offline illustration"
    )
    first = container.drafts.save(
        teacher, title="", text=TEXT, questions=[], image=generated, expected_version=NO_DRAFT
    )
    assert first.image is not None
    chosen = OwnImage(image_id, "Your image: cat.png")
    second = container.drafts.save(
        teacher,
        title="",
        text=TEXT,
        questions=[],
        image=generated,  # kept to fall back on
        upload=chosen,
        expected_version=first.version,
    )
    assert second.image == first.image and second.upload == chosen
    loaded = container.drafts.load(teacher)
    assert loaded is not None and loaded.draft.upload == chosen
    assert loaded.image is not None and loaded.image.data == generated.data
    container.drafts.save(
        teacher, title="", text=TEXT, questions=[], image=None, upload=chosen, expected_version=2
    )
    assert list(container.object_store.list_keys("drafts/")) == []  # nothing left behind
    container.drafts.discard(teacher)
    assert container.drafts.load(teacher) is None


@pytest.fixture
def without_pipeline(tmp_path: Path) -> Container:
    settings = load_settings(storage="local", data_dir=tmp_path / "data", generators="offline")
    built = build(settings)
    built.accounts.register("teacher9", PASSWORD, Role.TEACHER)
    return built


def test_a_service_built_without_the_pipeline_says_so(without_pipeline: Container) -> None:
    teacher = without_pipeline.accounts.login("teacher9", PASSWORD).account
    base = without_pipeline.assignments
    bare = AssignmentService(
        base.assignments, base.answers, base.images, base.generation, base.clock
    )
    with pytest.raises(ConfigurationError) as caught:
        bare.send_image(teacher, PHOTO, file_name="cat.png")
    assert caught.value.user_message == "Own images cannot be processed here."
