"""Structural similarity (SSIM, Wang et al. 2004), the measure of "no visible quality loss".

Computed on luma (ITU-R BT.601, Pillow's `L`), as SSIM is defined and as codec studies use it:
the eye resolves detail in brightness, and WebP, JPEG and AVIF all keep colour at half
resolution because of that, so per-RGB-channel SSIM would charge them for what nobody sees.
Gaussian window (sigma 1.5, 11 taps), K1 = 0.01, K2 = 0.03, over the region where the window
fits: the same figure as scikit-image's `structural_similarity(..., gaussian_weights=True,
use_sample_covariance=False)` to within `PRECISION`, which the tests check. Numpy only.

The optimizer scores several encodings of one image (it chooses a quality per image), so the
cost is kept down where it buys nothing: the reference's mean and variance are computed once
(`SsimReference`), leaving three blurs per candidate instead of five, and the arithmetic is
float32 in shifted sums over bands of rows, a tenth of the time float64 matrix products took.
"""

from __future__ import annotations

from typing import Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_SIGMA: Final = 1.5
_RADIUS: Final = 5
WINDOW: Final = 2 * _RADIUS + 1
_C1: Final = (0.01 * 255) ** 2
_C2: Final = (0.03 * 255) ** 2
PRECISION: Final = 1e-4
"""How far float32 may put a figure from the exact one: at most 3e-5 seen (a bilevel image,
whose variances are differences of squares near 255**2); whoever decides on a threshold adds
this, so the exact figure is at or above it too."""

FLAT_VARIANCE: Final = 1.0
"""A window whose luma varies less than this (a standard deviation of one grey level) holds
no drawing: float32's error on a flat window is under a hundredth."""

Plane = NDArray[np.float32]


def _gaussian_kernel() -> tuple[float, ...]:
    taps = np.arange(-_RADIUS, _RADIUS + 1, dtype=np.float64)
    kernel = np.exp(-(taps**2) / (2 * _SIGMA**2))
    return tuple(float(tap) for tap in kernel / kernel.sum())


_KERNEL: Final = tuple(np.float32(tap) for tap in _gaussian_kernel())


_BAND: Final = 128
"""Rows blurred at a time: a band's working set stays in the CPU's cache, which made a
megapixel's blur 2.5x faster than whole-array passes (which are bound by memory)."""


def _blur(plane: Plane) -> Plane:
    """Separable Gaussian filter, 'valid' region only (no padding), in bands of rows: each
    pass sums the kernel's symmetric pairs of shifted views into preallocated arrays (no
    temporaries), as whole-array operations (numpy's matrix product fed a strided window one
    short row at a time, four times slower)."""
    width = plane.shape[1] - WINDOW + 1
    height = plane.shape[0] - WINDOW + 1
    blurred: Plane = np.empty((height, width), np.float32)
    rows: Plane = np.empty((_BAND + WINDOW - 1, width), np.float32)
    scratch: Plane = np.empty_like(rows)
    for top in range(0, height, _BAND):
        count = min(_BAND, height - top)
        _pass(plane[top : top + count + WINDOW - 1], rows, scratch, axis=1)
        _pass(rows[: count + WINDOW - 1], blurred[top : top + count], scratch, axis=0)
    return blurred


def _pass(source: Plane, out: Plane, scratch: Plane, *, axis: int) -> None:
    """One direction of the filter: `out` (its leading rows, as many as the result has) is
    the kernel's weighted sum of `source` shifted along `axis`."""
    length = source.shape[axis] - WINDOW + 1

    def shifted(offset: int) -> Plane:
        start = _RADIUS + offset
        view: Plane = source[:, start : start + length] if axis else source[start : start + length]
        return view

    target = out[: source.shape[0]] if axis else out[:length]
    spare = scratch[: target.shape[0], : target.shape[1]]
    np.multiply(shifted(0), _KERNEL[_RADIUS], out=target)
    for offset in range(1, _RADIUS + 1):
        np.add(shifted(-offset), shifted(offset), out=spare)
        spare *= _KERNEL[_RADIUS + offset]
        target += spare


def luma(image: Image.Image) -> Plane:
    """The luma plane SSIM compares. An image with transparency is compared as it is seen,
    over white (the portal's pages), so pixels nobody sees cost nothing."""
    if "A" in image.getbands() or (image.mode in ("P", "PA") and "transparency" in image.info):
        seen = Image.new("RGBA", image.size, (255, 255, 255, 255))
        seen.alpha_composite(image.convert("RGBA"))
        image = seen
    return np.asarray(image.convert("RGB").convert("L"), dtype=np.float32)


class SsimReference:
    """The image every candidate is compared with, its statistics computed once.

    With `tile`, the image is a montage of `tile`-pixel squares cut from a larger image, and
    only windows that lie wholly inside one square count: a window across a seam sees an edge
    that is not in the picture, and the codec's trouble with it is not the picture's either.

    With `where_drawn`, only windows where the reference is not flat count: a drawing is
    mostly blank ground, which any codec keeps, and a mean over it hid text blurred and lines
    ringing at quality 0 (SSIM 0.97 over a whole poster). A reference flat everywhere counts
    every window.
    """

    def __init__(
        self, image: Image.Image, *, tile: int | None = None, where_drawn: bool = False
    ) -> None:
        if min(image.size) < WINDOW or (tile is not None and tile < WINDOW):
            raise ValueError(f"images and tiles must be at least {WINDOW} pixels wide")
        self.size = image.size
        self._plane = luma(image)
        self._mean = _blur(self._plane)
        self._variance = _blur(self._plane * self._plane) - self._mean**2
        counted = np.ones(self._mean.shape, dtype=np.bool_)
        if tile is not None:
            rows, columns = self._mean.shape
            fits = tile - WINDOW
            counted &= (np.arange(rows)[:, None] % tile <= fits) & (
                np.arange(columns)[None, :] % tile <= fits
            )
        if where_drawn and (drawn := counted & (self._variance > FLAT_VARIANCE)).any():
            counted = drawn
        self._counted = None if counted.all() else counted

    def score(self, candidate: Image.Image) -> float:
        """SSIM of `candidate`'s luma against the reference (1.0: identical)."""
        if candidate.size != self.size:
            raise ValueError(f"sizes differ: {self.size} and {candidate.size}")
        other = luma(candidate)
        mean = _blur(other)
        variance = _blur(other * other) - mean**2
        covariance = _blur(self._plane * other) - self._mean * mean
        numerator = (2 * self._mean * mean + _C1) * (2 * covariance + _C2)
        denominator = (self._mean**2 + mean**2 + _C1) * (self._variance + variance + _C2)
        similarity = numerator / denominator
        if self._counted is not None:
            similarity = similarity[self._counted]
        return float(np.mean(similarity, dtype=np.float64))


def ssim(first: Image.Image, second: Image.Image) -> float:
    """SSIM of the luma of two images of the same size (1.0: identical)."""
    return SsimReference(first).score(second)
