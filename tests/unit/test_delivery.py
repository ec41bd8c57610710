"""Format negotiation from `Accept` (issue 11), on the table of real clients' headers the
CloudFront function is tested on too."""

from __future__ import annotations

import pytest

from eduportal.domain.delivery import DeliveryFormat, delivery_format, requested_key
from eduportal.domain.errors import ValidationError
from eduportal.domain.keys import (
    canonical_key,
    generated_image_owner,
    is_negotiated,
    thumbnail_size,
    variant_key,
    variant_keys,
)
from tests.support.accept_table import Client, clients, uris


@pytest.mark.parametrize("client", clients(), ids=lambda client: client.client)
def test_each_client_gets_the_format_it_decodes(client: Client) -> None:
    assert delivery_format(client.accept) is client.format


def test_the_table_covers_every_format() -> None:
    assert {client.format for client in clients()} == set(DeliveryFormat)


def test_variant_keys_keep_the_stem() -> None:
    assert variant_key("generated_images/a1.webp", "avif") == "generated_images/a1.avif"
    assert variant_key("thumbnails/i/256.webp", "jpg") == "thumbnails/i/256.jpg"
    assert variant_keys("processed/i.webp") == (
        "processed/i.avif",
        "processed/i.jpg",
        "processed/i.png",
    )
    assert variant_keys("uploads/i/photo.webp") == ()
    assert variant_keys("generated_images/a1.png") == ()


def test_a_key_not_negotiated_has_no_variant() -> None:
    with pytest.raises(ValidationError):
        variant_key("drafts/owner/abc", "avif")
    with pytest.raises(ValidationError):
        variant_key("processed/i.webp", "gif")


def test_a_variant_names_its_image() -> None:
    assert canonical_key("generated_images/a1.avif") == "generated_images/a1.webp"
    assert canonical_key("generated_images/a1/256.png") == "generated_images/a1/256.webp"
    assert canonical_key("generated_images/a1.webp") is None
    assert canonical_key("uploads/i/photo.jpg") is None
    assert is_negotiated("thumbnails/i/128.webp")
    assert not is_negotiated("generation_cache/" + "0" * 64 + ".png")


def test_a_thumbnails_variants_belong_to_its_assignment() -> None:
    assert generated_image_owner("generated_images/a1/256.avif") == "a1"
    assert thumbnail_size("generated_images/a1/256.jpg") == 256


@pytest.mark.parametrize("uri", uris())
def test_the_cdn_asks_for_the_variant_of_the_format_negotiated(uri: str) -> None:
    key = uri.removeprefix("/")
    assert requested_key(key, DeliveryFormat.WEBP) == key
    for delivery in (DeliveryFormat.AVIF, DeliveryFormat.LEGACY):
        asked = requested_key(key, delivery)
        if is_negotiated(key):
            assert asked == variant_key(key, "avif" if delivery is DeliveryFormat.AVIF else "jpg")
        else:
            assert asked == key
