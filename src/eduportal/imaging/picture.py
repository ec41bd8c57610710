"""A picture drawn in this process, handed over decoded together with how it encodes.

A generator that draws with Pillow (the offline poster) used to encode its picture as PNG, only
for the optimizer to decode that PNG again: 14 ms of a 80 ms create, a fifth of it spent
undoing the other part (bench/create_path.py). A `Picture` keeps the pixels and the encoding
apart, so the optimizer can take the pixels as they are and still report the figures of the
bytes the generator would have returned (`original_size_bytes`), byte for byte the same as
before. Generators that receive bytes (Bedrock) keep returning bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image


@dataclass(frozen=True, slots=True)
class Picture:
    image: Image.Image
    """The pixels, without metadata (`info` is empty), as the generator drew them. Whoever
    receives the picture owns the image and may close it."""
    format: str
    """The Pillow format `encode` writes, such as "PNG"."""
    encode: Callable[[Image.Image], bytes]
    """The generator's own encoding: `encode(image)` is what `ImageGenerator.generate`
    returns for the same prompt."""

    def __post_init__(self) -> None:
        if self.image.info:
            # Encoders read `info` (a PNG's transparency, an ICC profile): pixels alone must
            # say everything, or the optimizer could not treat them as the decoded bytes.
            raise ValueError(f"a picture carries no metadata, found {sorted(self.image.info)}")

    def data(self) -> bytes:
        """The encoded picture: what the generator's `generate` returns."""
        return self.encode(self.image)
