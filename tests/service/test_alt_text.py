"""Alt text kept on the assignment: described when the image comes, edited by the teacher,
kept or renewed as the image changes."""

from __future__ import annotations

from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from eduportal.adapters.aws.bedrock import BedrockImageDescriber
from eduportal.adapters.local.offline_describer import OfflineImageDescriber
from eduportal.domain.accounts import Account
from eduportal.domain.alt_text import MAX_ALT_CHARS, ImageContext, ImageOrigin
from eduportal.domain.assignments import Assignment, OwnImage
from eduportal.domain.errors import ValidationError
from eduportal.services.assignments import AssignmentService, own_image_label
from eduportal.services.generation import GenerationService
from eduportal.wiring import Container
from tests.support.images import photograph, png
from tests.support.texts import TEXT

EDITED = "A mitochondrion drawn in cross-section, with its folded inner membrane."


def offline_sentence(assignment: Assignment, origin: ImageOrigin = ImageOrigin.GENERATED) -> str:
    context = ImageContext(
        assignment.title,
        assignment.prompt,
        tuple(qa.answer for qa in assignment.question_answers),
        origin,
    )
    return OfflineImageDescriber(posters=True).describe(b"", context)


def test_an_assignment_made_from_a_text_gets_its_images_description(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    assert created.image_alt == offline_sentence(created)
    assert created.image_alt.startswith("Poster naming ") and not created.image_alt_edited
    assert container.assignments.get(created.assignment_id).image_alt == created.image_alt


def test_without_an_image_there_is_no_description(container: Container, teacher: Account) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=False)
    assert created.image_alt is None
    with pytest.raises(ValidationError) as refused:
        container.assignments.edit(
            teacher, created.assignment_id, expected_version=1, image_alt=EDITED
        )
    assert refused.value.user_message == "This assignment has no image to describe."


def test_the_create_page_saves_the_description_it_showed(
    container: Container, teacher: Account
) -> None:
    service = container.assignments
    questions = service.generate_questions(teacher, TEXT)
    image = service.generate_image(teacher, TEXT)
    shown = service.describe_image(
        teacher,
        image,
        text=TEXT,
        title="Cells",
        question_answers=[(qa.question, qa.answer) for qa in questions],
    )
    created = service.create(
        teacher,
        TEXT,
        questions,
        image,
        title="Cells",
        image_alt=f"  {EDITED}\n",
        image_alt_edited=True,
    )
    assert shown.endswith("key terms of “Cells”.")
    assert (created.image_alt, created.image_alt_edited) == (EDITED, True)


def test_a_teachers_edit_is_kept_when_the_illustration_is_regenerated(
    container: Container, teacher: Account
) -> None:
    service = container.assignments
    created = service.create_from_text(teacher, TEXT, with_image=True)
    edited = service.edit(
        teacher, created.assignment_id, expected_version=created.version, image_alt=EDITED
    )
    assert (edited.image_alt, edited.image_alt_edited) == (EDITED, True)
    assert edited.version == created.version + 1

    replaced = service.replace_image(teacher, created.assignment_id, png(photograph("coffee")))
    assert (replaced.image_alt, replaced.image_alt_edited) == (EDITED, True)


def test_a_description_not_edited_is_renewed_and_a_cleared_one_described_again(
    container: Container, teacher: Account
) -> None:
    service = container.assignments
    created = service.create_from_text(teacher, TEXT, with_image=True)
    retitled = service.edit(
        teacher, created.assignment_id, expected_version=created.version, title="Powerhouses"
    )
    replaced = service.replace_image(teacher, created.assignment_id, png(photograph("coffee")))
    assert replaced.image_alt == offline_sentence(retitled)
    assert "“Powerhouses”" in (replaced.image_alt or "")

    edited = service.edit(
        teacher, created.assignment_id, expected_version=replaced.version, image_alt=EDITED
    )
    cleared = service.edit(
        teacher, created.assignment_id, expected_version=edited.version, image_alt="  "
    )
    assert (cleared.image_alt, cleared.image_alt_edited) == (None, False)
    again = service.replace_image(teacher, created.assignment_id, png(photograph("coffee")))
    assert again.image_alt == offline_sentence(retitled) and not again.image_alt_edited


def test_saving_the_same_description_changes_nothing(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    same = container.assignments.edit(
        teacher, created.assignment_id, expected_version=1, image_alt=created.image_alt
    )
    assert same == created and not same.image_alt_edited


def test_a_description_over_the_limit_is_refused_and_nothing_saved(
    container: Container, teacher: Account
) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    with pytest.raises(ValidationError) as refused:
        container.assignments.edit(
            teacher,
            created.assignment_id,
            expected_version=1,
            image_alt="x" * (MAX_ALT_CHARS + 1),
        )
    assert refused.value.user_message.startswith(
        f"An image description has at most {MAX_ALT_CHARS} characters"
    )
    assert container.assignments.get(created.assignment_id) == created


def test_removing_the_image_removes_its_description(container: Container, teacher: Account) -> None:
    created = container.assignments.create_from_text(teacher, TEXT, with_image=True)
    removed = container.assignments.remove_image(teacher, created.assignment_id)
    assert (removed.image_alt, removed.image_alt_edited) == (None, False)


def test_an_own_image_is_described_when_sent_and_its_description_adopted_with_it(
    container: Container, teacher: Account
) -> None:
    service = container.assignments
    created = service.create_from_text(teacher, TEXT, with_image=True)
    awaiting = service.upload_image(
        teacher, created.assignment_id, png(photograph("chelsea")), file_name="cat.png"
    )
    assert awaiting.image_upload is not None
    own = offline_sentence(created, ImageOrigin.UPLOADED)
    assert awaiting.image_upload.alt == own
    assert awaiting.image_alt == created.image_alt  # the image shown meanwhile keeps its own
    container.worker().run(drain=True)
    adopted = service.get(created.assignment_id)
    assert adopted.s3_image_key.startswith("processed/")
    assert (adopted.image_alt, adopted.image_alt_edited) == (own, False)


def test_an_own_image_saved_from_the_create_page_gets_the_description_shown(
    container: Container, teacher: Account
) -> None:
    service = container.assignments
    record = service.send_image(teacher, png(photograph("chelsea")), file_name="cat.png")
    chosen = OwnImage(record.image_id, own_image_label("cat.png"), "Described when sent.")
    questions = service.generate_questions(teacher, TEXT)
    created = service.create(teacher, TEXT, questions, upload=chosen, image_alt=EDITED)
    assert created.image_upload is not None and created.image_upload.alt == EDITED
    container.worker().run(drain=True)
    assert service.get(created.assignment_id).image_alt == EDITED


def test_on_bedrock_the_optimized_image_is_described_by_nova_in_the_create_step(
    container: Container, teacher: Account
) -> None:
    client = boto3.client("bedrock-runtime", region_name="us-east-1")
    base = container.assignments
    generation = GenerationService(
        base.generation.question_generator, base.generation.illustrator, container.object_store,
        container.attempts, container.metrics,
        describer=BedrockImageDescriber(client, OfflineImageDescriber(posters=False)),
    )  # fmt: skip
    service = AssignmentService(base.assignments, base.answers, base.images, generation, base.clock)
    reply: dict[str, Any] = {
        "output": {"message": {"role": "assistant", "content": [{"text": EDITED}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    webp = WebpSource()
    expected = {
        "modelId": ANY,
        "messages": [
            {"role": "user", "content": [{"image": {"format": "webp", "source": webp}}, ANY]}
        ],
        "inferenceConfig": ANY,
    }
    with Stubber(client) as stubber:
        stubber.add_response("converse", reply, expected)
        created = service.create_from_text(teacher, TEXT, with_image=True)
        stubber.assert_no_pending_responses()
    assert (created.image_alt, created.image_alt_edited) == (EDITED, False)
    stored = container.object_store.get(created.s3_image_key).data
    assert webp.seen == {"bytes": stored}


class WebpSource:
    """Equal to an image source of WebP bytes; keeps it."""

    seen: Any = None

    def __eq__(self, other: object) -> bool:
        self.seen = other
        data = other.get("bytes") if isinstance(other, dict) else None
        return isinstance(data, bytes) and data[8:12] == b"WEBP"

    __hash__ = None  # type: ignore[assignment]
