"""The smallest WebP of one image that keeps its luma SSIM at or above a target.

A fixed quality cannot promise "no visible quality loss": WebP quality 85 leaves a dense star
field at SSIM 0.941 and spends far more than needed on a smooth photograph. So the quality is
chosen per image, as the commercial image servers do, and cheaply:

1. **Predict on a sample.** A montage of squares cut from the image on a regular grid (about a
   tenth of its pixels) is encoded at up to four qualities, bisecting towards the target on
   the scale log(1 - SSIM), where WebP's quality curve is nearest a straight line. Windows
   across the seams between squares do not count.
2. **Encode the whole image** at the quality the montage predicts for the target plus a
   small margin, and score it. Its score measures how far the montage's curve sits from the
   image's (a near-constant offset on that scale), and the next quality is read off the
   corrected curve; once one quality passes and one fails, off the line between them. It
   stops at a pass close enough to the target, or when a lower quality would save too little
   to be worth an encode; the smallest passing encoding is kept. Should quality 100 fall
   short (chroma subsampling on fine colour detail), lossless is the answer: it meets any
   target.
3. **Drawings are stored losslessly.** Drawings, diagrams, screenshots and scans (mostly runs
   of identical pixels) are encoded losslessly, and with their colours reduced to a palette of
   256 ("near-lossless": what pngquant does, then WebP's lossless coder) when that meets the
   target, else exactly. Lossy coding is not tried on them: it blurs text and rings along
   edges where a mean SSIM hardly looks. An offline poster at quality 8 scored 0.956 over its
   drawn windows and 0.989 over all, its letters and circle edges visibly ringing, at 11.3 KB
   against the palette's 13.8 KB.

What meets the target is decided on `quality.SsimReference`, with its `PRECISION` added, so
the exact SSIM meets it too. A drawing's palette is judged where it is drawn (`where_drawn`:
windows of blank ground do not count). Alpha is kept only where the image has some (`convert`
drops an opaque alpha), and is scored as seen, over white.

The search itself knows nothing of WebP: it is given an `Encoder` (an image at a quality 0-100
as bytes), so the same search chooses the AVIF and JPEG variants the portal serves to browsers
that take AVIF or cannot take WebP (`choose_lossy`, `imaging/variants.py`).
"""

from __future__ import annotations

import io
import itertools
import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Final

import numpy as np
from PIL import Image

from eduportal.domain.images import EncodingMode
from eduportal.imaging.codec import encode
from eduportal.imaging.quality import PRECISION, WINDOW, SsimReference

LOWEST_QUALITY: Final = 0
HIGHEST_QUALITY: Final = 100
LOSSLESS_EFFORT: Final = 80
"""libwebp's lossless effort ("quality" when lossless), its default: 100 saves under 1 % on
the benchmark's drawings for a third more time."""
PALETTE_COLOURS: Final = 256
GRAPHIC_RUNS: Final = 0.8
"""The share of pixels identical to their left neighbour from which an image is treated as a
drawing: photographs carry noise and gradients (scikit-image's: 0.1-0.3, up to 0.6 for the
low-contrast moon), drawings, scans and screenshots are mostly flat (0.93-0.99 on the
benchmark's)."""
MARGIN: Final = 0.003
"""How far above the target the prediction aims: the montage's SSIM is an estimate, and a
full encode that misses costs a second one."""
CLOSE_ENOUGH: Final = 0.006
"""A full encode this close above the target is kept: a lower quality would save a few per
cent at the cost of another encode."""
SAMPLE_SHARE: Final = 0.1
SAMPLE_TILE: Final = 32
FIRST_SAMPLE_QUALITY: Final = 75
SAMPLE_STEP: Final = 15
SAMPLE_RESOLUTION: Final = 4
MAX_FULL_ENCODES: Final = 4
MAX_SAMPLE_ENCODES: Final = 4
WORTH_A_STEP: Final = 3
"""Qualities a lower encoding must save to be tried: WebP's bytes fall about 2 % a step, so
fewer are not worth an encode."""
_TYPICAL_SLOPE: Final = -0.03
"""d log(1 - SSIM) / d quality, about WebP's between qualities 30 and 90 on photographs, for
a sample of one point."""


Encoder = Callable[[Image.Image, int], bytes]
"""An image at a quality (0 smallest .. 100 best) as bytes: all the search varies."""


def webp_encoder(method: int) -> Encoder:
    """Lossy WebP at libwebp effort `method`, without EXIF or XMP."""
    return lambda image, quality: encode(
        image, "WEBP", quality=quality, method=method, exif=b"", xmp=b""
    )


@dataclass(frozen=True, slots=True)
class Chosen:
    """The encoding kept, and what it took to find it."""

    data: bytes
    mode: EncodingMode
    quality: int | None
    """The encoder's quality setting (0-100) for lossy encodings; None for lossless ones."""
    ssim: float | None
    """Against the image encoded; None at a fixed quality, which measures nothing."""
    encodes: int
    """Encodings of the whole image made, the kept one included (the search's cost)."""


@dataclass(frozen=True, slots=True)
class WebpPolicy:
    """How every WebP the portal stores is encoded, the image and its thumbnails alike: the
    smallest that keeps `ssim_target` (`choose_webp`), or at the fixed `quality` when the
    target is None (`EDUPORTAL_SSIM_TARGET=off`)."""

    quality: int
    method: int
    """libwebp's effort (0 fast .. 6 slow)."""
    ssim_target: float | None

    def encode(self, image: Image.Image) -> Chosen:
        """`image` (RGB or RGBA) as WebP, without EXIF or XMP."""
        if self.ssim_target is None:
            data = webp_encoder(self.method)(image, self.quality)
            return Chosen(data, EncodingMode.LOSSY, self.quality, None, 1)
        return choose_webp(image, self.ssim_target, method=self.method)


@dataclass(frozen=True, slots=True)
class _Point:
    quality: int
    ssim: float


def choose_webp(image: Image.Image, target: float, *, method: int) -> Chosen:
    """The smallest WebP of `image` (RGB or RGBA) whose SSIM meets `target`."""
    if min(image.size) < WINDOW:  # no SSIM window fits (a thumbnail of a long strip)
        return _lossless(image)
    montage = _montage(image)
    threshold = target + PRECISION
    if is_graphic(montage):
        return _drawing(image, SsimReference(image, where_drawn=True), threshold)
    lossy = _lossy(image, montage, SsimReference(image), threshold, webp_encoder(method))
    # None: quality 100 fell short (rare: chroma subsampling on fine colour detail), and
    # lossless always meets the target.
    return lossy or _lossless(image)


def choose_lossy(image: Image.Image, target: float, encoder: Encoder) -> Chosen | None:
    """The smallest encoding of a photograph-like `image` by `encoder` whose SSIM meets
    `target`, by the same search as WebP's; None when quality 100 falls short, or no SSIM
    window fits. The caller decides what drawings get (`is_graphic`)."""
    if min(image.size) < WINDOW:
        return None
    return _lossy(image, _montage(image), SsimReference(image), target + PRECISION, encoder)


def sample_of(image: Image.Image) -> Image.Image:
    """The montage the search predicts on (about a tenth of the pixels): what `is_graphic`
    is asked of."""
    return _montage(image)


def is_graphic(image: Image.Image) -> bool:
    """Mostly runs of identical pixels: a drawing, diagram, screenshot or scan. Asked of the
    montage (a tenth of the pixels), which tells as well."""
    pixels = np.asarray(image)
    if pixels.shape[1] < 2:
        return False
    same = pixels[:, 1:] == pixels[:, :-1]
    runs = same.all(axis=2) if same.ndim == 3 else same
    return float(runs.mean()) >= GRAPHIC_RUNS


def _lossless(image: Image.Image) -> Chosen:
    return Chosen(_lossless_bytes(image), EncodingMode.LOSSLESS, None, 1.0, 1)


def _lossless_bytes(image: Image.Image) -> bytes:
    return encode(
        image, "WEBP", lossless=True, quality=LOSSLESS_EFFORT, method=4, exif=b"", xmp=b""
    )


def _drawing(image: Image.Image, reference: SsimReference, threshold: float) -> Chosen:
    """A drawing with its colours reduced to a palette when that meets `threshold`, else
    exactly. The palette is tried first, as it is the smaller: fewer colours to code (half
    the bytes of the exact encoding on the benchmark's posters, 0.6-0.8 on its diagram and
    screenshot), and it spares the exact encoding, the slowest part (160 ms on a poster)."""
    palette = _palette(image)
    if palette is not None:
        data = _lossless_bytes(palette)
        similarity = reference.score(_decode(data))
        if similarity >= threshold:
            return Chosen(data, EncodingMode.NEAR_LOSSLESS, None, similarity, 1)
        return replace(_lossless(image), encodes=2)
    return _lossless(image)


def _palette(image: Image.Image) -> Image.Image | None:
    """`image` with its colours reduced to `PALETTE_COLOURS`, or None when it has no more
    than that (lossless already indexes it) or has alpha (the quantizer would flatten it)."""
    if image.mode != "RGB" or image.getcolors(PALETTE_COLOURS) is not None:
        return None
    reduced = image.quantize(
        PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    )
    return reduced.convert("RGB")


def _lossy(
    image: Image.Image,
    montage: Image.Image,
    reference: SsimReference,
    threshold: float,
    encoder: Encoder,
) -> Chosen | None:
    """The smallest lossy encoding meeting `threshold` found, or None when none does."""
    goal = threshold + MARGIN
    sample = _sample_curve(montage, goal, encoder)
    quality: int | None = _quality_for(sample, goal, offset=0.0)
    tried: list[_Point] = []
    kept: Chosen | None = None
    while quality is not None and len(tried) < MAX_FULL_ENCODES:
        data = encoder(image, quality)
        point = _Point(quality, reference.score(_decode(data)))
        tried.append(point)
        if point.ssim >= threshold:
            if kept is None or len(data) < len(kept.data):
                kept = Chosen(data, EncodingMode.LOSSY, quality, point.ssim, 0)
            if point.ssim < threshold + CLOSE_ENOUGH:
                break
        quality = _next_quality(tried, sample, threshold)
    return None if kept is None else replace(kept, encodes=len(tried))


def _sample_curve(montage: Image.Image, goal: float, encoder: Encoder) -> list[_Point]:
    """SSIM against quality on the montage: a few encodes, bisecting towards the quality
    that reaches `goal`, so the points bracket it."""
    reference = SsimReference(montage, tile=SAMPLE_TILE)
    points: list[_Point] = []
    quality: int | None = FIRST_SAMPLE_QUALITY
    while quality is not None and len(points) < MAX_SAMPLE_ENCODES:
        data = encoder(montage, quality)
        points.append(_Point(quality, reference.score(_decode(data))))
        quality = _bisect(points, goal)
    return points


def _montage(image: Image.Image) -> Image.Image:
    """About `SAMPLE_SHARE` of the image's pixels, as squares taken on a regular grid."""
    width, height = image.size
    tile = min(SAMPLE_TILE, width, height)
    wanted = max(4, round(width * height * SAMPLE_SHARE / tile**2))
    columns = max(1, min(width // tile, round(math.sqrt(wanted * width / height))))
    rows = max(1, min(height // tile, math.ceil(wanted / columns)))
    montage = Image.new(image.mode, (columns * tile, rows * tile))
    for row in range(rows):
        for column in range(columns):
            left = round((column + 0.5) * width / columns - tile / 2)
            top = round((row + 0.5) * height / rows - tile / 2)
            left, top = min(max(0, left), width - tile), min(max(0, top), height - tile)
            square = image.crop((left, top, left + tile, top + tile))
            montage.paste(square, (column * tile, row * tile))
    return montage


def _loss(ssim: float) -> float:
    """log(1 - SSIM): the scale on which WebP's quality curve is nearest a straight line."""
    return math.log(max(1.0 - ssim, 1e-6))


def _bisect(points: list[_Point], goal: float) -> int | None:
    """The sample's next quality: between the two tried qualities that bracket `goal`
    (interpolated on the loss scale), or a step beyond the end tried; None when the bracket
    is narrow enough or an end of the scale is reached."""
    passing = [p for p in points if p.ssim >= goal]
    failing = [p for p in points if p.ssim < goal]
    if passing and failing:
        high = min(passing, key=lambda p: p.quality)
        low = max(failing, key=lambda p: p.quality)
        if high.quality - low.quality <= SAMPLE_RESOLUTION:
            return None
        guess = _crossing(low, high, goal)
        return min(max(guess, low.quality + 1), high.quality - 1)
    if passing:
        lowest = min(p.quality for p in passing)
        return None if lowest <= LOWEST_QUALITY else max(LOWEST_QUALITY, lowest - SAMPLE_STEP)
    highest = max(p.quality for p in failing)
    return None if highest >= HIGHEST_QUALITY else min(HIGHEST_QUALITY, highest + SAMPLE_STEP)


def _crossing(low: _Point, high: _Point, goal: float) -> int:
    """Where the line through `low` and `high` on the loss scale reaches `goal`."""
    span = _loss(high.ssim) - _loss(low.ssim)
    share = (_loss(goal) - _loss(low.ssim)) / span if span else 0.5
    return low.quality + math.ceil(share * (high.quality - low.quality))


def _sample_loss(sample: list[_Point], quality: int) -> float:
    """The sample's loss at `quality`: interpolated between its two points around it, or
    extrapolated along its nearest end's slope (the typical slope when it has one point)."""
    ordered = sorted({p.quality: p for p in sample}.values(), key=lambda p: p.quality)
    if len(ordered) == 1:
        return _loss(ordered[0].ssim) + _TYPICAL_SLOPE * (quality - ordered[0].quality)
    pairs = list(itertools.pairwise(ordered))
    low, high = next(((low, high) for low, high in pairs if quality <= high.quality), pairs[-1])
    slope = (_loss(high.ssim) - _loss(low.ssim)) / (high.quality - low.quality)
    return _loss(low.ssim) + min(slope, 0.0) * (quality - low.quality)


def _quality_for(sample: list[_Point], goal: float, *, offset: float) -> int:
    """The lowest quality at which the sample's curve, shifted by `offset` on the loss
    scale, reaches `goal`: the sample's curve is the whole image's up to a near-constant
    offset, which one full encode measures."""
    wanted = _loss(goal)
    for quality in range(LOWEST_QUALITY, HIGHEST_QUALITY + 1):
        if _sample_loss(sample, quality) + offset <= wanted:
            return quality
    return HIGHEST_QUALITY


def _next_quality(tried: list[_Point], sample: list[_Point], threshold: float) -> int | None:
    """The next whole-image quality, aiming `MARGIN` above `threshold`, or None when the
    tried ones settle it: a passing one too close to a failing one, or to what a lower
    quality could save, or an end of the scale reached in the direction needed."""
    goal = threshold + MARGIN
    passing = [p for p in tried if p.ssim >= threshold]
    failing = [p for p in tried if p.ssim < threshold]
    best = min(passing, key=lambda p: p.quality) if passing else None
    worst = max(failing, key=lambda p: p.quality) if failing else None
    if best is not None and worst is not None:  # bracketed: the line between them
        guess = _crossing(worst, best, goal)
        guess = min(max(guess, worst.quality + 1), best.quality - 1)
        return None if best.quality - guess < WORTH_A_STEP else guess
    last = tried[-1]
    offset = _loss(last.ssim) - _sample_loss(sample, last.quality)
    guess = _quality_for(sample, goal, offset=offset)
    if best is not None:  # passed with room to spare: lower, if that saves enough
        return guess if best.quality - guess >= WORTH_A_STEP else None
    assert worst is not None  # failed: higher
    return None if worst.quality >= HIGHEST_QUALITY else max(guess, worst.quality + 1)


def _decode(data: bytes) -> Image.Image:
    decoded = Image.open(io.BytesIO(data))
    decoded.load()
    return decoded
