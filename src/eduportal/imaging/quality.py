"""Structural similarity (SSIM, Wang et al. 2004), the measure of "no visible quality loss".

Computed on luma (ITU-R BT.601, Pillow's `L`), as SSIM is defined and as codec studies use it:
the eye resolves detail in brightness, and WebP, JPEG and AVIF all keep colour at half
resolution because of that, so per-RGB-channel SSIM would charge them for what nobody sees.
Gaussian window (sigma 1.5, 11 taps), K1 = 0.01, K2 = 0.03, over the region where the window
fits: the same figure as scikit-image's `structural_similarity(..., gaussian_weights=True,
use_sample_covariance=False)`, which the tests check. Numpy only.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image

_SIGMA = 1.5
_RADIUS = 5
_C1 = (0.01 * 255) ** 2
_C2 = (0.03 * 255) ** 2

Array = NDArray[np.float64]


def _gaussian_kernel() -> Array:
    taps = np.arange(-_RADIUS, _RADIUS + 1, dtype=np.float64)
    kernel: Array = np.exp(-(taps**2) / (2 * _SIGMA**2))
    normalized: Array = kernel / kernel.sum()
    return normalized


_KERNEL = _gaussian_kernel()


def _blur(plane: Array) -> Array:
    """Separable Gaussian filter, 'valid' region only (no padding)."""
    width = len(_KERNEL)
    rows: Array = np.lib.stride_tricks.sliding_window_view(plane, width, axis=1) @ _KERNEL
    blurred: Array = np.lib.stride_tricks.sliding_window_view(rows, width, axis=0) @ _KERNEL
    return blurred


def ssim_plane(a: Array, b: Array) -> float:
    mu_a, mu_b = _blur(a), _blur(b)
    var_a = _blur(a * a) - mu_a**2
    var_b = _blur(b * b) - mu_b**2
    cov = _blur(a * b) - mu_a * mu_b
    numerator = (2 * mu_a * mu_b + _C1) * (2 * cov + _C2)
    denominator = (mu_a**2 + mu_b**2 + _C1) * (var_a + var_b + _C2)
    return float(np.mean(numerator / denominator))


def luma(image: Image.Image) -> Array:
    return np.asarray(image.convert("RGB").convert("L"), dtype=np.float64)


def ssim(first: Image.Image, second: Image.Image) -> float:
    """SSIM of the luma of two images of the same size (1.0: identical)."""
    if first.size != second.size:
        raise ValueError(f"sizes differ: {first.size} and {second.size}")
    if min(first.size) <= 2 * _RADIUS:
        raise ValueError("images must be larger than the 11-pixel SSIM window")
    return ssim_plane(luma(first), luma(second))
