"""The SSIM every stored image is held to: scikit-image's figure, to within `PRECISION`, however
the image is shaped; transparency judged as seen; a montage judged inside its squares only."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
import pytest
from PIL import Image
from skimage import metrics

from eduportal.imaging.codec import encode
from eduportal.imaging.quality import PRECISION, WINDOW, SsimReference, luma, ssim
from tests.support.images import photograph


def _reference_ssim(first: Image.Image, second: Image.Image) -> float:
    """scikit-image's SSIM as the literature defines it (Wang et al.), in float64."""
    measure: Any = metrics.structural_similarity  # untyped
    return float(
        measure(
            luma(first).astype(np.float64),
            luma(second).astype(np.float64),
            data_range=255,
            gaussian_weights=True,
            sigma=1.5,
            use_sample_covariance=False,
        )
    )


def _roundtrip(image: Image.Image, fmt: str, **options: object) -> Image.Image:
    decoded = Image.open(io.BytesIO(encode(image, fmt, **options)))
    decoded.load()
    return decoded


def _page() -> Image.Image:
    """A bilevel scan: the hardest case for float32, variances near 255**2."""
    return Image.fromarray(np.where(luma(photograph("page")) > 128, 255, 0).astype(np.uint8))


def _shapes() -> dict[str, Image.Image]:
    astronaut = photograph("astronaut")
    return {
        "a photograph": astronaut,
        "a bilevel scan": _page(),
        "tall, no whole band of rows": astronaut.resize((300, 517)),
        "a megapixel, many bands": photograph("retina").resize((1024, 700)),
        "the smallest a window fits": astronaut.crop((200, 200, 200 + WINDOW, 200 + WINDOW)),
    }


@pytest.mark.parametrize("name", list(_shapes()))
def test_agrees_with_scikit_image(name: str) -> None:
    image = _shapes()[name].convert("RGB")
    for candidate in (
        _roundtrip(image, "WEBP", quality=20),
        _roundtrip(image, "JPEG", quality=60),
    ):
        assert ssim(image, candidate) == pytest.approx(
            _reference_ssim(image, candidate), abs=PRECISION
        ), name


def test_an_image_is_identical_to_itself() -> None:
    image = photograph("chelsea")
    assert ssim(image, image.copy()) == pytest.approx(1.0, abs=1e-6)


def test_transparent_pixels_are_judged_as_seen_over_white() -> None:
    """Two images that look alike on a page score as alike, whatever colour hides under
    full transparency."""
    rng = np.random.default_rng(7)
    pixels = rng.integers(0, 256, (64, 64, 4), dtype=np.uint8)
    pixels[:, :32, 3] = 0  # the left half is invisible
    hidden = pixels.copy()
    hidden[:, :32, :3] = rng.integers(0, 256, (64, 32, 3), dtype=np.uint8)
    assert ssim(Image.fromarray(pixels, "RGBA"), Image.fromarray(hidden, "RGBA")) == 1.0
    white = pixels.copy()
    white[:, :32] = 255
    assert ssim(Image.fromarray(pixels, "RGBA"), Image.fromarray(white, "RGBA")) == 1.0


def test_a_montage_is_judged_inside_its_squares_only() -> None:
    """With `tile`, the figure is the mean of each square's own SSIM (each has as many
    windows): the seams between squares, edges the picture does not have, count for nothing."""
    tile = 32
    source = photograph("astronaut")
    montage = source.crop((0, 0, 3 * tile, 2 * tile))
    candidate = _roundtrip(montage, "WEBP", quality=10)
    squares = [
        (left, top, left + tile, top + tile)
        for top in range(0, 2 * tile, tile)
        for left in range(0, 3 * tile, tile)
    ]
    each = [ssim(montage.crop(box), candidate.crop(box)) for box in squares]
    assert SsimReference(montage, tile=tile).score(candidate) == pytest.approx(
        float(np.mean(each)), abs=PRECISION
    )


def test_where_drawn_counts_only_the_windows_that_hold_some_drawing() -> None:
    """A line on blank ground, smudged: over every window the smudge hides in the blank;
    where drawn it does not. A blank image counts every window."""
    line = Image.new("L", (200, 200), 255)
    line.paste(0, (40, 98, 160, 102))
    smudged = line.resize((50, 50)).resize((200, 200), Image.Resampling.BILINEAR)
    whole = SsimReference(line).score(smudged)
    assert SsimReference(line, where_drawn=True).score(smudged) < whole - 0.2
    blank = Image.new("L", (64, 64), 255)
    assert SsimReference(blank, where_drawn=True).score(blank) == pytest.approx(1.0, abs=1e-6)


def test_what_no_window_fits_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 11 pixels"):
        SsimReference(Image.new("RGB", (WINDOW - 1, 40)))
    with pytest.raises(ValueError, match="at least 11 pixels"):
        SsimReference(Image.new("RGB", (64, 64)), tile=8)
    with pytest.raises(ValueError, match="sizes differ"):
        ssim(Image.new("RGB", (20, 20)), Image.new("RGB", (21, 20)))
