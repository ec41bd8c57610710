"""The tiny preview kept with every stored image: what it shows, its size, its failures."""

from __future__ import annotations

import logging

import numpy as np
import pytest
from PIL import Image

from eduportal.domain.images import MAX_PLACEHOLDER_CHARS, PLACEHOLDER_PREFIX, valid_placeholder
from eduportal.imaging.lqip import LONGER_SIDE, is_opaque, placeholder_of
from eduportal.imaging.optimize import ImageOptimizer
from tests.support.images import PHOTOS, decode, decoded_placeholder, gradient, photograph, png

optimizer = ImageOptimizer()


@pytest.mark.parametrize("name", PHOTOS)
def test_a_photographs_preview_is_a_few_hundred_bytes_of_its_colours(name: str) -> None:
    result = optimizer.optimize(png(photograph(name)))
    placeholder = result.figures.placeholder
    assert placeholder is not None and len(placeholder) <= 450
    shown = decoded_placeholder(placeholder)
    stored = decode(result.data)
    assert max(shown.size) == LONGER_SIDE
    assert abs(shown.width / shown.height - stored.width / stored.height) < 0.1
    # Painted blurred, it is the image seen from afar: its areas in their colours (compared
    # 4x coarser than the preview, as the blur sees it; 3-5 levels out of 255 measured).
    coarse = (max(1, shown.width // 4), max(1, shown.height // 4))
    painted = np.asarray(shown.convert("RGB").resize(coarse, Image.Resampling.BOX), np.int16)
    expected = np.asarray(stored.convert("RGB").resize(coarse, Image.Resampling.BOX), np.int16)
    assert np.abs(painted - expected).mean() < 8


def test_transparency_is_kept_and_such_a_preview_is_not_painted_under_its_image() -> None:
    image = gradient(400, 200, "RGBA")
    alpha = Image.new("L", (400, 200), 255)
    alpha.paste(0, (200, 0, 400, 200))  # the right half transparent
    image.putalpha(alpha)
    placeholder = optimizer.optimize(png(image)).figures.placeholder
    shown = decoded_placeholder(placeholder)
    assert shown.mode == "RGBA" and shown.size == (20, 10)
    transparency = np.asarray(shown.getchannel("A"))
    assert transparency[:, :9].min() > 240 and transparency[:, 11:].max() < 15
    assert placeholder is not None and not is_opaque(placeholder)
    assert is_opaque(preview_of(gradient(40, 30)))


def preview_of(image: Image.Image) -> str:
    placeholder = placeholder_of(image)
    assert placeholder is not None
    return placeholder


def test_a_strip_keeps_one_pixel_across() -> None:
    assert decoded_placeholder(placeholder_of(gradient(1024, 3))).size == (LONGER_SIDE, 1)
    assert decoded_placeholder(placeholder_of(gradient(2, 900))).size == (1, LONGER_SIDE)


def test_the_busiest_content_still_fits_within_the_cap() -> None:
    # A different random colour and transparency in every cell the preview keeps: nothing
    # the reduction averages away, and the alpha plane coded too.
    cells = np.random.default_rng(11).integers(0, 256, (LONGER_SIDE, LONGER_SIDE, 4), np.uint8)
    busy = Image.fromarray(cells, "RGBA").resize((1000, 1000), Image.Resampling.NEAREST)
    placeholder = placeholder_of(busy)
    assert placeholder is not None and len(placeholder) <= MAX_PLACEHOLDER_CHARS
    assert decoded_placeholder(placeholder).size == (
        16,
        16,
    )  # the second attempt: 20 px did not fit


def test_an_encoder_failure_costs_only_the_decoded_placeholder(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def fail(*_: object, **__: object) -> None:
        raise OSError("encoder error")

    monkeypatch.setitem(Image.SAVE, "WEBP", fail)
    with caplog.at_level(logging.WARNING, logger="eduportal"):
        result = optimizer.optimize(png(gradient(300, 200)))
    assert not result.optimized and result.figures.placeholder is None
    assert any("no placeholder" in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "data:image/png;base64,iVBORw0KGgo=",
        PLACEHOLDER_PREFIX,
        PLACEHOLDER_PREFIX + 'UklGRg==") } body { background: url("https://elsewhere/',
        PLACEHOLDER_PREFIX + "A" * MAX_PLACEHOLDER_CHARS,
    ],
)
def test_only_a_preview_as_made_is_a_placeholder(text: str | None) -> None:
    # Written into the pages' CSS: anything else read from metadata or a document is none.
    assert valid_placeholder(text) is None
    if text is not None:
        assert not is_opaque(text)
