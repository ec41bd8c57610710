"""Properties 16-19 of the design, over generated images."""

from __future__ import annotations

import logging

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from eduportal.domain.errors import ValidationError
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.imaging.quality import ssim
from eduportal.imaging.synthetic import photo_like
from tests.support.images import decode, gradient, png, png_chunk_types

optimizer = ImageOptimizer()
sides = st.integers(min_value=1, max_value=2600)


# Property 16: Image compression effectiveness (and no visible quality loss)
@settings(max_examples=100)
@given(
    width=st.integers(min_value=64, max_value=640),
    height=st.integers(min_value=64, max_value=640),
    seed=st.integers(min_value=0, max_value=2**32 - 1),
)
def test_photographic_pngs_shrink_by_at_least_30_percent_with_ssim_at_least_095(
    width: int, height: int, seed: int
) -> None:
    scene = photo_like(width, height, seed)
    result = optimizer.optimize(png(scene))
    assert result.figures.compression_ratio >= 0.30
    assert ssim(scene, decode(result.data)) >= 0.95


# Property 17: Image dimension constraints (fits 1024x1024, aspect kept, never upscaled)
@settings(max_examples=100)
@given(width=sides, height=sides)
def test_output_fits_the_bound_and_keeps_the_aspect_ratio(width: int, height: int) -> None:
    out = decode(optimizer.optimize(png(gradient(width, height))).data)
    assert out.width <= 1024 and out.height <= 1024
    assert out.width <= width and out.height <= height
    if max(width, height) <= 1024:
        assert out.size == (width, height)
    else:
        assert max(out.size) == 1024
        # Rounding to whole pixels moves the short side by at most half a pixel.
        scale = 1024 / max(width, height)
        assert abs(out.width - width * scale) <= 0.5 + 1e-9 or out.width == 1
        assert abs(out.height - height * scale) <= 0.5 + 1e-9 or out.height == 1


# Property 18: Format conversion (any PNG becomes WebP)
@settings(max_examples=100)
@given(
    mode=st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "1", "I;16"]),
    width=st.integers(min_value=1, max_value=300),
    height=st.integers(min_value=1, max_value=300),
)
def test_any_png_becomes_webp(mode: str, width: int, height: int) -> None:
    base = gradient(width, height)
    image = base.convert("I;16") if mode == "I;16" else base.convert(mode)
    result = optimizer.optimize(png(image))
    assert result.optimized
    assert result.data[:4] == b"RIFF" and result.data[8:12] == b"WEBP"
    assert result.content_type == "image/webp" and result.figures.format == "webp"
    assert decode(result.data).format == "WEBP"


# Property 19: Optimization fallback. Damaged input is invalid input: a PNG cut anywhere in its
# pixel data is refused and nothing is returned to store. An image that decodes fully and then
# fails to encode is kept as lossless PNG without metadata, and a warning logged.
@settings(max_examples=100)
@given(cut=st.floats(min_value=0.2, max_value=0.9))
def test_a_damaged_png_is_refused(cut: float) -> None:
    source = png(photo_like(160, 120, seed=7))
    damaged = source[: int(len(source) * cut)]
    with pytest.raises(ValidationError, match="decoding failed"):
        optimizer.optimize(damaged)


@settings(max_examples=25)
@given(
    mode=st.sampled_from(["RGB", "RGBA", "L", "LA", "P", "I;16"]),
    width=st.integers(min_value=1, max_value=300),
    height=st.integers(min_value=1, max_value=300),
)
def test_a_failed_webp_encode_keeps_the_pixels_as_png_and_warns(
    mode: str, width: int, height: int, caplog: pytest.LogCaptureFixture
) -> None:
    base = gradient(width, height)
    image = base.convert("I;16") if mode == "I;16" else base.convert(mode)
    caplog.clear()
    with pytest.MonkeyPatch.context() as patch, caplog.at_level(logging.WARNING, "eduportal"):
        patch.setitem(Image.SAVE, "WEBP", _fail)
        result = optimizer.optimize(png(image))
    assert not result.optimized
    assert result.extension == "png"
    assert png_chunk_types(result.data) == [b"IHDR", b"IDAT", b"IEND"]
    assert decode(result.data).size == (width, height)
    warnings = [  # the optimizer's: the placeholder, a WebP too, says its own loss
        r for r in caplog.records if r.levelno == logging.WARNING and r.name.endswith("optimize")
    ]
    assert len(warnings) == 1 and "as PNG without metadata" in warnings[0].getMessage()


def _fail(image: Image.Image, fp: object, filename: str | bytes) -> None:
    raise OSError("encoder error")
