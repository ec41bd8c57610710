"""Photograph-like scenes made from a seed, with no file to ship or download.

Natural photographs have an amplitude spectrum close to 1/f; noise shaped that way, mixed into
correlated colour channels with a little sensor grain, compresses like a photograph (PNG
barely, lossy codecs well). Tests and benchmarks use these scenes at any size.
"""

from __future__ import annotations

import numpy as np
from PIL import Image


def photo_like(width: int, height: int, seed: int = 0) -> Image.Image:
    rng = np.random.default_rng(seed)
    fy = np.fft.fftfreq(height)[:, None]
    fx = np.fft.rfftfreq(width)[None, :]
    frequency = np.hypot(fx, fy)
    frequency[0, 0] = 1.0
    amplitude = 1.0 / frequency
    amplitude[0, 0] = 0.0
    planes = []
    for _ in range(3):
        phase = rng.uniform(0, 2 * np.pi, amplitude.shape)
        plane = np.fft.irfft2(amplitude * np.exp(1j * phase), s=(height, width))
        planes.append((plane - plane.mean()) / (plane.std() + 1e-12))
    luminance, chroma_a, chroma_b = planes
    mix = np.stack(
        [
            128 + 45 * luminance + 14 * chroma_a,
            128 + 45 * luminance - 7 * chroma_a + 10 * chroma_b,
            128 + 45 * luminance - 12 * chroma_b,
        ],
        axis=-1,
    )
    mix += rng.normal(0.0, 1.5, mix.shape)
    return Image.fromarray(np.clip(mix, 0, 255).astype(np.uint8), "RGB")
