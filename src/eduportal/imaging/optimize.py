"""Requirement 6: every image the portal keeps is WebP, at most 1024 px, without metadata.

Steps, in this order because each depends on the one before:
1. probe: refuse oversized or non-image input from the header (a `ValidationError`);
2. estimate the memory decoding and converting will take, from the header: refuse it over the
   per-image limit, else reserve it from the process-wide decode gate (waiting, or `BusyError`
   when the wait is too long), so concurrent uploads cannot exhaust memory together;
3. decode, with JPEG's DCT scaling (`draft`) so big photos decode at a fraction of the cost;
   input that does not decode completely (truncated, corrupt) is refused as damaged;
4. bring every mode (palette, LA, CMYK, 16-bit, ICC-tagged) to 8-bit sRGB `RGB` or `RGBA`
   and fit within `max_dimension` keeping the aspect ratio, never upscaling, one band of rows
   at a time (`imaging.convert`); then apply the EXIF orientation;
5. encode WebP without EXIF, XMP or ICC.

Requirement 6.4 ("upload the original and log a warning") is read as follows. Damaged input is
invalid input: input that does not decode completely (Pillow raises for a truncated PNG, JPEG,
GIF, TIFF or WebP, and for corrupt PNG data) is refused with a clear sentence and never
stored, since storing it byte for byte would publish whatever it carries, GPS EXIF included.
The fallback applies only to an image that decoded fully and then failed to encode as WebP:
the decoded, sRGB-converted and fitted image is stored re-encoded losslessly as PNG
(`optimized=False`) and a warning logged. Even then what is stored carries no EXIF, XMP, ICC
or text chunks. It is the fitted image, not a full-size one, because the full-size converted
image is never built (that is what bounds memory) and at most 1024 px is requirement 6 too.
A PNG whose pixel data is complete but whose trailer (IEND, a CRC) is missing or broken
decodes completely and is accepted. A JPEG whose entropy-coded data is corrupt but complete
decodes with visible blocks: libjpeg reports that only as a warning Pillow does not surface.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, replace
from typing import Final

from PIL import Image

from eduportal.domain.errors import BusyError, ValidationError
from eduportal.domain.image_records import THUMBNAIL_SIZES
from eduportal.domain.images import ImageFigures, compression_ratio
from eduportal.imaging.codec import encode
from eduportal.imaging.convert import fit_to_srgb
from eduportal.imaging.decode_budget import DecodePlan, estimate_bytes, plan_decode
from eduportal.imaging.decode_gate import DecodeGate
from eduportal.imaging.encoding_choice import WebpPolicy
from eduportal.imaging.lqip import placeholder_of
from eduportal.imaging.picture import Picture
from eduportal.imaging.probe import DAMAGED, ProbedImage, check_bytes, probe, probe_image
from eduportal.imaging.thumbnails import thumbnails, thumbnails_of
from eduportal.imaging.variants import Variant, VariantPolicy, stand_in

log = logging.getLogger(__name__)

MiB: Final = 1024 * 1024
WEBP_METHOD: Final = 4
"""libwebp's effort (0 fast .. 6 slow), libwebp's default. `make bench` on real photographs:
methods 0-2 encode in 0.4-0.6 of the time but give 3-29 % more bytes at lower SSIM (2 is the
one to try if encoding CPU ever binds); 5 and 6 take 1.2x and 3.3x the time, and the 1-5 %
they save mostly comes with lower SSIM (figures in bench/README.md)."""
SSIM_TARGET: Final = 0.95
"""The luma SSIM every stored image keeps against its fitted source (`EDUPORTAL_SSIM_TARGET`):
requirement 6's "no visible quality loss", the figure its property test holds fixed quality
85 to (bench/README.md, quality per image)."""

MAX_DECODE_BYTES: Final = 512 * MiB
"""Per-image default (`EDUPORTAL_MAX_DECODE_MB`): a PNG or JPEG of any mode at the default
50-megapixel limit needs at most about 280 MiB; WebP and AVIF, whose decoders copy the whole
frame, are admitted up to about 30 and 38 megapixels."""
DECODE_POOL_BYTES: Final = 1024 * MiB
"""Process-wide default (`EDUPORTAL_DECODE_MEMORY_MB`): two images at the per-image limit at
once, one per core of the 2-core reference server; lighter images run more at a time."""

UNPROCESSABLE: Final = (
    "We could not process this image. Please save it as PNG or JPEG and upload it again."
)
_OUT_OF_MEMORY: Final = "The server is short of memory right now. Please try again in a minute."


@dataclass(frozen=True, slots=True)
class OptimizedImage:
    data: bytes
    content_type: str
    extension: str
    figures: ImageFigures
    original_format: str
    optimized: bool
    """False when WebP encoding failed and `data` is the image as lossless PNG (6.4)."""
    fallback_reason: str | None = None
    thumbnails: Mapping[int, bytes] | None = None
    """`THUMBNAIL_SIZES` thumbnails made from the fitted pixels `data` encodes, when asked
    for; None when not asked, or when making them failed (`thumbnails` can still make them
    from `data`)."""


class ImageOptimizer:
    def __init__(
        self,
        *,
        max_dimension: int = 1024,
        quality: int = 85,
        method: int = WEBP_METHOD,
        ssim_target: float | None = SSIM_TARGET,
        max_bytes: int = 25 * MiB,
        max_pixels: int = 50_000_000,
        max_decode_bytes: int = MAX_DECODE_BYTES,
        gate: DecodeGate | None = None,
    ) -> None:
        """`gate` is the process's one decode gate; without it the optimizer has its own.
        Without `ssim_target`, every WebP is encoded at the fixed `quality`."""
        self.max_dimension = max_dimension
        self.webp = WebpPolicy(quality=quality, method=method, ssim_target=ssim_target)
        # Variants keep the target even when WebP is at a fixed quality: no AVIF or JPEG
        # quality corresponds to a WebP one.
        self.variant_policy = VariantPolicy(ssim_target or SSIM_TARGET)
        self.max_bytes = max_bytes
        self.max_pixels = max_pixels
        self.max_decode_bytes = max_decode_bytes
        self.gate = gate or DecodeGate(max(DECODE_POOL_BYTES, max_decode_bytes))
        if self.gate.capacity_bytes < max_decode_bytes:
            raise ValueError("the decode pool must hold at least one image at the limit")
        # Threads for the parts of one image's work that can run beside the rest (a picture's
        # own encoding, the thumbnails): Pillow releases the GIL while it encodes WebP.
        self._workers = ThreadPoolExecutor(thread_name_prefix="image-work")

    def optimize(self, data: bytes, *, thumbnails: bool = False) -> OptimizedImage:
        """With `thumbnails`, also the thumbnails of the fitted image (`OptimizedImage`)."""
        probed, plan, cost = self._admit(data)
        with self.gate.reserve(cost + self._thumbnails_cost(plan, thumbnails)):
            try:
                return self._optimize(probed, plan, lambda: data, thumbnails=thumbnails)
            except MemoryError as exc:
                # The estimate fell short, or the machine did: trying later may succeed.
                raise BusyError(_OUT_OF_MEMORY, detail=f"out of memory: {exc!r}") from None

    def optimize_picture(self, picture: Picture, *, thumbnails: bool = False) -> OptimizedImage:
        """`optimize(picture.data())`, the same result byte for byte, without decoding what
        was just encoded: the pixels are fitted and encoded as they are, with the checks
        and the memory reservation the bytes would get. The picture is still encoded, for
        the figures (they describe the generator's bytes), but on another thread while the
        WebP encoder runs, which releases the GIL: it costs the request no time."""
        checked = probe_image(picture.image, picture.format, max_pixels=self.max_pixels)
        plan, cost = self._plan(checked)
        copy_bytes = checked.width * checked.height * 4
        with self.gate.reserve(cost + copy_bytes + self._thumbnails_cost(plan, thumbnails)):
            # A copy to encode: fitting may close the image, and Pillow keeps a save's
            # options on the image object, so two threads never save the same one.
            encoding = self._workers.submit(picture.encode, picture.image.copy())

            def original() -> bytes:
                data = encoding.result()
                check_bytes(data, max_bytes=self.max_bytes)
                return data

            try:
                return self._optimize(checked, plan, original, thumbnails=thumbnails)
            except MemoryError as exc:
                raise BusyError(_OUT_OF_MEMORY, detail=f"out of memory: {exc!r}") from None
            finally:
                wait([encoding])  # nothing outlives the memory reserved for it

    def verify(self, data: bytes) -> ProbedImage:
        """Refuse what `optimize` would refuse because of the input itself (steps 1 to 3:
        not an image, over the limits, not decoding completely), without encoding anything:
        the pipeline's validation. JPEGs decode at their reduced scale, so this costs a
        fraction of `optimize`."""
        probed, plan, cost = self._admit(data)
        with self.gate.reserve(cost):
            try:
                _decode(probed, plan)
            except MemoryError as exc:
                raise BusyError(_OUT_OF_MEMORY, detail=f"out of memory: {exc!r}") from None
        return probed

    def thumbnails(self, optimized: bytes) -> dict[int, bytes]:
        """The thumbnails of every stored image (`THUMBNAIL_SIZES`), made from its optimized
        version with this optimizer's gate and WebP settings, by size."""
        return thumbnails(
            optimized, THUMBNAIL_SIZES, gate=self.gate, webp=self.webp, executor=self._workers
        )

    def variants(self, stored: bytes) -> tuple[Variant, ...]:
        """The AVIF and fallback variants of a stored WebP (`imaging.variants`), decoded
        under this optimizer's gate."""
        return self.variant_policy.make(stored, gate=self.gate)

    def stand_in(self, stored: bytes) -> Variant:
        """A JPEG or PNG of a stored WebP made at once (`imaging.variants.stand_in`)."""
        return stand_in(stored, gate=self.gate)

    def _admit(self, data: bytes) -> tuple[ProbedImage, DecodePlan, int]:
        found = probe(data, max_bytes=self.max_bytes, max_pixels=self.max_pixels)
        return (found, *self._plan(found))

    def _plan(self, probed: ProbedImage) -> tuple[DecodePlan, int]:
        plan = plan_decode(probed, self.max_dimension)
        cost = estimate_bytes(plan)
        if cost > self.max_decode_bytes:
            raise ValidationError(
                f"This image needs too much memory to process (about {cost / MiB:.0f} MB; "
                f"the limit is {self.max_decode_bytes / MiB:.0f} MB). "
                "Please use a smaller image.",
                detail=f"{plan.format} {plan.mode} {plan.size[0]}x{plan.size[1]}: "
                f"estimated {cost} bytes, limit {self.max_decode_bytes}",
            )
        return plan, cost

    def _thumbnails_cost(self, plan: DecodePlan, thumbnails: bool) -> int:
        """A copy of the fitted image per thumbnail size, made beside the encode."""
        width, height = plan.output_size
        return width * height * 4 * len(THUMBNAIL_SIZES) if thumbnails else 0

    def _optimize(
        self,
        probed: ProbedImage,
        plan: DecodePlan,
        original: Callable[[], bytes],
        *,
        thumbnails: bool,
    ) -> OptimizedImage:
        """`original()` gives the input's bytes, asked for only once the WebP is encoded.

        The thumbnails are made from the fitted image on another thread while it is encoded
        (the encoder releases the GIL), so they cost no time: made from the stored WebP they
        waited for it and its decoding, a quarter of creating an assignment. They show what
        the stored image shows (bench/README.md, hot paths: SSIM against the source at least
        that of thumbnails of the decoded WebP) and are the same bytes when `data` is the
        lossless PNG of the fallback. The placeholder is made from the fitted pixels too,
        before they are encoded: about a hundredth of the optimization's time
        (`python -m bench.placeholder`)."""
        image = _prepare(probed, plan)
        made = (
            self._workers.submit(thumbnails_of, image, THUMBNAIL_SIZES, webp=self.webp, owned=False)
            if thumbnails
            else None
        )
        try:
            placeholder = placeholder_of(image)
            try:
                chosen = self.webp.encode(image)
            except (OSError, ValueError) as exc:
                fallback = _fallback(original(), probed, image, exc)
                return replace(
                    fallback,
                    figures=replace(fallback.figures, placeholder=placeholder),
                    thumbnails=_made(made),
                )
            figures = _figures(original(), chosen.data, "webp", image)
            return OptimizedImage(
                data=chosen.data,
                content_type="image/webp",
                extension="webp",
                figures=replace(
                    figures,
                    quality=chosen.quality,
                    mode=chosen.mode.value,
                    ssim=None if chosen.ssim is None else round(chosen.ssim, 4),
                    placeholder=placeholder,
                ),
                original_format=probed.format.lower(),
                optimized=True,
                thumbnails=_made(made),
            )
        finally:
            if made is not None:
                wait([made])  # nothing outlives the memory reserved for it


def _made(thumbnails: Future[dict[int, bytes]] | None) -> dict[int, bytes] | None:
    """The thumbnails, or None (logged) when they could not be made: a failure costs only
    them, and whoever stores the image can make them from its bytes instead."""
    if thumbnails is None:
        return None
    try:
        return thumbnails.result()
    except Exception:  # an encoder's own error as much as ours: the image stands alone
        log.warning("thumbnails not made from the fitted image", exc_info=True)
        return None


def _decode(probed: ProbedImage, plan: DecodePlan) -> Image.Image:
    """Decode completely, or refuse the input as damaged."""
    image = probed.image
    if plan.draft_request is not None:
        # Decode at the smallest DCT scale that still covers the target: 2-8x less work.
        image.draft("RGB", plan.draft_request)
    try:
        image.load()
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ValidationError(DAMAGED, detail=f"decoding failed: {exc}") from None
    return image


def _prepare(probed: ProbedImage, plan: DecodePlan) -> Image.Image:
    """Decode completely, then convert and fit; every failure becomes a sentence for the user."""
    image = _decode(probed, plan)
    try:
        return fit_to_srgb(image, plan)
    except (OSError, ValueError) as exc:
        raise ValidationError(UNPROCESSABLE, detail=f"converting failed: {exc}") from None


def _fallback(
    data: bytes, probed: ProbedImage, image: Image.Image, exc: BaseException
) -> OptimizedImage:
    """Requirement 6.4 for an image that decoded fully: lossless PNG, without any metadata."""
    reason = f"{type(exc).__name__}: {exc}"
    try:
        encoded = encode(image, "PNG")
    except (OSError, ValueError) as second:
        raise ValidationError(
            UNPROCESSABLE, detail=f"WebP failed ({reason}); PNG failed ({second!r})"
        ) from None
    log.warning(
        "image optimization failed; storing it as PNG without metadata",
        extra={"original_format": probed.format, "reason": reason, "bytes": len(data)},
    )
    return OptimizedImage(
        data=encoded,
        content_type="image/png",
        extension="png",
        figures=_figures(data, encoded, "png", image),
        original_format=probed.format.lower(),
        optimized=False,
        fallback_reason=reason,
    )


def _figures(data: bytes, encoded: bytes, fmt: str, image: Image.Image) -> ImageFigures:
    return ImageFigures(
        original_size_bytes=len(data),
        optimized_size_bytes=len(encoded),
        compression_ratio=compression_ratio(len(data), len(encoded)),
        format=fmt,
        dimensions=f"{image.width}x{image.height}",
    )
