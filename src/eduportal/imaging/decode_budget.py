"""What decoding and converting one image will cost in memory, known from its header alone.

The optimizer refuses an image whose estimate is over the per-image limit and reserves the
estimate from the process-wide decode gate before touching a pixel, so the estimate must
follow what `imaging.convert` really allocates. Both read the same `DecodePlan`: the decoded
mode and size (after JPEG's DCT scaling), the 8-bit mode the work is done in, the box
reduction and the output size.

The constants were fitted to measurements: peak RSS growth of one optimization in a fresh
process (Pillow 13, glibc 2.36), against the estimate, in MiB, for 7000 x 7000 inputs:

    16-bit gray PNG 120 / 145      RGB, RGBA, LA, 16-bit RGBA PNG 243 / 274
    CMYK TIFF (64 KB strips) 243 / 274    RGB TIFF in one strip 328 / 343
    progressive JPEG 153 / 168     baseline JPEG (decoded at 1/4) 24 / 63
    palette PNG 105 / 133          WebP 749 / 764      AVIF, 5000 x 5000 RGBA: 288 / 338

The estimate is never below the measurement; small images are overestimated by the fixed
slack, which costs nothing but a little of the pool while they run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

from PIL import JpegImagePlugin, TiffImagePlugin

from eduportal.imaging.probe import ProbedImage

WorkingMode = Literal["L", "RGB", "RGBA"]

REDUCING_GAP: Final = 3.0
"""Box-reduce by whole factors while the image stays at least 3x the output, then LANCZOS:
Pillow's `reducing_gap=3.0`, indistinguishable from LANCZOS alone and several times faster."""

BAND_PIXELS: Final = 1 << 20
"""Pixels converted at a time (a band of whole rows). A band's temporaries, never the whole
image's, are what a conversion adds (about 16 MiB at this size), and bands this large keep
the per-band overhead of Python out of the timings."""

BAND_BYTES_PER_PIXEL: Final = 16
"""A band's crop, its converted and premultiplied copies, and numpy's widened samples."""
ENCODE_BYTES_PER_PIXEL: Final = 8
"""libwebp's working buffers per output pixel (ARGB copy, YUV planes, statistics)."""

SLACK_BYTES: Final = 16 * 1024 * 1024
"""Allocator slack and the codecs' own tables: what measurement shows beyond the sum."""

_STORAGE_BYTES: Final = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16L": 2, "I;16B": 2, "I;16N": 2}
"""Bytes Pillow stores per pixel; every other mode (RGB included) is stored in 4."""

SIXTEEN_BIT_MODES: Final = frozenset({"I;16", "I;16L", "I;16B", "I;16N", "I", "F"})
"""Modes scaled to 8-bit gray with numpy (Pillow's own `convert` would clip, not scale)."""
_GRAY_MODES: Final = SIXTEEN_BIT_MODES | {"1", "L"}
_ALPHA_MODES: Final = frozenset({"LA", "La", "PA", "RGBa", "RGBA"})


def storage_bytes(mode: str) -> int:
    return _STORAGE_BYTES.get(mode, 4)


def fitted_size(width: int, height: int, max_dimension: int) -> tuple[int, int]:
    """The largest size within the bound with the same aspect ratio; never larger."""
    scale = min(1.0, max_dimension / width, max_dimension / height)
    if scale >= 1.0:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def working_mode(mode: str, *, transparency: bool) -> WorkingMode:
    """The 8-bit mode an image is converted and resized in.

    Gray stays `L` until the image is small (a quarter of RGB's memory); anything with an
    alpha channel, or a palette with a transparent entry, is `RGBA`; everything else `RGB`.
    """
    if mode in _GRAY_MODES:
        return "L"
    if mode in _ALPHA_MODES or (mode == "P" and transparency):
        return "RGBA"
    return "RGB"


def jpeg_draft_scale(size: tuple[int, int], requested: tuple[int, int]) -> int:
    """The DCT scale Pillow's `JpegImageFile.draft(mode, requested)` picks: 8, 4, 2 or 1.

    The largest that still decodes at least `requested`; a test checks it against Pillow's.
    """
    ratio = min(size[0] // requested[0], size[1] // requested[1])
    return next(scale for scale in (8, 4, 2, 1) if ratio >= scale or scale == 1)


@dataclass(frozen=True, slots=True)
class DecodePlan:
    format: str
    mode: str
    """The decoded mode."""
    size: tuple[int, int]
    """The decoded size: the header's, divided by the DCT scale for a JPEG."""
    draft_request: tuple[int, int] | None
    """The size to pass to a JPEG's `draft`; None for other formats."""
    working_mode: WorkingMode
    factor: tuple[int, int]
    """Box reduction before LANCZOS; (1, 1) for none."""
    output_size: tuple[int, int]
    """In the decoded orientation; EXIF orientation is applied to the output afterwards."""
    decoder_bytes: int = 0
    """What the decoder holds beside the image while decoding (`_decoder_bytes`)."""
    retained_bytes: int = 0
    """What the decoder keeps until the image object is released (WebP, AVIF)."""

    @property
    def resizes(self) -> bool:
        return self.output_size != self.size

    @property
    def reduced_size(self) -> tuple[int, int]:
        """Size after the box reduction: whole blocks, a partial block at the far edges."""
        (width, height), (fx, fy) = self.size, self.factor
        return -(-width // fx), -(-height // fy)


def plan_decode(probed: ProbedImage, max_dimension: int) -> DecodePlan:
    image = probed.image
    size = (probed.width, probed.height)
    draft_request = None
    if probed.format in ("JPEG", "MPO"):
        draft_request = (max_dimension, max_dimension)
        scale = jpeg_draft_scale(size, draft_request)
        size = (-(-size[0] // scale), -(-size[1] // scale))
    output = fitted_size(*size, max_dimension)
    factor = (
        int(size[0] / output[0] / REDUCING_GAP) or 1,
        int(size[1] / output[1] / REDUCING_GAP) or 1,
    )
    decoder, retained = _decoder_bytes(probed)
    return DecodePlan(
        format=probed.format,
        mode=image.mode,
        size=size,
        draft_request=draft_request,
        working_mode=working_mode(image.mode, transparency="transparency" in image.info),
        factor=factor,
        output_size=output,
        decoder_bytes=decoder,
        retained_bytes=retained,
    )


def decode_cost(probed: ProbedImage, max_dimension: int) -> int:
    """Estimated peak bytes of decoding `probed` and fitting it within `max_dimension`."""
    return estimate_bytes(plan_decode(probed, max_dimension))


def estimate_bytes(plan: DecodePlan) -> int:
    """The larger of the two peaks: while decoding, and while converting and encoding.

    While converting, the decoded image coexists with the (reduced) converted copy and one
    band's temporaries, or, when nothing needs converting, with LANCZOS's intermediate
    (output width x input height) and the output; the WebP encoder's buffers come last.
    """
    width, height = plan.size
    decoded = width * height * storage_bytes(plan.mode)
    out_width, out_height = plan.output_size
    target_width, target_height = plan.reduced_size
    target = target_width * target_height * storage_bytes(plan.working_mode)
    band = min(width * height, BAND_PIXELS) * BAND_BYTES_PER_PIXEL
    resizing = out_width * target_height * 4 + out_width * out_height * 4 * 2
    work = decoded + plan.retained_bytes + max(target + band, resizing)
    encode = out_width * out_height * ENCODE_BYTES_PER_PIXEL
    return max(decoded + plan.decoder_bytes, work + encode) + SLACK_BYTES


def _decoder_bytes(probed: ProbedImage) -> tuple[int, int]:
    """Memory a decoder needs beside Pillow's image: (while decoding, until released).

    Measured on 25-49 megapixel inputs: PNG, GIF, BMP and baseline JPEG decode a few rows at
    a time (nothing worth counting). A progressive JPEG keeps every DCT coefficient, 2 bytes
    per sample of each component at full resolution, whatever the DCT scale. libtiff reads a
    whole strip or tile. WebP hands over a copy of the frame from two RGBA canvases it keeps;
    AVIF a copy from its RGBA buffer and YUV planes.
    """
    image = probed.image
    pixels = probed.width * probed.height
    if isinstance(image, JpegImagePlugin.JpegImageFile) and image.info.get("progressive"):
        h_max = max(h for _, h, _, _ in image.layer)
        v_max = max(v for _, _, v, _ in image.layer)
        samples = sum(pixels * h * v // (h_max * v_max) for _, h, v, _ in image.layer)
        return 2 * samples, 0
    if isinstance(image, TiffImagePlugin.TiffImageFile):
        return _tiff_chunk_bytes(image), 0
    if probed.format == "WEBP":
        return 3 * pixels * 4, 2 * pixels * 4
    if probed.format == "AVIF":
        return 2 * pixels * 4 + pixels * 3 // 2, pixels * 5 // 2
    return 0, 0


def _tiff_chunk_bytes(image: TiffImagePlugin.TiffImageFile) -> int:
    """The raw bytes of one strip or tile, which libtiff reads whole before unpacking."""
    tags = image.tag_v2
    bits = tags.get(TiffImagePlugin.BITSPERSAMPLE, (1,))
    sample_bits = int(bits[0] if isinstance(bits, tuple) else bits)
    samples = int(tags.get(TiffImagePlugin.SAMPLESPERPIXEL, 1))
    width, height = image.size
    if TiffImagePlugin.TILEWIDTH in tags:
        area = int(tags[TiffImagePlugin.TILEWIDTH]) * int(tags.get(TiffImagePlugin.TILELENGTH, 1))
    else:
        area = width * min(int(tags.get(TiffImagePlugin.ROWSPERSTRIP, height)), height)
    return -(-area * sample_bits * samples // 8)
