"""Issue 11 through the origin: one image URL answers AVIF, WebP or JPEG by the client's
`Accept`, before and after its variants exist, with `Vary: Accept`, the right `Content-Type`
and an ETag (and 304) per representation; the generated-image path makes the variants in the
background."""

from __future__ import annotations

import time

import httpx
import pytest

from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL
from eduportal.domain.keys import variant_key
from eduportal.services.image_delivery import STAND_IN_CACHE_CONTROL
from tests.support.api_server import Api
from tests.support.images import decode, photograph, png
from tests.support.portal_api import create_assignment

CHROME = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"
EDGE_18 = "image/webp,image/apng,image/*,*/*;q=0.8"
SAFARI_13 = "image/png,image/svg+xml,image/*;q=0.8,video/*;q=0.8,*/*;q=0.5"
CURL = "*/*"


def fetch(client: httpx.Client, key: str, accept: str | None, **headers: str) -> httpx.Response:
    sent = dict(headers)
    if accept is not None:
        sent["Accept"] = accept
    return client.get(f"/images/{key}", headers=sent)


def format_of(response: httpx.Response) -> str | None:
    return decode(response.content).format


@pytest.fixture(scope="module")
def photo_key(api: Api) -> str:
    """A photograph stored as an illustration, without the save flow: no variants yet."""
    stored = api.container.image_store.store_generated(
        "0001700000000-photo1", png(photograph("chelsea")), teacher_id="teacher1"
    )
    return stored.key


def test_before_its_variants_exist_avif_clients_get_webp_and_old_browsers_a_jpeg(
    anonymous: httpx.Client, photo_key: str
) -> None:
    for accept in (CHROME, EDGE_18, CURL, None):
        response = fetch(anonymous, photo_key, accept)
        assert response.status_code == 200
        assert response.headers["content-type"] == "image/webp"
        assert format_of(response) == "WEBP"
        assert response.headers["vary"] == "Accept"
    # The AVIF client got a stand-in: asked again soon, so it sees the AVIF once made.
    assert fetch(anonymous, photo_key, CHROME).headers["cache-control"] == STAND_IN_CACHE_CONTROL
    assert fetch(anonymous, photo_key, EDGE_18).headers["cache-control"] == IMMUTABLE_CACHE_CONTROL

    legacy = fetch(anonymous, photo_key, SAFARI_13)
    assert legacy.status_code == 200
    assert legacy.headers["content-type"] == "image/jpeg"
    assert format_of(legacy) == "JPEG"  # never WebP to a browser that cannot decode it
    assert legacy.headers["vary"] == "Accept"
    assert legacy.headers["cache-control"] == STAND_IN_CACHE_CONTROL
    webp_etag = fetch(anonymous, photo_key, EDGE_18).headers["etag"]
    assert legacy.headers["etag"] != webp_etag
    again = fetch(anonymous, photo_key, SAFARI_13, **{"If-None-Match": legacy.headers["etag"]})
    assert again.status_code == 304 and again.headers["vary"] == "Accept"


def test_after_its_variants_exist_each_client_gets_its_own_with_its_own_etag(
    api: Api, anonymous: httpx.Client, photo_key: str
) -> None:
    made = api.container.image_variants.make(photo_key)
    assert made.error is None
    assert set(made.written) == {variant_key(photo_key, "avif"), variant_key(photo_key, "jpg")}

    answers = {
        accept: fetch(anonymous, photo_key, accept) for accept in (CHROME, EDGE_18, SAFARI_13)
    }
    expected = {CHROME: "image/avif", EDGE_18: "image/webp", SAFARI_13: "image/jpeg"}
    for accept, response in answers.items():
        assert response.status_code == 200
        assert response.headers["content-type"] == expected[accept]
        assert response.headers["vary"] == "Accept"
        assert response.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
    assert format_of(answers[CHROME]) == "AVIF"
    assert len(answers[CHROME].content) < len(answers[EDGE_18].content)
    etags = {response.headers["etag"] for response in answers.values()}
    assert len(etags) == 3
    for accept, response in answers.items():
        etag = response.headers["etag"]
        revalidated = fetch(anonymous, photo_key, accept, **{"If-None-Match": etag})
        assert revalidated.status_code == 304
        assert revalidated.headers["etag"] == etag
        assert revalidated.headers["vary"] == "Accept"
    # Another representation's tag is not this one's: the body is sent.
    assert (
        fetch(
            anonymous, photo_key, CHROME, **{"If-None-Match": answers[EDGE_18].headers["etag"]}
        ).status_code
        == 200
    )


def test_a_variant_key_serves_the_variant_or_the_best_existing_briefly(
    api: Api, anonymous: httpx.Client
) -> None:
    key = api.container.image_store.store_generated(
        "0001700000000-photo2", png(photograph("coffee")), teacher_id="teacher1"
    ).key
    avif_key = variant_key(key, "avif")
    jpg_key = variant_key(key, "jpg")
    early = fetch(anonymous, avif_key, None)  # what the CDN fails over to, Accept not forwarded
    assert early.headers["content-type"] == "image/webp"
    assert early.headers["cache-control"] == STAND_IN_CACHE_CONTROL
    assert "vary" not in early.headers  # the key, not Accept, chose it
    early_jpg = fetch(anonymous, jpg_key, None)
    assert early_jpg.headers["content-type"] == "image/jpeg"
    assert early_jpg.headers["cache-control"] == STAND_IN_CACHE_CONTROL

    api.container.image_variants.make(key)
    late = fetch(anonymous, avif_key, None)
    assert late.headers["content-type"] == "image/avif"
    assert late.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL
    assert fetch(anonymous, jpg_key, None).headers["content-type"] == "image/jpeg"


def test_a_missing_image_is_the_placeholder_with_vary(anonymous: httpx.Client) -> None:
    response = fetch(anonymous, "generated_images/0001700000000-none00.webp", CHROME)
    assert response.status_code == 404
    assert response.headers["vary"] == "Accept"
    assert response.headers["cache-control"] == "no-store"


def test_a_saved_illustration_gets_its_variants_in_the_background(
    api: Api, teacher: httpx.Client, anonymous: httpx.Client
) -> None:
    created = create_assignment(teacher, with_image=True)
    key = created["s3_image_key"]
    images = (key, *created["thumbnail_keys"])
    store = api.container.object_store

    def fallbacks() -> list[str]:
        """Each image's JPEG or PNG: every `make` that succeeds writes one."""
        return [
            variant
            for image in images
            for variant in (variant_key(image, "jpg"), variant_key(image, "png"))
            if list(store.list_keys(variant))
        ]

    deadline = time.monotonic() + 60
    while len(fallbacks()) < len(images):
        assert time.monotonic() < deadline, f"variants not made in 60 s: {fallbacks()}"
        time.sleep(0.2)
    legacy = fetch(anonymous, key, SAFARI_13)
    assert legacy.headers["content-type"] in {"image/jpeg", "image/png"}
    assert legacy.headers["cache-control"] == IMMUTABLE_CACHE_CONTROL  # the made one

    teacher.delete(f"/api/assignments/{created['assignment_id']}").raise_for_status()
    left = [k for image in images for k in store.list_keys(image.removesuffix("webp"))]
    assert left == []  # the image, its thumbnails and every variant: nothing stray


def test_the_openapi_documents_accept_and_the_formats(anonymous: httpx.Client) -> None:
    operation = anonymous.get("/openapi.json").json()["paths"]["/images/{key}"]["get"]
    assert "Accept" in {parameter["name"] for parameter in operation["parameters"]}
    assert {"image/avif", "image/webp", "image/jpeg", "image/png"} <= operation["responses"]["200"][
        "content"
    ].keys()
