"""Creating, editing and deleting assignments, and the all-or-nothing guarantees."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from eduportal.adapters.local.sqlite_db import SqliteDatabase
from eduportal.adapters.local.sqlite_repositories import SqliteAssignmentRepository
from eduportal.domain.accounts import Account
from eduportal.domain.errors import (
    ForbiddenError,
    GenerationError,
    NotFoundError,
    StorageUnavailableError,
    UploadError,
    ValidationError,
)
from eduportal.domain.images import Lifecycle, UploadStatus
from eduportal.domain.keys import NO_IMAGE
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.ports import AssignmentRepository, ImageGenerator
from eduportal.services.assignments import AssignmentService, Step
from eduportal.services.generation import GenerationService
from eduportal.services.image_store import ImageStore
from eduportal.wiring import Container
from tests.support.bedrock import nova
from tests.support.fault_proxy import INTERNAL_ERROR, FaultProxy
from tests.support.fixture_types import S3StoreFactory
from tests.support.generators import FailingIllustrator, owned_keys
from tests.support.images import photograph, png
from tests.support.texts import HISTORY, SCIENCE, TEXT


def test_generate_then_save_with_image(container: Container, teacher: Account) -> None:
    service = container.assignments
    questions = service.generate_questions(teacher, TEXT)
    assert [qa.id for qa in questions] == ["q1", "q2", "q3", "q4", "q5"]
    image = service.generate_image(teacher, TEXT)
    steps: list[Step] = []
    created = service.create(teacher, TEXT, questions, image, steps.append)

    assert steps == [Step.OPTIMIZING, Step.DESCRIBING, Step.UPLOADING, Step.SAVING]
    assert created.s3_image_key == f"generated_images/{created.assignment_id}.webp"
    assert created.s3_upload_status is UploadStatus.SUCCESS and created.s3_upload_attempts == 1
    assert created.image_metadata is not None and created.image_metadata.format == "webp"
    assert created.cloudfront_url and created.cloudfront_url.startswith(
        "http://127.0.0.1:8000/images/generated_images/"
    )
    assert service.get(created.assignment_id) == created
    assert container.image_store.fetch(created.s3_image_key).content_type == "image/webp"


def test_the_stored_document_has_the_design_fields_a_version_and_a_lock(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    assert set(created.to_document()) == {
        "assignment_id", "teacher_id", "prompt", "question_answers", "s3_image_key",
        "cloudfront_url", "image_metadata", "s3_upload_status", "s3_upload_attempts",
        "created_at", "title", "version", "image_lock", "subject", "last_question_number",
        "thumbnail_keys", "image_upload", "content_version", "image_alt", "image_alt_edited",
    }  # fmt: skip
    assert set(created.to_document()["image_metadata"]) == {
        "original_size_bytes", "optimized_size_bytes", "compression_ratio", "format",
        "dimensions", "quality", "mode", "ssim",  # the design's five, and how it was encoded
        "placeholder",  # and its preview
    }  # fmt: skip


def test_without_an_image_the_sentinel_is_stored(container: Container, teacher: Account) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    assert created.s3_image_key == NO_IMAGE
    assert created.s3_upload_status is UploadStatus.NO_IMAGE
    assert created.cloudfront_url is None and created.image_metadata is None
    assert list(container.object_store.list_keys()) == []


def test_students_cannot_create_edit_or_delete(
    container: Container, teacher: Account, student: Account
) -> None:
    service = container.assignments
    created = service.create_from_text(teacher, TEXT, with_image=False)
    questions = list(created.question_answers)
    with pytest.raises(ForbiddenError):
        service.create(student, TEXT, questions)
    with pytest.raises(ForbiddenError):
        service.delete(student, created.assignment_id)
    with pytest.raises(ForbiddenError):
        service.update_questions(student, created.assignment_id, questions)
    with pytest.raises(ForbiddenError):
        service.replace_image(student, created.assignment_id, png(photograph("chelsea")))


def test_only_the_owner_changes_an_assignment(
    container: Container, teacher: Account, other_teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    with pytest.raises(ForbiddenError):
        container.assignments.delete(other_teacher, created.assignment_id)
    with pytest.raises(ForbiddenError):
        container.assignments.mark_image_permanent(other_teacher, created.assignment_id)
    assert container.assignments.get(created.assignment_id) == created


def test_delete_removes_record_answers_and_image(
    container: Container, teacher: Account, student: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    container.grading.answer(student, created.assignment_id, "q1", "an answer")
    container.assignments.delete(teacher, created.assignment_id)
    with pytest.raises(NotFoundError):
        container.assignments.get(created.assignment_id)
    assert owned_keys(container.object_store) == []
    assert container.repositories.answers.leaderboard(created.assignment_id, "q1", 5) == []


def test_edit_questions_and_replace_the_image(container: Container, teacher: Account) -> None:
    service = container.assignments
    created = service.create_from_text(teacher, TEXT, with_image=True)
    edited = [replace(qa, answer=qa.answer + " (edited)") for qa in created.question_answers]
    updated = service.update_questions(teacher, created.assignment_id, edited)
    assert service.get(created.assignment_id).question_answers == updated.question_answers

    replaced = service.replace_image(teacher, created.assignment_id, png(photograph("coffee")))
    assert replaced.s3_image_key == created.s3_image_key
    assert replaced.cloudfront_url != created.cloudfront_url  # new ?v=: caches see the change
    assert replaced.image_metadata != created.image_metadata
    assert owned_keys(container.object_store) == sorted(created.image_keys)
    assert replaced.image_keys == created.image_keys  # the thumbnails made again in place


def test_mark_permanent(container: Container, teacher: Account) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    container.assignments.mark_image_permanent(teacher, created.assignment_id)
    assert container.object_store.get_lifecycle(created.s3_image_key) is Lifecycle.PERMANENT
    bare = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    with pytest.raises(ValidationError):
        container.assignments.mark_image_permanent(teacher, bare.assignment_id)


def test_a_refused_image_saves_nothing(container: Container, teacher: Account) -> None:
    questions = container.assignments.generate_questions(teacher, TEXT)
    with pytest.raises(ValidationError):
        container.assignments.create(teacher, TEXT, questions, b"<html>not an image</html>")
    assert container.assignments.list().total == 0
    assert list(container.object_store.list_keys()) == []


def rewired(
    container: Container,
    *,
    images: ImageStore | None = None,
    assignments: AssignmentRepository | None = None,
    illustrator: ImageGenerator | None = None,
) -> AssignmentService:
    """The container's service with one collaborator swapped for a failing one."""
    service = container.assignments
    generation = service.generation
    if illustrator is not None:
        generation = GenerationService(
            generation.question_generator,
            illustrator,
            generation.cache,
            generation.attempts,
            generation.metrics,
            describer=generation.describer,
        )
    return AssignmentService(
        assignments or service.assignments,
        service.answers,
        images or service.images,
        generation,
        service.clock,
    )


def test_a_generator_failure_saves_nothing(container: Container, teacher: Account) -> None:
    failing = rewired(container, illustrator=FailingIllustrator())
    with pytest.raises(GenerationError):
        failing.create_from_text(teacher, TEXT, with_image=True)
    assert container.assignments.list().total == 0
    assert list(container.object_store.list_keys()) == []


@pytest.mark.slow
def test_an_upload_failing_after_retries_saves_nothing_and_allows_saving_without_image(
    container: Container,
    teacher: Account,
    make_s3_store: S3StoreFactory,
    fault_proxy: FaultProxy,
) -> None:
    s3_images = ImageStore(
        make_s3_store(endpoint=fault_proxy.url),
        ImageOptimizer(),
        PrometheusMetrics(),
        public_url="http://x",
    )
    service = rewired(container, images=s3_images)
    questions = service.generate_questions(teacher, TEXT)

    # The image and its two thumbnails are written side by side: S3 fails all their attempts.
    fault_proxy.inject(*[INTERNAL_ERROR] * 4 * 3)
    with pytest.raises(UploadError) as caught:
        service.create(teacher, TEXT, questions, service.generate_image(teacher, TEXT))
    assert caught.value.attempts == 4
    assert service.list().total == 0
    assert list(make_s3_store().list_keys()) == []

    saved = service.create(teacher, TEXT, questions, image=None)
    assert saved.s3_image_key == NO_IMAGE and service.list().total == 1


def test_a_database_failure_removes_the_uploaded_image(
    container: Container, teacher: Account, tmp_path: Path
) -> None:
    locked_path = tmp_path / "locked.db"
    repository = SqliteAssignmentRepository(SqliteDatabase(locked_path, busy_timeout_seconds=0.1))
    repository.check()
    blocker = sqlite3.connect(locked_path)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StorageUnavailableError):
            rewired(container, assignments=repository).create_from_text(
                teacher, TEXT, with_image=True
            )
    finally:
        blocker.rollback()
        blocker.close()
    assert owned_keys(container.object_store) == []
    assert repository.count() == 0


def test_listing_is_paginated_newest_first(container: Container, teacher: Account) -> None:
    created = [
        container.assignments.create_from_text(teacher, f"{TEXT} Version {n}.", with_image=False)
        for n in range(3)
    ]
    page = container.assignments.list(limit=2, offset=0)
    assert page.total == 3
    assert [a.assignment_id for a in page.items] == [
        created[2].assignment_id,
        created[1].assignment_id,
    ]
    assert [a.assignment_id for a in container.assignments.list(limit=2, offset=2).items] == [
        created[0].assignment_id
    ]
    with pytest.raises(ValidationError):
        container.assignments.list(limit=0)


def test_a_malformed_bedrock_reply_saves_nothing(container: Container, teacher: Account) -> None:
    import boto3
    from botocore.stub import Stubber

    from eduportal.adapters.aws.bedrock import BedrockQuestionGenerator

    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    service = container.assignments
    generation = GenerationService(
        BedrockQuestionGenerator(client), service.generation.illustrator, container.object_store,
        container.attempts, container.metrics, describer=service.generation.describer,
    )  # fmt: skip
    bedrock = AssignmentService(
        service.assignments, service.answers, service.images, generation, service.clock
    )
    with Stubber(client) as stubber:
        stubber.add_response("invoke_model", nova("Sorry, I can't help with that."))
        with pytest.raises(GenerationError) as caught:
            bedrock.create_from_text(teacher, TEXT, with_image=True)
        stubber.assert_no_pending_responses()
    assert "Sorry" not in caught.value.user_message
    assert service.list().total == 0
    assert list(container.object_store.list_keys()) == []


@pytest.mark.parametrize("text", [TEXT, SCIENCE, HISTORY])
def test_a_generated_illustration_is_stored_as_its_png_would_be(
    container: Container, teacher: Account, text: str
) -> None:
    """Creating from a text takes the offline poster as pixels, without the PNG round trip,
    and overlaps the work; what is stored is what storing the generator's PNG stores, byte
    for byte: the image, its thumbnails, their metadata and the recorded figures."""
    created = container.assignments.create_from_text(teacher, text, with_image=True)
    png_bytes = container.assignments.generate_image(teacher, text)
    reference = container.image_store.store_generated(
        "reference1", png_bytes, teacher_id="teacher1"
    )
    assert created.image_metadata == reference.figures
    assert created.image_metadata is not None
    assert created.image_metadata.original_size_bytes == len(png_bytes)
    keys = (created.s3_image_key, *created.thumbnail_keys)
    reference_keys = (reference.key, *reference.thumbnail_keys)
    assert [key.replace(created.assignment_id, "reference1") for key in keys] == list(
        reference_keys
    )
    per_assignment = {"assignment-id", "created-at"}
    for key, reference_key in zip(keys, reference_keys, strict=True):
        stored, expected = (
            container.object_store.get(key),
            container.object_store.get(reference_key),
        )
        assert stored.data == expected.data
        assert (stored.content_type, stored.cache_control) == (
            expected.content_type,
            expected.cache_control,
        )
        assert {k: v for k, v in stored.metadata.items() if k not in per_assignment} == {
            k: v for k, v in expected.metadata.items() if k not in per_assignment
        }
