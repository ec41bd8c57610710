"""Thumbnail keys: whose they are, what size, and which one a list shows."""

from __future__ import annotations

from dataclasses import replace

import pytest

from eduportal.domain.assignments import Assignment, QuestionAnswer
from eduportal.domain.keys import (
    generated_image_owner,
    generated_thumbnail_key,
    thumbnail_key,
    thumbnail_size,
)

ID = "0001700000000-abc123"


@pytest.mark.parametrize(
    ("key", "owner"),
    [
        (f"generated_images/{ID}.webp", ID),
        (f"generated_images/{ID}.png", ID),
        (f"generated_images/{ID}/256.webp", ID),
        (f"generated_images/{ID}/256.png", ID),  # its PNG variant (issue 11)
        (f"generated_images/{ID}/256.gif", None),
        (f"generated_images/{ID}/big.webp", None),
        (f"generated_images/{ID}/0.webp", None),
        ("generated_images/copied-by-hand/photo.png", None),
        (f"processed/{ID}.webp", None),
        (f"thumbnails/{ID}/256.webp", None),
    ],
)
def test_the_owner_of_a_generated_image_or_its_thumbnail(key: str, owner: str | None) -> None:
    assert generated_image_owner(key) == owner


def test_thumbnail_sizes_are_read_from_both_kinds_of_key() -> None:
    assert generated_thumbnail_key(ID, 128) == f"generated_images/{ID}/128.webp"
    assert thumbnail_size(generated_thumbnail_key(ID, 128)) == 128
    assert thumbnail_size(thumbnail_key("img-1", 256)) == 256
    assert thumbnail_size(f"generated_images/{ID}.webp") is None
    assert thumbnail_size("processed/img-1.webp") is None
    assert thumbnail_size("drafts/abc/256.webp") is None


def test_a_list_shows_the_smallest_thumbnail_sharp_on_a_dense_screen() -> None:
    assignment = Assignment(
        assignment_id=ID,
        teacher_id="t",
        prompt="Text.",
        question_answers=(QuestionAnswer("q1", "Q?", "A."),),
        s3_image_key="processed/img-1.webp",
        thumbnail_keys=(thumbnail_key("img-1", 128), thumbnail_key("img-1", 256)),
    )
    assert assignment.thumbnail_for(96) == thumbnail_key("img-1", 256)  # 192 device pixels
    assert assignment.thumbnail_for(60) == thumbnail_key("img-1", 128)
    assert assignment.thumbnail_for(96, density=1) == thumbnail_key("img-1", 128)
    assert assignment.thumbnail_for(360) == "processed/img-1.webp"  # none is large enough
    assert replace(assignment, thumbnail_keys=()).thumbnail_for(96) == "processed/img-1.webp"
    assert assignment.own_image_keys == ()  # the image record's, not the assignment's
