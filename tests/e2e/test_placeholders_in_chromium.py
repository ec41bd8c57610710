"""Instant paints in Chromium, on a desktop and on a phone (issue 11): while the image itself is
held back, its box already has the image's proportions and paints the blurred placeholder;
when the image arrives it takes the same box, so nothing below it moves.

Screenshots go to `test-artifacts/e2e/` (61-62, one pair per screen size).
"""

from __future__ import annotations

from playwright.sync_api import Page, Route, expect

from tests.support.browser import Portal, api_client, assert_no_crash, settled, shot, sign_in
from tests.support.portal_api import create_assignment
from tests.support.texts import HISTORY


def is_media(url: str) -> bool:
    """An image the page shows (Streamlit serves them under `/media/`), not its fonts."""
    return "/media/" in url and "/static/" not in url


def test_the_placeholder_paints_the_images_box_until_the_image_arrives(
    page: Page, portal: Portal, size: str
) -> None:
    with api_client(portal, "teacher") as teacher:
        created = create_assignment(
            teacher, text=HISTORY, title=f"Magna Carta ({size})", with_image=True
        )
    figures = created["image_metadata"]
    width, height = (int(side) for side in figures["dimensions"].split("x"))
    encoded = figures["placeholder"].removeprefix("data:image/webp;base64,")
    sign_in(page, portal, "student")

    held: list[Route] = []

    def hold(route: Route) -> None:
        held.append(route)

    page.route(is_media, hold)
    page.goto(f"{portal.ui}/?assignment={created['assignment_id']}", wait_until="commit")
    image = page.get_by_role("img", name=created["image_alt"])  # the API's alt text
    expect(image).to_be_visible()
    settled(page)
    style = image.evaluate(
        "e => ({background: getComputedStyle(e).backgroundImage,"
        " ratio: getComputedStyle(e).aspectRatio, arrived: e.naturalWidth})"
    )
    assert style["arrived"] == 0 and held  # the image is still on its way
    assert style["ratio"] == f"auto {width} / {height}"
    assert (
        style["background"].startswith('url("data:image/svg+xml') and encoded in style["background"]
    )
    box = image.bounding_box()
    assert box is not None and abs(box["height"] - box["width"] * height / width) <= 1
    below = page.get_by_text("Question 1 of 5").bounding_box()
    shot(page, f"61-placeholder-painted-{size}")

    for route in held:
        route.continue_()
    page.unroute(is_media, hold)
    page.wait_for_function(
        "([e, width]) => e.complete && e.naturalWidth === width",
        arg=[image.element_handle(), width],
    )
    assert image.bounding_box() == box  # the image takes the box it was given
    assert page.get_by_text("Question 1 of 5").bounding_box() == below
    shot(page, f"62-image-arrived-{size}")
    assert_no_crash(page)
