"""The pages paint each stored image's placeholder in its box (issue 11, "Instant paints"):
the student's and the teacher's assignment, the list's thumbnails; images stored before
previews, and previews with transparency, are shown as before. The browser's rendering of the
rule is checked in tests/e2e/test_placeholders_in_chromium.py."""

from __future__ import annotations

from dataclasses import replace

from PIL import Image
from streamlit.testing.v1 import AppTest

from eduportal.imaging.lqip import placeholder_of
from eduportal.wiring import Container
from tests.support.fixture_types import PageFactory
from tests.support.images import gradient
from tests.support.pages import make_assignment

ANSWER = "views/answer.py"
LIST = "views/assignments.py"


def preview_rules(app: AppTest) -> list[str]:
    """The pages' preview rules, one per image painted."""
    bodies = [element.proto.body for element in app.get("html")]
    return [body for body in bodies if ".st-key-preview_" in body]


def with_placeholder(container: Container, assignment_id: str, placeholder: str | None) -> None:
    """The assignment's figures as stored by an eduportal that made this placeholder."""
    repository = container.repositories.assignments
    stored = repository.get(assignment_id)
    assert stored.image_metadata is not None
    figures = replace(stored.image_metadata, placeholder=placeholder)
    repository.replace(replace(stored, image_metadata=figures), expected_version=stored.version)


def test_each_image_has_its_preview_rule_in_its_proportions(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=True)
    figures = container.repositories.assignments.get(assignment_id).image_metadata
    assert figures is not None and figures.placeholder is not None
    width, height = figures.dimensions.split("x")
    app = open_page(ANSWER, user="student1", query={"assignment": assignment_id})
    (rule,) = preview_rules(app)
    assert f"aspect-ratio:auto {width}/{height}" in rule
    assert figures.placeholder in rule  # inside the SVG that blurs it
    assert "feGaussianBlur" in rule and "<svg" not in rule  # escaped for the sanitizer
    assert not app.exception

    teacher = open_page(LIST, user="teacher1", query={"assignment": assignment_id})
    assert len(preview_rules(teacher)) == 1 and not teacher.exception
    listing = open_page(LIST, user="teacher1")
    (thumbnail,) = preview_rules(listing)
    assert figures.placeholder in thumbnail and not listing.exception


def test_an_image_stored_before_previews_is_shown_as_before(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=True)
    with_placeholder(container, assignment_id, None)
    app = open_page(ANSWER, user="student1", query={"assignment": assignment_id})
    assert preview_rules(app) == []
    assert len(app.get("image")) == 1 and not app.exception


def test_a_missing_image_shows_the_unavailable_picture_as_before(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=True)
    stored = container.repositories.assignments.get(assignment_id)
    container.image_store.delete(stored.s3_image_key)  # gone, and out of the pages' cache
    app = open_page(ANSWER, user="student1", query={"assignment": assignment_id})
    assert preview_rules(app) == []
    assert len(app.get("image")) == 1 and not app.exception


def test_a_preview_with_transparency_is_not_painted_under_its_image(
    open_page: PageFactory, container: Container
) -> None:
    assignment_id = make_assignment(container, with_image=True)
    see_through = gradient(40, 30, "RGBA")
    see_through.putalpha(Image.linear_gradient("L").resize((40, 30)))
    with_placeholder(container, assignment_id, placeholder_of(see_through))
    app = open_page(ANSWER, user="student1", query={"assignment": assignment_id})
    assert preview_rules(app) == []
    assert len(app.get("image")) == 1 and not app.exception
