"""The quality chosen per image: every encoding meets the SSIM target as measured again from
its bytes, smaller than a fixed quality where the image allows, larger where the fixed one
falls short; drawings lossless when that is smaller; alpha kept; a few encodes each."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from eduportal.adapters.local.poster import compose, render
from eduportal.domain.images import EncodingMode
from eduportal.imaging.codec import encode
from eduportal.imaging.encoding_choice import WebpPolicy, choose_webp, is_graphic
from eduportal.imaging.quality import SsimReference, luma, ssim
from tests.support.images import photograph
from tests.support.texts import SCIENCE

TARGET = 0.95
PHOTOS = ("astronaut", "camera", "coffee", "chelsea", "immunohistochemistry", "rocket")


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def q85(image: Image.Image) -> bytes:
    return encode(image, "WEBP", quality=85, method=4)


def diagram() -> Image.Image:
    """Boxes, arrows and labels on white, in three flat colours: a worksheet's figure."""
    image = Image.new("RGB", (480, 320), "white")
    draw = ImageDraw.Draw(image)
    for column, label in enumerate(("Sun", "Leaf", "Sugar")):
        left = 30 + column * 160
        draw.rectangle((left, 120, left + 100, 190), outline=(20, 60, 160), width=3)
        draw.text((left + 30, 148), label, fill="black")
        if column < 2:
            draw.line((left + 100, 155, left + 160, 155), fill=(200, 40, 40), width=3)
            draw.polygon([(left + 160, 155), (left + 150, 149), (left + 150, 161)], fill="red")
    return image


def star_field() -> Image.Image:
    """Dense fine detail (the Hubble deep field's kind): quality 85 keeps too little of it."""
    return photograph("hubble_deep_field").crop((0, 0, 512, 512))


@pytest.mark.parametrize("name", [*PHOTOS, "hubble_deep_field", "diagram", "page"])
def test_every_choice_meets_the_target_measured_again_from_its_bytes(name: str) -> None:
    image = {"hubble_deep_field": star_field, "diagram": diagram}.get(
        name, lambda: photograph(name)
    )()
    chosen = choose_webp(image, TARGET, method=4)
    again = ssim(image, decode(chosen.data))
    assert again >= TARGET
    assert chosen.ssim == pytest.approx(again, abs=1e-3)
    assert (chosen.quality is None) == (chosen.mode is not EncodingMode.LOSSY)


def test_photographs_take_fewer_bytes_than_quality_85_in_few_encodes() -> None:
    chosen = {name: choose_webp(photograph(name), TARGET, method=4) for name in PHOTOS}
    total = sum(len(c.data) for c in chosen.values())
    fixed = sum(len(q85(photograph(name))) for name in PHOTOS)
    assert total <= 0.85 * fixed
    assert all(c.mode is EncodingMode.LOSSY for c in chosen.values())
    assert sum(c.encodes for c in chosen.values()) / len(chosen) <= 2  # the search's cost


def test_a_star_field_gets_the_quality_85_denies_it() -> None:
    image = star_field()
    assert ssim(image, decode(q85(image))) < TARGET
    chosen = choose_webp(image, TARGET, method=4)
    assert chosen.quality is not None and chosen.quality > 85


def test_a_drawing_is_lossless_and_far_smaller_than_lossy() -> None:
    image = diagram()
    assert is_graphic(image)
    chosen = choose_webp(image, TARGET, method=4)
    assert chosen.mode in (EncodingMode.LOSSLESS, EncodingMode.NEAR_LOSSLESS)
    assert len(chosen.data) <= 0.5 * len(q85(image))


def test_a_poster_is_never_blurred_by_lossy_coding() -> None:
    """Over a whole poster, mostly blank ground, quality 0 scores 0.97 with its text blurred,
    and even over its drawn windows a low quality passes with edges ringing: a drawing is
    stored losslessly, its palette judged where it is drawn."""
    poster = render(compose(SCIENCE))
    blurred = decode(encode(poster, "WEBP", quality=0, method=4))
    assert ssim(poster, blurred) >= TARGET > SsimReference(poster, where_drawn=True).score(blurred)
    chosen = choose_webp(poster, TARGET, method=4)
    assert chosen.mode in (EncodingMode.LOSSLESS, EncodingMode.NEAR_LOSSLESS)
    assert SsimReference(poster, where_drawn=True).score(decode(chosen.data)) >= TARGET
    assert len(chosen.data) <= 0.5 * len(q85(poster))


def test_a_bilevel_scan_is_kept_exactly() -> None:
    """Two colours: a palette could not be smaller than lossless, which indexes it itself."""
    page = Image.fromarray(np.where(luma(photograph("page")) > 128, 255, 0).astype(np.uint8))
    chosen = choose_webp(page.convert("RGB"), TARGET, method=4)
    assert chosen.mode is EncodingMode.LOSSLESS
    assert np.array_equal(
        np.asarray(decode(chosen.data).convert("RGB")), np.asarray(page.convert("RGB"))
    )


def test_photographs_are_not_taken_for_drawings() -> None:
    assert not any(is_graphic(photograph(name)) for name in PHOTOS)


def test_transparency_is_kept_and_judged_as_seen() -> None:
    """A cut-out on a transparent ground stays cut out; what hides under transparency is
    not paid for."""
    image = photograph("coffee").convert("RGBA")
    alpha = Image.new("L", image.size, 0)
    ImageDraw.Draw(alpha).ellipse((100, 50, 500, 350), fill=255)
    image.putalpha(alpha)
    chosen = choose_webp(image, TARGET, method=4)
    decoded = decode(chosen.data)
    assert decoded.mode == "RGBA"
    assert np.asarray(decoded)[0, 0, 3] == 0 and np.asarray(decoded)[200, 300, 3] == 255
    assert ssim(image, decoded) >= TARGET


def test_a_strip_too_thin_for_a_window_is_lossless() -> None:
    strip = photograph("astronaut").resize((256, 6))
    chosen = choose_webp(strip, TARGET, method=4)
    assert chosen.mode is EncodingMode.LOSSLESS
    assert decode(chosen.data).tobytes() == strip.tobytes()


def test_without_a_target_the_policy_is_the_fixed_quality() -> None:
    image = photograph("chelsea")
    fixed = WebpPolicy(quality=85, method=4, ssim_target=None).encode(image)
    assert fixed.data == encode(image, "WEBP", quality=85, method=4, exif=b"", xmp=b"")
    assert (fixed.quality, fixed.mode, fixed.ssim) == (85, EncodingMode.LOSSY, None)
    chosen = WebpPolicy(quality=85, method=4, ssim_target=TARGET).encode(image)
    assert chosen == choose_webp(image, TARGET, method=4)
