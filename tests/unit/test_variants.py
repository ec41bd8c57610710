"""The AVIF and fallback variants of a stored WebP (issue 11): each meets the SSIM target
against the WebP's pixels as measured again from its bytes, an AVIF is never larger than the
WebP, alpha and drawings get a lossless PNG."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from eduportal.domain.errors import ValidationError
from eduportal.domain.images import EncodingMode
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.encoding_choice import WebpPolicy, choose_lossy
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.imaging.quality import ssim
from eduportal.imaging.variants import Variant, VariantPolicy, avif_encoder, jpeg_encoder
from tests.support.images import decode, gradient, photograph

TARGET = 0.95
POLICY = VariantPolicy(TARGET)
GATE = DecodeGate(256 * 1024 * 1024)


def webp_of(image: Image.Image) -> bytes:
    return WebpPolicy(quality=85, method=4, ssim_target=TARGET).encode(image).data


def by_extension(variants: tuple[Variant, ...]) -> dict[str, Variant]:
    found = {variant.extension: variant for variant in variants}
    assert len(found) == len(variants)
    return found


@pytest.mark.parametrize("name", ["astronaut", "coffee", "chelsea"])
def test_a_photograph_gets_a_smaller_avif_and_a_jpeg_at_the_target(name: str) -> None:
    webp = webp_of(photograph(name))
    seen = decode(webp).convert("RGB")
    made = by_extension(POLICY.make(webp, gate=GATE))
    assert made.keys() == {"avif", "jpg"}
    for variant in made.values():
        pixels = decode(variant.data)
        assert pixels.format == {"avif": "AVIF", "jpg": "JPEG"}[variant.extension]
        assert pixels.size == seen.size
        measured = ssim(seen, pixels.convert("RGB"))
        assert measured >= TARGET
        assert variant.ssim == pytest.approx(measured, abs=1e-3)
        assert variant.mode is EncodingMode.LOSSY and variant.quality is not None
    assert len(made["avif"].data) < len(webp)
    assert made["avif"].content_type == "image/avif"
    assert made["jpg"].content_type == "image/jpeg"
    assert made["avif"].metadata().keys() == {"encoding", "quality", "ssim"}


def test_an_image_with_alpha_falls_back_to_a_lossless_png() -> None:
    image = photograph("chelsea").convert("RGBA")
    image.putalpha(gradient(image.width, image.height).getchannel("R"))
    webp = webp_of(image)
    assert decode(webp).mode == "RGBA"
    made = by_extension(POLICY.make(webp, gate=GATE))
    png = made["png"]
    assert png.content_type == "image/png" and png.mode is EncodingMode.LOSSLESS
    assert np.array_equal(np.asarray(decode(png.data)), np.asarray(decode(webp)))
    assert "jpg" not in made
    if "avif" in made:
        assert len(made["avif"].data) < len(webp)


def test_a_drawing_gets_no_avif_and_a_lossless_png() -> None:
    image = Image.new("RGB", (400, 300), "white")
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 40, 200, 140), outline="navy", width=4)
    draw.line((200, 90, 360, 220), fill="darkred", width=5)
    draw.text((60, 200), "Photosynthesis: light -> sugar", fill="black")
    webp = webp_of(image)
    made = POLICY.make(webp, gate=GATE)
    assert [variant.extension for variant in made] == ["png"]
    assert np.array_equal(np.asarray(decode(made[0].data)), np.asarray(decode(webp)))


def test_no_avif_is_kept_that_is_not_smaller_than_the_webp() -> None:
    # A 32 px photograph: its WebP is about 330 bytes, the AVIF's container alone is more.
    image = photograph("astronaut").resize((32, 32))
    webp = webp_of(image)
    avif = choose_lossy(decode(webp), TARGET, avif_encoder())
    assert avif is not None and len(avif.data) >= len(webp)
    assert [variant.extension for variant in POLICY.make(webp, gate=GATE)] == ["jpg"]


def test_one_search_chooses_every_codec() -> None:
    image = photograph("rocket")
    for encoder in (avif_encoder(), jpeg_encoder()):
        chosen = choose_lossy(image, TARGET, encoder)
        assert chosen is not None and chosen.quality is not None
        assert ssim(image, decode(chosen.data).convert("RGB")) >= TARGET
        assert 1 <= chosen.encodes <= 4
    assert choose_lossy(Image.new("RGB", (8, 8)), TARGET, jpeg_encoder()) is None


def test_the_optimizer_makes_variants_under_its_gate_and_refuses_what_does_not_decode() -> None:
    optimizer = ImageOptimizer()
    made = optimizer.variants(webp_of(photograph("chelsea")))
    assert {variant.extension for variant in made} == {"avif", "jpg"}
    assert optimizer.gate.in_use_bytes == 0
    with pytest.raises(ValidationError):
        optimizer.variants(b"RIFF\x00\x00\x00\x00WEBPVP8 broken")
