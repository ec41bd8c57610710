"""Thumbnails of an image already optimized (at most 1024 px): small WebPs for lists.

Made from the pipeline's processed image rather than the upload, so each costs a decode of at
most a megapixel whatever was uploaded; the memory is still reserved from the process's decode
gate, like every decode. The sizes are made side by side when given an executor: resizing and
WebP encoding release the GIL, so on two cores the second size costs a request no time.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import Executor
from contextlib import contextmanager
from functools import partial

from PIL import Image, ImageFile

from eduportal.domain.errors import ValidationError
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.encoding_choice import WebpPolicy
from eduportal.imaging.probe import DAMAGED, probe

MAX_SOURCE_PIXELS = 4096 * 4096


def thumbnails(
    data: bytes,
    sizes: tuple[int, ...],
    *,
    gate: DecodeGate,
    webp: WebpPolicy,
    executor: Executor | None = None,
) -> dict[int, bytes]:
    """WebP thumbnails of an optimized image's bytes (the pipeline's processed image), one
    fitting `size` x `size` for each size."""
    # The decoded image and a copy for every size but one, all at once.
    with decoded_stored(data, gate=gate, copies=max(2, len(sizes))) as image:
        return thumbnails_of(image, sizes, webp=webp, executor=executor, owned=True)


@contextmanager
def decoded_stored(data: bytes, *, gate: DecodeGate, copies: int) -> Iterator[Image.Image]:
    """An image the portal stored (at most 1024 px), decoded as `RGB` or `RGBA` while the
    memory of `copies` frames of it is reserved from the decode gate: the work on it (its
    thumbnails, its variants) holds that many at once."""
    probed = probe(data, max_bytes=len(data), max_pixels=MAX_SOURCE_PIXELS)
    with gate.reserve(probed.width * probed.height * 4 * copies):
        image = probed.image
        # Pillow feeds a WebP's decoded frame to its unpacker 64 KB at a time, taking the GIL
        # back for each block: beside a busy thread (the API's event loop under load) every
        # block waited for the 5 ms switch interval, 279 ms for a 1024x768 image instead of
        # 15. One block for the whole frame (at most 4 bytes a pixel) takes it back once.
        if isinstance(image, ImageFile.ImageFile):
            image.decodermaxblock = max(image.decodermaxblock, probed.width * probed.height * 4)
        try:
            image.load()
        except (OSError, SyntaxError, ValueError, EOFError) as exc:
            raise ValidationError(DAMAGED, detail=f"stored image: {exc}") from None
        if image.mode not in ("RGB", "RGBA"):
            image = image.convert("RGBA" if "A" in image.getbands() else "RGB")
        yield image


def thumbnails_of(
    image: Image.Image,
    sizes: tuple[int, ...],
    *,
    webp: WebpPolicy,
    executor: Executor | None = None,
    owned: bool,
) -> dict[int, bytes]:
    """WebP thumbnails of a decoded `RGB` or `RGBA` image, one per size, never upscaled,
    each encoded as the stored image is (`webp`: against the SSIM target, on its own pixels).

    `thumbnail` replaces the image it is given, so each size takes a copy, made before any is
    resized; when `owned`, the last size takes `image` itself (nobody else reads it)."""
    sources = [image.copy() for _ in sizes[:-1]] + [image if owned else image.copy()]
    jobs = list(zip(sources, sizes, strict=True))
    make = partial(_thumbnail, webp=webp)
    if executor is None or len(jobs) < 2:
        return {size: make(source, size) for source, size in jobs}
    others = {size: executor.submit(make, source, size) for source, size in jobs[:-1]}
    last_source, last_size = jobs[-1]
    last = make(last_source, last_size)
    return {size: future.result() for size, future in others.items()} | {last_size: last}


def _thumbnail(image: Image.Image, size: int, *, webp: WebpPolicy) -> bytes:
    image.thumbnail((size, size), Image.Resampling.LANCZOS)
    return webp.encode(image).data
