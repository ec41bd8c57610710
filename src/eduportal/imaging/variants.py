"""The other representations of a stored WebP (issue 11): AVIF for the browsers that decode
it, and a JPEG or PNG for the few that decode neither AVIF nor WebP.

They are made from the stored WebP, in the background, long after its source is gone, so the
SSIM target is met against the WebP's own pixels: what a WebP browser sees. Each is chosen by
the search that chose the WebP (`encoding_choice.choose_lossy`, one search for every codec):

- *AVIF* (libaom at `AVIF_SPEED`, one thread, so the background leaves the other core to
  requests), kept only when smaller than the WebP: otherwise the WebP serves AVIF browsers
  too. Drawings get none: the WebP is lossless and a lossy AVIF rings along their edges (the
  reason they are lossless WebP), and AVIF's lossless coding is larger than WebP's.
- *The fallback*: a JPEG for opaque photographs; a PNG (lossless, so it needs no search) for
  images with alpha, for drawings, for images too small for an SSIM window, and for the rare
  photograph whose JPEG falls short of the target even at quality 100.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from PIL import Image

from eduportal.domain.images import EncodingMode
from eduportal.imaging.codec import encode
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.encoding_choice import (
    Chosen,
    Encoder,
    choose_lossy,
    is_graphic,
    sample_of,
)
from eduportal.imaging.quality import WINDOW
from eduportal.imaging.thumbnails import decoded_stored

AVIF_SPEED: Final = 6
"""libaom's speed (0 slow .. 10 fast), Pillow's default. On four 1024 px photographs at SSIM
0.95 it made AVIFs 0.43-0.65x the WebP's bytes in 0.4-0.7 s of search; speed 8 took 0.16-0.3 s
for 0.55-0.79x. Variants are made once, in the background, and served on every view: bytes
matter more than this CPU (bench/README.md, "AVIF variants", has the benchmark's figures)."""
AVIF_THREADS: Final = 1
STAND_IN_QUALITY: Final = 90
"""JPEG quality of a fallback made on a request, before the background has made the chosen
one: one encode, no search (a few ms on a megapixel), high enough not to fall short of the
target on the photographs seen (the chosen JPEGs are at 27-43)."""

CONTENT_TYPES: Final[Mapping[str, str]] = {
    "avif": "image/avif",
    "jpg": "image/jpeg",
    "png": "image/png",
}


def avif_encoder(speed: int = AVIF_SPEED) -> Encoder:
    return lambda image, quality: encode(
        image, "AVIF", quality=quality, speed=speed, max_threads=AVIF_THREADS
    )


def jpeg_encoder() -> Encoder:
    """Baseline JPEG with optimized Huffman tables (a few per cent smaller, no decoder
    cares), 4:2:0 chroma as Pillow defaults to."""
    return lambda image, quality: encode(image, "JPEG", quality=quality, optimize=True)


@dataclass(frozen=True, slots=True)
class Variant:
    extension: str
    """`avif`, `jpg` or `png`: the variant key's extension (`domain.keys.variant_key`)."""
    data: bytes
    mode: EncodingMode
    quality: int | None
    ssim: float | None
    """Luma SSIM against the WebP it was made from (1.0 when lossless)."""

    @property
    def content_type(self) -> str:
        return CONTENT_TYPES[self.extension]

    def metadata(self) -> dict[str, str]:
        """Stored with the object, so an operator (and the CLI) can tell how it was made."""
        found = {"encoding": self.mode.value, "quality": self.quality, "ssim": self.ssim}
        return {name: str(value) for name, value in found.items() if value is not None}


@dataclass(frozen=True, slots=True)
class VariantPolicy:
    ssim_target: float
    avif_speed: int = AVIF_SPEED

    def make(self, webp: bytes, *, gate: DecodeGate) -> tuple[Variant, ...]:
        """The variants of a stored WebP: an AVIF when it is smaller, and one fallback.

        Raises `ValidationError` when `webp` does not decode, and the codec's own errors."""
        with decoded_stored(webp, gate=gate, copies=3) as image:
            drawn = min(image.size) < WINDOW or is_graphic(sample_of(image))
            avif = None if drawn else self._avif(image, len(webp))
            fallback = self._fallback(image, drawn)
            return (fallback,) if avif is None else (avif, fallback)

    def _avif(self, image: Image.Image, webp_bytes: int) -> Variant | None:
        chosen = choose_lossy(image, self.ssim_target, avif_encoder(self.avif_speed))
        if chosen is None or len(chosen.data) >= webp_bytes:
            return None
        return _variant("avif", chosen)

    def _fallback(self, image: Image.Image, drawn: bool) -> Variant:
        if not drawn and image.mode == "RGB":
            chosen = choose_lossy(image, self.ssim_target, jpeg_encoder())
            if chosen is not None:
                return _variant("jpg", chosen)
        return Variant("png", encode(image, "PNG"), EncodingMode.LOSSLESS, None, 1.0)


def stand_in(webp: bytes, *, gate: DecodeGate) -> Variant:
    """A JPEG (PNG with alpha) of a stored WebP at once, for a browser that decodes neither
    AVIF nor WebP while the chosen fallback is not made yet: bounded by the stored image's
    size (at most 1024 px), one encode."""
    with decoded_stored(webp, gate=gate, copies=1) as image:
        if image.mode == "RGB":
            data = encode(image, "JPEG", quality=STAND_IN_QUALITY)
            return Variant("jpg", data, EncodingMode.LOSSY, STAND_IN_QUALITY, None)
        return Variant("png", encode(image, "PNG"), EncodingMode.LOSSLESS, None, 1.0)


def _variant(extension: str, chosen: Chosen) -> Variant:
    return Variant(extension, chosen.data, chosen.mode, chosen.quality, chosen.ssim)
