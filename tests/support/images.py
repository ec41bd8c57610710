"""Test images: real photographs shipped by scikit-image, synthetic scenes, odd modes."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image

from eduportal.imaging.codec import encode

PHOTOS = ("astronaut", "coffee", "chelsea", "rocket", "retina", "motorcycle_left")
"""Photographs from scikit-image's wheel (`skimage.data`), no download needed."""


def photograph(name: str) -> Image.Image:
    import skimage.data

    loader: Any = getattr(skimage.data, name, None)
    if loader is not None:
        return Image.fromarray(loader()).convert("RGB")
    path = skimage.data.data_dir + f"/{name}.png"
    return Image.open(path).convert("RGB")


def png(image: Image.Image, **options: Any) -> bytes:
    return encode(image, "PNG", **options)


def gradient(width: int, height: int, mode: str = "RGB") -> Image.Image:
    """Cheap, smooth content: for tests about geometry and modes, not compression."""
    x = np.linspace(0, 255, width, dtype=np.float64)[None, :]
    y = np.linspace(0, 255, height, dtype=np.float64)[:, None]
    red = np.broadcast_to(x, (height, width))
    green = np.broadcast_to(y, (height, width))
    blue = (red + green) / 2
    rgb = np.stack([red, green, blue], axis=-1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode) if mode != "RGB" else Image.fromarray(rgb)


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image
