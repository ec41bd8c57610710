"""What choosing the WebP quality per image saves against fixed quality 85, and what it costs.

The optimizer no longer encodes every image at quality 85: `encoding_choice.choose_webp` looks
for the smallest WebP whose luma SSIM keeps `SSIM_TARGET` (0.95) against the fitted source,
and tries lossless and a 256-colour palette on drawings. That is a claim in three parts, and
only measurement can back it:

- **bytes**: photographs come out at most 0.85 of quality 85's bytes, drawings, diagrams,
  screenshots and scans at most 0.5 (flat colours and sharp edges are what lossless and
  palette coding do well and a lossy quality 85 does expensively);
- **quality**: every output keeps SSIM 0.95 or is lossless, where quality 85 does not always
  (a dense star field falls below it);
- **time**: the search costs at most twice quality 85's time (median over the inputs), since
  it encodes a sample a few times and the whole image once or twice.

It also shows what the AVIF variants the portal serves to browsers that take AVIF save at the
same SSIM, and what they cost: chosen by the production search (`imaging.variants`, the same
search as WebP's, given AVIF's encoder), skipped for drawings as production skips them.

Three sets of inputs, all made or shipped offline: the photographs bundled in scikit-image,
synthetic photographs and the portal's offline posters, and line art drawn here (a diagram,
text, scans, a screenshot, a logo with a transparent ground). Each goes in as PNG bytes, as an
upload would. Every output is judged against the pixels the optimizer encodes (its own fit,
through the same public functions), so SSIM measures the codec and nothing else. Everything runs
in one process, and the cases compared alternate round by round (bench.optimizer's
`interleaved`), so machine noise falls on all of them alike. Figures are printed and written to
bench/results/image_quality.json; bench/README.md reads them.
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from functools import partial
from pathlib import Path
from typing import Any, Final

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont, features
from skimage import data as skimage_data
from skimage import filters

from bench.optimizer import (
    Timing,
    contention,
    interleaved,
    machine,
    machine_cpu_seconds,
    print_contention,
    print_table,
    write,
)
from eduportal.adapters.local.poster import compose, render
from eduportal.domain.images import EncodingMode
from eduportal.imaging.codec import encode
from eduportal.imaging.convert import fit_to_srgb
from eduportal.imaging.decode_budget import plan_decode
from eduportal.imaging.encoding_choice import (
    LOSSLESS_EFFORT,
    PALETTE_COLOURS,
    Chosen,
    choose_lossy,
    choose_webp,
    is_graphic,
    sample_of,
)
from eduportal.imaging.optimize import SSIM_TARGET, WEBP_METHOD, ImageOptimizer
from eduportal.imaging.probe import probe
from eduportal.imaging.quality import PRECISION, ssim
from eduportal.imaging.synthetic import photo_like
from eduportal.imaging.variants import AVIF_SPEED, avif_encoder

RESULTS: Final = Path(__file__).resolve().parent / "results"

_FIXED: Final = ImageOptimizer(ssim_target=None)
MAX_DIMENSION: Final = _FIXED.max_dimension
FIXED_QUALITY: Final = _FIXED.webp.quality
TARGET: Final = SSIM_TARGET
THRESHOLD: Final = TARGET + PRECISION
"""What an encoding must score to count as meeting the target: the optimizer's own rule
(float32 SSIM plus its possible error), which the production search applies to every codec, so
WebP and AVIF face the same bar."""

PHOTOGRAPHIC: Final = "photographic"
SYNTHETIC: Final = "synthetic"
LINE_ART: Final = "line art"
SETS: Final = (PHOTOGRAPHIC, SYNTHETIC, LINE_ART)

BYTES_GOALS: Final = {PHOTOGRAPHIC: 0.85, LINE_ART: 0.5}
"""Per-image bytes / fixed q85 bytes, summed over the set; the synthetic set has no goal (its
posters are drawings and its photo_like scenes are grain, so it is neither kind)."""
TIME_GOAL: Final = 2.0
"""Median over all inputs of per-image / fixed q85 wall time, per optimize call."""

PHOTOS: Final = (
    "astronaut",
    "camera",
    "chelsea",
    "coffee",
    "coins",
    "hubble_deep_field",
    "immunohistochemistry",
    "moon",
    "rocket",
    "retina",
    "grass",
    "gravel",
    "brick",
    "cell",
    "clock",
)
"""The photographs bundled in the scikit-image wheel (nothing is downloaded)."""
SYNTHETIC_SIZES: Final = (1024, 2048)
SYNTHETIC_SEEDS: Final = (0, 1)
POSTER_TEXTS: Final = {
    "science": (
        "Photosynthesis is the process by which green plants make their own food. Leaves take "
        "in carbon dioxide through tiny pores called stomata, roots draw up water, and the "
        "chlorophyll in chloroplasts captures the energy of sunlight to make glucose. Oxygen "
        "is released into the air as a by-product."
    ),
    "history": (
        "In 1215 King John of England faced a revolt by his barons, who were angry about heavy "
        "taxes and unfair justice. At Runnymede, a meadow beside the River Thames, he sealed "
        "a charter later known as Magna Carta: no free man could be imprisoned without the "
        "lawful judgement of his peers."
    ),
    "geography": (
        "Rivers shape the land they flow through. In the mountains a young river cuts a steep "
        "V-shaped valley; lower down it widens, meanders across a flood plain and drops its "
        "sediment. Where it meets the sea it may build a delta of sand and silt, like the "
        "Nile's or the Mississippi's."
    ),
}


@dataclass(frozen=True, slots=True)
class Plan:
    """Timing rounds per input. The bytes, SSIM, modes and AVIF qualities do not depend on
    it: a quick run finds the same ones as a full run, only its timings are noisy."""

    warmups: int
    runs: int


FULL: Final = Plan(warmups=1, runs=5)
QUICK: Final = Plan(warmups=0, runs=1)


@dataclass(frozen=True, slots=True)
class Source:
    name: str
    set: str
    png: bytes
    drawn: bool = False
    """Drawn rather than photographed (the line art, the posters): the lossless encodings
    `choose_webp` weighs for drawings are reported beside its choice."""


@dataclass(frozen=True, slots=True)
class FixedResult:
    """`ImageOptimizer(ssim_target=None)`: WebP at quality 85, what the portal did before."""

    bytes: int
    ssim: float
    meets_target: bool
    time: Timing


@dataclass(frozen=True, slots=True)
class ChosenResult:
    """`ImageOptimizer()`: the WebP chosen for the SSIM target."""

    bytes: int
    mode: str | None
    quality: int | None
    ssim_reported: float | None
    """`figures.ssim`, as the optimizer records it (rounded to 4 places)."""
    ssim: float
    """Computed here, from the decoded output against the fitted source."""
    exact: bool
    """The decoded pixels equal the source's (RGB under fully transparent pixels excepted)."""
    meets_target: bool
    """SSIM at least the target, or exact."""
    encodes: int
    """Full-image encodes `choose_webp` made, the kept one included."""
    same_as_direct_choice: bool
    """`choose_webp` called on the fitted source gave the optimizer's bytes: the encode count
    (read from that call) belongs to the output measured."""
    alpha: str
    """"none" (the source is opaque), "kept", "kept, changed" or "LOST"."""
    alpha_max_error: int | None
    time: Timing
    choose_time: Timing
    """`choose_webp` alone on the fitted image: the choice without decoding and fitting."""


@dataclass(frozen=True, slots=True)
class AvifResult:
    """The AVIF variant production chooses (`choose_lossy` with `avif_encoder`), judged here
    against the fitted source like the WebP, so both are at the same SSIM. Production makes
    it from the stored WebP and keeps it only when smaller (`kept`)."""

    quality: int
    bytes: int
    ssim: float
    """Computed here, from the decoded AVIF against the fitted source."""
    encodes: int
    """Full-image encodes the search made, the kept one included."""
    bytes_vs_chosen: float
    """AVIF bytes / the chosen WebP's bytes."""
    kept: bool
    """Smaller than the WebP: production stores it (else the WebP serves AVIF browsers)."""
    choice: Timing
    choice_vs_webp_choice: float
    """The AVIF search's wall p50 / `choose_webp`'s: what a variant costs against the WebP
    the request waits for (the variant is made in the background)."""
    choice_cpu_vs_webp_choice: float
    encode_vs_q85: float
    """One AVIF encode at the chosen quality / one WebP q85 encode, wall p50: codec against
    codec."""


@dataclass(frozen=True, slots=True)
class Alternatives:
    """The lossless encodings of a drawing, beside the one chosen: when a lossy one is smaller
    and meets the target it wins, and only SSIM says whether that is right."""

    lossless_bytes: int
    palette_bytes: int | None
    """Colours reduced to `PALETTE_COLOURS`, then lossless, as `choose_webp` does; None when
    the image has no more colours than that (lossless indexes it already) or has alpha."""
    palette_ssim: float | None


@dataclass(frozen=True, slots=True)
class Row:
    input: str
    set: str
    source_dimensions: str
    dimensions: str
    png_bytes: int
    fixed: FixedResult
    chosen: ChosenResult
    bytes_vs_fixed: float
    time_vs_fixed: float
    """Per-image / fixed q85, optimize wall p50."""
    cpu_vs_fixed: float
    q85_encode: Timing
    """One WebP q85 encode of the fitted image (no decoding, no fitting)."""
    avif: AvifResult | None
    alternatives: Alternatives | None
    """For drawn inputs only."""


@dataclass(frozen=True, slots=True)
class SetSummary:
    set: str
    inputs: int
    png_bytes: int
    fixed_bytes: int
    chosen_bytes: int
    bytes_vs_fixed: float
    """Summed over the set: per-image bytes / fixed q85 bytes."""
    bytes_goal: float | None
    fixed_below_target: int
    chosen_below_target: int
    """Outputs below the target that are not exact: the goal is none."""
    median_time_vs_fixed: float
    median_cpu_vs_fixed: float
    total_time_vs_fixed: float
    """Summed p50 wall times: per-image / fixed q85."""
    mean_encodes: float
    modes: dict[str, int]
    lossy_qualities: list[int]
    alpha_lost: int
    avif_inputs: int
    """Inputs with an AVIF at the target: the photographic ones (production makes none for
    drawings), unless quality 100 fell short."""
    avif_kept: int
    """Of those, the AVIFs smaller than the WebP, which production stores."""
    avif_bytes_vs_chosen: float | None
    """Summed over those inputs: AVIF bytes / chosen WebP bytes."""
    avif_median_choice_vs_webp: float | None
    avif_median_choice_cpu_vs_webp: float | None
    avif_median_encode_vs_q85: float | None


@dataclass(frozen=True, slots=True)
class Goal:
    goal: str
    figure: str
    met: bool


# Inputs


def bundled(name: str) -> NDArray[Any]:
    """An image shipped in the scikit-image wheel (no download), typed."""
    loader: Callable[[], NDArray[Any]] = getattr(skimage_data, name)
    return loader()


def png_bytes(image: Image.Image) -> bytes:
    return encode(image, "PNG")


def photographic() -> list[Source]:
    """scikit-image's photographs, grey ones as RGB, as a camera's or a scanner's PNG would be."""
    return [
        Source(name, PHOTOGRAPHIC, png_bytes(Image.fromarray(bundled(name)).convert("RGB")))
        for name in PHOTOS
    ]


def synthetic() -> list[Source]:
    """`photo_like` scenes (1/f statistics and grain) and the offline posters the portal draws
    for a text: a gradient ground, flat shapes and bold type."""
    sources = [
        Source(f"photo_like {size} seed {seed}", SYNTHETIC, png_bytes(photo_like(size, size, seed)))
        for size in SYNTHETIC_SIZES
        for seed in SYNTHETIC_SEEDS
    ]
    sources += [
        Source(f"poster {subject}", SYNTHETIC, png_bytes(render(compose(text))), drawn=True)
        for subject, text in POSTER_TEXTS.items()
    ]
    return sources


def line_art() -> list[Source]:
    """Drawn here, deterministically, or bundled with scikit-image: what a teacher uploads
    besides photographs."""
    drawings = {
        "diagram": diagram(),
        "text, black on white": text_page((1000, 480), "white"),
        "text, pale ground": text_page((800, 520), "#fdf3d7"),
        "page scan, bilevel 2x": page_scan(),
        "horse, bilevel": horse(),
        "logo, opaque RGBA": Image.fromarray(bundled("logo")),
        "logo, transparent ground": transparent_logo(),
        "UI screenshot 1280x800": screenshot(),
    }
    return [
        Source(name, LINE_ART, png_bytes(image), drawn=True) for name, image in drawings.items()
    ]


Font = ImageFont.FreeTypeFont | ImageFont.ImageFont


def font(size: int) -> Font:
    """Pillow's bundled default font (Aileron, with FreeType), so nothing depends on the
    machine's fonts."""
    return ImageFont.load_default(size)


def arrow(draw: ImageDraw.ImageDraw, start: tuple[int, int], end: tuple[int, int]) -> None:
    """A line with a filled head at `end`."""
    draw.line([start, end], fill="#333333", width=3)
    (x0, y0), (x1, y1) = start, end
    length = max(1.0, float(np.hypot(x1 - x0, y1 - y0)))
    ux, uy = (x1 - x0) / length, (y1 - y0) / length
    head = [
        (x1, y1),
        (round(x1 - 14 * ux + 7 * uy), round(y1 - 14 * uy - 7 * ux)),
        (round(x1 - 14 * ux - 7 * uy), round(y1 - 14 * uy + 7 * ux)),
    ]
    draw.polygon(head, fill="#333333")


def diagram() -> Image.Image:
    """A flow diagram: boxes in two flat colours, arrows, labels; white ground."""
    image = Image.new("RGB", (1024, 640), "white")
    draw = ImageDraw.Draw(image)
    label = font(20)
    boxes = {
        "Sunlight": (60, 60, 260, 140),
        "Water": (60, 280, 260, 360),
        "Carbon dioxide": (60, 500, 260, 580),
        "Chloroplast": (410, 260, 630, 380),
        "Glucose": (780, 160, 980, 240),
        "Oxygen": (780, 400, 980, 480),
    }
    for name, box in boxes.items():
        fill = "#cfe8ff" if name != "Chloroplast" else "#c8f0c8"
        draw.rectangle(box, fill=fill, outline="#1f4e79", width=3)
        draw.text(((box[0] + box[2]) // 2, (box[1] + box[3]) // 2), name, "black", label, "mm")
    for source, y in (("Sunlight", 285), ("Water", 320), ("Carbon dioxide", 355)):
        box = boxes[source]
        arrow(draw, (box[2], (box[1] + box[3]) // 2), (410, y))
    for product in ("Glucose", "Oxygen"):
        box = boxes[product]
        arrow(draw, (630, 320), (box[0], (box[1] + box[3]) // 2))
    draw.text((512, 610), "Figure 1. Photosynthesis", "#333333", font(18), "mm")
    return image


PARAGRAPHS: Final = (
    "Rivers shape the land they flow through. In the mountains a young river is fast and "
    "narrow, and it cuts down into its bed, leaving a steep valley shaped like the letter V.",
    "Further downstream the slope eases. The river widens, slows and begins to swing from side "
    "to side in loops called meanders, wearing away the outside of each bend and leaving sand "
    "and gravel on the inside.",
    "When it floods, the river spreads over the flat land on either side and drops the fine "
    "silt it carries. Over centuries these layers build a flood plain, some of the most fertile "
    "farmland there is.",
    "Where the river meets the sea it slows for the last time. If the tides are weak, its "
    "sediment piles up faster than the waves can carry it away, and a delta grows out from the "
    "coast.",
    "Questions: 1. Why is a young river's valley steep? 2. Where does a meander wear away its "
    "bank? 3. Name two rivers with a delta.",
)


def wrapped(paragraph: str, face: Font, width: int) -> list[str]:
    """`paragraph` in lines no wider than `width` pixels, broken between words."""
    lines: list[str] = []
    for word in paragraph.split():
        if lines and face.getlength(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


def text_page(size: tuple[int, int], ground: str) -> Image.Image:
    """Paragraphs of black text wrapped to the width, as a worksheet or a scanned-in PDF page
    would be once rendered."""
    image = Image.new("RGB", size, ground)
    draw = ImageDraw.Draw(image)
    body = font(20)
    margin, line_height = 40, 28
    y = margin
    draw.text((margin, y), "Rivers and their valleys", "black", font(30))
    y += 56
    for paragraph in PARAGRAPHS:
        for line in wrapped(paragraph, body, size[0] - 2 * margin):
            if y + line_height > size[1] - margin:
                return image
            draw.text((margin, y), line, "black", body)
            y += line_height
        y += line_height // 2
    return image


def page_scan() -> Image.Image:
    """scikit-image's scanned page thresholded to black and white (local threshold: its
    lighting is uneven) and doubled with NEAREST, as a bilevel scan at a higher resolution."""
    page = bundled("page")
    local: Callable[..., NDArray[np.float64]] = filters.threshold_local
    ink = page > local(page, block_size=35, offset=10)
    bilevel = Image.fromarray(ink).convert("1")
    return bilevel.resize((bilevel.width * 2, bilevel.height * 2), Image.Resampling.NEAREST)


def horse() -> Image.Image:
    """The bundled silhouette (True is the ground) as a 1-bit image, black on white."""
    return Image.fromarray(bundled("horse")).convert("1")


def transparent_logo() -> Image.Image:
    """scikit-image's logo with its white ground (the white connected to the corner) made
    transparent: the logo as shipped is RGBA but wholly opaque, which the optimizer rightly
    flattens to RGB, so this is the input that shows whether alpha survives."""
    pixels = bundled("logo").copy()
    mask = Image.fromarray(np.where(pixels[..., :3].min(axis=2) >= 250, 255, 0).astype(np.uint8))
    mask = mask.copy()  # fromarray's image shares numpy's buffer read-only: drawing skips it
    ImageDraw.floodfill(mask, (0, 0), 128)  # only the white reached from the corner
    pixels[..., 3] = np.where(np.asarray(mask) == 128, 0, 255).astype(np.uint8)
    return Image.fromarray(pixels, "RGBA")


def screenshot() -> Image.Image:
    """A web application's page: title bar, sidebar, cards, a table, buttons and progress
    bars, in flat colours, at a laptop's 1280x800 (so the optimizer resizes it)."""
    image = Image.new("RGB", (1280, 800), "#f5f7fa")
    draw = ImageDraw.Draw(image)
    small, body, heading = font(14), font(16), font(22)
    draw.rectangle((0, 0, 1280, 56), fill="#1f3a5f")
    draw.text((24, 28), "EduPortal  ·  Assignments", "white", heading, "lm")
    draw.ellipse((1220, 12, 1252, 44), fill="#f2b134")
    draw.rectangle((0, 56, 220, 800), fill="#e9edf2")
    for index, item in enumerate(("Dashboard", "Assignments", "Students", "Grades", "Settings")):
        top = 80 + index * 44
        if index == 1:
            draw.rectangle((0, top - 6, 220, top + 30), fill="#d3dbe6")
        draw.text((28, top + 12), item, "#1f2937", body, "lm")
    for index, title in enumerate(("Photosynthesis", "Magna Carta", "Rivers")):
        left = 250 + index * 338
        draw.rounded_rectangle((left, 80, left + 318, 250), 8, fill="white", outline="#d0d5dd")
        draw.text((left + 16, 104), title, "#111827", heading, "lm")
        draw.text((left + 16, 140), f"{12 + 5 * index} questions · due Friday", "#6b7280", small)
        draw.rectangle((left + 16, 180, left + 302, 190), fill="#e5e7eb")
        draw.rectangle((left + 16, 180, left + 16 + 90 * (index + 1), 190), fill="#22a06b")
        draw.rounded_rectangle((left + 16, 206, left + 126, 238), 6, fill="#2563eb")
        draw.text((left + 71, 222), "Open", "white", body, "mm")
    draw.rounded_rectangle((250, 280, 1250, 770), 8, fill="white", outline="#d0d5dd")
    for column, name in enumerate(("Student", "Assignment", "Score", "Submitted")):
        draw.text((276 + column * 240, 312), name, "#374151", body, "lm")
    draw.line((266, 336, 1234, 336), fill="#d0d5dd", width=2)
    for row in range(10):
        top = 344 + row * 40
        if row % 2:
            draw.rectangle((266, top, 1234, top + 40), fill="#f8fafc")
        cells = [
            f"Student {row + 1:02d}",
            ("Photosynthesis", "Magna Carta", "Rivers")[row % 3],
            f"{55 + (row * 37) % 45} %",
            f"2026-11-{10 + row:02d}",
        ]
        for column, cell in enumerate(cells):
            draw.text((276 + column * 240, top + 20), cell, "#111827", body, "lm")
    return image


def sources(sets: Sequence[str]) -> list[Source]:
    makers: dict[str, Callable[[], list[Source]]] = {
        PHOTOGRAPHIC: photographic,
        SYNTHETIC: synthetic,
        LINE_ART: line_art,
    }
    return [source for name in sets for source in makers[name]()]


# Measuring


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def fitted(png: bytes) -> Image.Image:
    """The pixels the optimizer encodes: its own probe, plan and fit (the public functions its
    `optimize` calls), so an output is judged against exactly what it was made from."""
    found = probe(png, max_bytes=_FIXED.max_bytes, max_pixels=_FIXED.max_pixels)
    plan = plan_decode(found, MAX_DIMENSION)
    found.image.load()
    return fit_to_srgb(found.image, plan)


def exact(reference: Image.Image, output: Image.Image) -> bool:
    """Lossless, as seen: every pixel equal, except the colour of fully transparent pixels
    (libwebp's lossless coder may change what nobody can see)."""
    if reference.mode != output.mode or reference.size != output.size:
        return False
    want, got = np.asarray(reference), np.asarray(output)
    if reference.mode != "RGBA":
        return bool(np.array_equal(want, got))
    visible = want[..., 3] > 0
    return bool(np.array_equal(want[..., 3], got[..., 3])) and bool(
        np.array_equal(want[visible], got[visible])
    )


def alpha(reference: Image.Image, output: Image.Image) -> tuple[str, int | None]:
    """Whether the output keeps the source's transparency, and its largest alpha error."""
    if reference.mode != "RGBA":
        return ("none" if output.mode != "RGBA" else "added"), None
    if output.mode != "RGBA":
        return "LOST", None
    want = np.asarray(reference.getchannel("A"), dtype=np.int16)
    got = np.asarray(output.getchannel("A"), dtype=np.int16)
    error = int(np.abs(want - got).max())
    return ("kept" if error == 0 else "kept, changed"), error


def luma_ssim(reference: Image.Image, output: Image.Image) -> float:
    """SSIM of an output against its fitted source, which must be the output's size: a
    reference fitted differently would charge the codec for the resampling."""
    if output.size != reference.size:
        raise AssertionError(f"output {output.size} is not the fitted size {reference.size}")
    return ssim(reference, output)


def alternatives(reference: Image.Image) -> Alternatives:
    """Encoded as `choose_webp` encodes its lossless candidates (the same public settings)."""
    lossless = encode(reference, "WEBP", lossless=True, quality=LOSSLESS_EFFORT, method=4)
    if reference.mode != "RGB" or reference.getcolors(PALETTE_COLOURS) is not None:
        return Alternatives(len(lossless), None, None)
    reduced = reference.quantize(
        PALETTE_COLOURS, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE
    ).convert("RGB")
    palette = encode(reduced, "WEBP", lossless=True, quality=LOSSLESS_EFFORT, method=4)
    return Alternatives(len(lossless), len(palette), round(ssim(reference, decode(palette)), 5))


def measure(source: Source, plan: Plan, chosen_optimizer: ImageOptimizer) -> Row:
    """One input through both optimizers, checked against its fitted source, then timed with
    the codec-only cases in alternating rounds."""
    reference = fitted(source.png)
    fixed_out = _FIXED.optimize(source.png)
    chosen_out = chosen_optimizer.optimize(source.png)
    fixed_pixels, chosen_pixels = decode(fixed_out.data), decode(chosen_out.data)
    direct: Chosen = choose_webp(reference, TARGET, method=WEBP_METHOD)
    fixed_ssim = luma_ssim(reference, fixed_pixels)
    chosen_ssim = luma_ssim(reference, chosen_pixels)  # unrounded: compared with the target
    is_exact = exact(reference, chosen_pixels)
    alpha_status, alpha_error = alpha(reference, chosen_pixels)

    # As production: none for a drawing, whose WebP is lossless (imaging/variants.py).
    photographic = not is_graphic(sample_of(reference))
    found_avif = None
    if features.check("avif") and photographic:
        found_avif = choose_lossy(reference, TARGET, avif_encoder())

    cases: dict[str, Callable[[], object]] = {
        "fixed": partial(_FIXED.optimize, source.png),
        "chosen": partial(chosen_optimizer.optimize, source.png),
        "choose_webp": partial(choose_webp, reference, TARGET, method=WEBP_METHOD),
        "q85 encode": partial(encode, reference, "WEBP", quality=FIXED_QUALITY, method=WEBP_METHOD),
    }
    if found_avif is not None and found_avif.quality is not None:
        cases["avif choice"] = partial(choose_lossy, reference, TARGET, avif_encoder())
        cases["avif encode"] = partial(avif_encoder(), reference, found_avif.quality)
    timings = interleaved(cases, warmups=plan.warmups, runs=plan.runs)

    avif_result = None
    if found_avif is not None and found_avif.quality is not None:
        avif_choice, webp_choice = timings["avif choice"], timings["choose_webp"]
        avif_result = AvifResult(
            quality=found_avif.quality,
            bytes=len(found_avif.data),
            ssim=round(luma_ssim(reference, decode(found_avif.data)), 5),
            encodes=found_avif.encodes,
            bytes_vs_chosen=round(len(found_avif.data) / len(chosen_out.data), 4),
            kept=len(found_avif.data) < len(chosen_out.data),
            choice=avif_choice,
            choice_vs_webp_choice=round(avif_choice.p50_ms / webp_choice.p50_ms, 3),
            choice_cpu_vs_webp_choice=round(avif_choice.cpu_p50_ms / webp_choice.cpu_p50_ms, 3),
            encode_vs_q85=round(timings["avif encode"].p50_ms / timings["q85 encode"].p50_ms, 3),
        )
    figures = chosen_out.figures
    fixed_time, chosen_time = timings["fixed"], timings["chosen"]
    return Row(
        input=source.name,
        set=source.set,
        source_dimensions="x".join(map(str, decode(source.png).size)),
        dimensions=figures.dimensions,
        png_bytes=len(source.png),
        fixed=FixedResult(
            bytes=len(fixed_out.data),
            ssim=round(fixed_ssim, 5),
            meets_target=fixed_ssim >= TARGET,
            time=fixed_time,
        ),
        chosen=ChosenResult(
            bytes=len(chosen_out.data),
            mode=figures.mode,
            quality=figures.quality,
            ssim_reported=figures.ssim,
            ssim=round(chosen_ssim, 5),
            exact=is_exact,
            meets_target=is_exact or chosen_ssim >= TARGET,
            encodes=direct.encodes,
            same_as_direct_choice=direct.data == chosen_out.data,
            alpha=alpha_status,
            alpha_max_error=alpha_error,
            time=chosen_time,
            choose_time=timings["choose_webp"],
        ),
        bytes_vs_fixed=round(len(chosen_out.data) / len(fixed_out.data), 4),
        time_vs_fixed=round(chosen_time.p50_ms / fixed_time.p50_ms, 3),
        cpu_vs_fixed=round(chosen_time.cpu_p50_ms / fixed_time.cpu_p50_ms, 3),
        q85_encode=timings["q85 encode"],
        avif=avif_result,
        alternatives=alternatives(reference) if source.drawn else None,
    )


def summarize(name: str, rows: Sequence[Row]) -> SetSummary:
    fixed_bytes = sum(row.fixed.bytes for row in rows)
    chosen_bytes = sum(row.chosen.bytes for row in rows)
    with_avif = [row for row in rows if row.avif is not None]
    avif_results = [row.avif for row in with_avif if row.avif is not None]

    def median_or_none(values: Sequence[float]) -> float | None:
        return round(statistics.median(values), 3) if values else None

    return SetSummary(
        set=name,
        inputs=len(rows),
        png_bytes=sum(row.png_bytes for row in rows),
        fixed_bytes=fixed_bytes,
        chosen_bytes=chosen_bytes,
        bytes_vs_fixed=round(chosen_bytes / fixed_bytes, 4),
        bytes_goal=BYTES_GOALS.get(name),
        fixed_below_target=sum(not row.fixed.meets_target for row in rows),
        chosen_below_target=sum(not row.chosen.meets_target for row in rows),
        median_time_vs_fixed=round(statistics.median(row.time_vs_fixed for row in rows), 3),
        median_cpu_vs_fixed=round(statistics.median(row.cpu_vs_fixed for row in rows), 3),
        total_time_vs_fixed=round(
            sum(row.chosen.time.p50_ms for row in rows)
            / sum(row.fixed.time.p50_ms for row in rows),
            3,
        ),
        mean_encodes=round(statistics.mean(row.chosen.encodes for row in rows), 2),
        modes=dict(Counter(row.chosen.mode or "?" for row in rows)),
        lossy_qualities=sorted(
            row.chosen.quality for row in rows if row.chosen.quality is not None
        ),
        alpha_lost=sum(row.chosen.alpha == "LOST" for row in rows),
        avif_inputs=len(avif_results),
        avif_kept=sum(a.kept for a in avif_results),
        avif_bytes_vs_chosen=(
            round(sum(a.bytes for a in avif_results) / sum(r.chosen.bytes for r in with_avif), 4)
            if avif_results
            else None
        ),
        avif_median_choice_vs_webp=median_or_none([a.choice_vs_webp_choice for a in avif_results]),
        avif_median_choice_cpu_vs_webp=median_or_none(
            [a.choice_cpu_vs_webp_choice for a in avif_results]
        ),
        avif_median_encode_vs_q85=median_or_none([a.encode_vs_q85 for a in avif_results]),
    )


def goals(summaries: Sequence[SetSummary], overall: SetSummary) -> list[Goal]:
    found = [
        Goal(
            f"{summary.set}: bytes per-image / fixed q85 <= {summary.bytes_goal}",
            f"{summary.bytes_vs_fixed:.3f}",
            summary.bytes_vs_fixed <= summary.bytes_goal,
        )
        for summary in summaries
        if summary.bytes_goal is not None
    ]
    found.append(
        Goal(
            f"every per-image output SSIM >= {TARGET} or lossless",
            f"{overall.inputs - overall.chosen_below_target}/{overall.inputs}",
            overall.chosen_below_target == 0,
        )
    )
    found.append(
        Goal(
            "no transparency lost",
            f"{overall.alpha_lost} lost",
            overall.alpha_lost == 0,
        )
    )
    found.append(
        Goal(
            f"median time per-image / fixed q85 <= {TIME_GOAL}",
            f"{overall.median_time_vs_fixed:.2f}",
            overall.median_time_vs_fixed <= TIME_GOAL,
        )
    )
    return found


# Report


def chosen_label(row: Row) -> str:
    if row.chosen.mode == EncodingMode.LOSSY.value:
        return f"q{row.chosen.quality}"
    return row.chosen.mode or "?"


def print_rows(rows: Sequence[Row]) -> None:
    print_table(
        f"Per image: bytes and SSIM (fixed q{FIXED_QUALITY} against the choice for SSIM "
        f">= {TARGET}; x = per-image / fixed)",
        [
            "input",
            "set",
            "out size",
            f"q{FIXED_QUALITY} bytes",
            f"q{FIXED_QUALITY} SSIM",
            "chosen",
            "bytes",
            "x",
            "SSIM",
            "reported",
            "encodes",
            "alpha",
            "meets",
        ],
        [
            [
                row.input,
                row.set,
                row.dimensions,
                str(row.fixed.bytes),
                f"{row.fixed.ssim:.4f}" + ("" if row.fixed.meets_target else " (below)"),
                chosen_label(row),
                str(row.chosen.bytes),
                f"{row.bytes_vs_fixed:.3f}",
                f"{row.chosen.ssim:.4f}",
                "-" if row.chosen.ssim_reported is None else f"{row.chosen.ssim_reported:.4f}",
                str(row.chosen.encodes),
                row.chosen.alpha,
                ("exact" if row.chosen.exact else "yes") if row.chosen.meets_target else "NO",
            ]
            for row in rows
        ],
    )
    print_table(
        "Per image: time (wall p50 ms, CPU p50 ms) and the AVIF variant at SSIM >= "
        f"{TARGET} (x AVIF = AVIF / chosen WebP bytes; choice x = AVIF search / choose_webp)",
        [
            "input",
            f"q{FIXED_QUALITY} ms",
            "chosen ms",
            "x wall",
            "x cpu",
            "choose ms",
            "AVIF",
            "AVIF bytes",
            "x AVIF",
            "choice ms",
            "choice cpu ms",
            "choice x",
        ],
        [
            [
                row.input,
                f"{row.fixed.time.p50_ms:.1f}",
                f"{row.chosen.time.p50_ms:.1f}",
                f"{row.time_vs_fixed:.2f}",
                f"{row.cpu_vs_fixed:.2f}",
                f"{row.chosen.choose_time.p50_ms:.1f}",
                *avif_cells(row.avif),
            ]
            for row in rows
        ],
    )


def print_alternatives(rows: Sequence[Row]) -> None:
    table = []
    for row in rows:
        found = row.alternatives
        if found is None:
            continue
        table.append(
            [
                row.input,
                chosen_label(row),
                str(row.chosen.bytes),
                f"{row.chosen.ssim:.4f}",
                str(found.lossless_bytes),
                "-" if found.palette_bytes is None else str(found.palette_bytes),
                optional(found.palette_ssim, 4),
            ]
        )
    print_table(
        "Drawn inputs: the encoding chosen against lossless and the 256-colour palette "
        "(palette '-': at most 256 colours, or alpha)",
        ["input", "chosen", "bytes", "SSIM", "lossless bytes", "palette bytes", "palette SSIM"],
        table,
    )


def avif_cells(result: AvifResult | None) -> list[str]:
    if result is None:
        return ["-"] * 6
    return [
        f"q{result.quality} ({result.encodes})" + ("" if result.kept else " not kept"),
        str(result.bytes),
        f"{result.bytes_vs_chosen:.3f}",
        f"{result.choice.p50_ms:.1f}",
        f"{result.choice.cpu_p50_ms:.1f}",
        f"{result.choice_vs_webp_choice:.2f}",
    ]


def optional(value: float | None, digits: int = 3) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def print_summaries(summaries: Sequence[SetSummary]) -> None:
    print_table(
        "Summary per set (bytes summed; time ratios are medians over the inputs, per-image / "
        f"fixed q{FIXED_QUALITY}; the AVIF variants' bytes against the chosen WebPs', their "
        f"search against choose_webp's, one AVIF encode against one q{FIXED_QUALITY} encode)",
        [
            "set",
            "inputs",
            "bytes x",
            "goal",
            f"q{FIXED_QUALITY} < {TARGET}",
            f"chosen < {TARGET}",
            "time x",
            "cpu x",
            "encodes",
            "modes",
            "AVIF kept",
            "AVIF bytes x",
            "AVIF choice x",
            "AVIF choice cpu x",
            f"AVIF enc x q{FIXED_QUALITY}",
        ],
        [
            [
                summary.set,
                str(summary.inputs),
                f"{summary.bytes_vs_fixed:.3f}",
                optional(summary.bytes_goal, 2),
                str(summary.fixed_below_target),
                str(summary.chosen_below_target),
                f"{summary.median_time_vs_fixed:.2f}",
                f"{summary.median_cpu_vs_fixed:.2f}",
                f"{summary.mean_encodes:.2f}",
                ", ".join(f"{mode} {count}" for mode, count in sorted(summary.modes.items())),
                f"{summary.avif_kept}/{summary.avif_inputs}",
                optional(summary.avif_bytes_vs_chosen),
                optional(summary.avif_median_choice_vs_webp, 2),
                optional(summary.avif_median_choice_cpu_vs_webp, 2),
                optional(summary.avif_median_encode_vs_q85, 2),
            ]
            for summary in summaries
        ],
    )


def print_goals(found: Sequence[Goal]) -> None:
    print_table(
        "Goals",
        ["goal", "figure", "verdict"],
        [[goal.goal, goal.figure, "PASS" if goal.met else "FAIL"] for goal in found],
    )


def run(plan: Plan) -> dict[str, object]:
    start = (time.perf_counter(), time.process_time(), machine_cpu_seconds())
    chosen_optimizer = ImageOptimizer()
    rows: list[Row] = []
    for source in sources(SETS):
        row = measure(source, plan, chosen_optimizer)
        rows.append(row)
        print(
            f"{row.input}: {chosen_label(row)}, {row.bytes_vs_fixed:.3f} of q{FIXED_QUALITY}'s "
            f"bytes, SSIM {row.chosen.ssim:.4f}",
            flush=True,
        )
    print_rows(rows)
    print_alternatives(rows)
    summaries = [summarize(name, [row for row in rows if row.set == name]) for name in SETS]
    overall = summarize("all", rows)
    print_summaries([*summaries, overall])
    found = goals(summaries, overall)
    print_goals(found)
    if not features.check("avif"):
        print("\nAVIF skipped: this Pillow cannot encode it")
    measured = contention(*start)
    print_contention(measured)
    return {
        "machine": machine(),
        "contention": asdict(measured),
        "settings": {
            "max_dimension": MAX_DIMENSION,
            "fixed_quality": FIXED_QUALITY,
            "ssim_target": TARGET,
            "threshold": THRESHOLD,
            "webp_method": WEBP_METHOD,
            "avif_speed": AVIF_SPEED,
            "bytes_goals": BYTES_GOALS,
            "time_goal": TIME_GOAL,
            "plan": asdict(plan),
        },
        "goals": [asdict(goal) for goal in found],
        "all_goals_met": all(goal.met for goal in found),
        "sets": [asdict(summary) for summary in [*summaries, overall]],
        "inputs": [asdict(row) for row in rows],
    }


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.image_quality",
        description="Compare the optimizer's per-image WebP quality (the smallest WebP keeping "
        f"luma SSIM >= {TARGET}, lossless tried on drawings) with fixed quality "
        f"{FIXED_QUALITY}, on photographs, synthetic images and line art made offline: bytes, "
        "SSIM, encoding mode, full encodes, wall and CPU time, and AVIF at the same SSIM. "
        "Prints tables, checks the goals (photographs <= 0.85 of q85's bytes, line art <= "
        "0.5, every output at the target or lossless, median time <= 2x) and writes the "
        "figures as JSON; exits 1 when a goal is missed. A full run takes about 2.5 "
        "minutes on 2 cores.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="one timed round per input and no warm-up (about 1.5 minutes): the same inputs, "
        "bytes, SSIM and choices as a full run, but timings too noisy to quote. Writes "
        "image_quality-quick.json unless --output is given, so the full results stay.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help=f"where to write the JSON (default: {RESULTS / 'image_quality.json'})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    plan = QUICK if args.quick else FULL
    path: Path = args.output or RESULTS / (
        "image_quality-quick.json" if args.quick else "image_quality.json"
    )
    report = run(plan)
    write(report, path)
    print(f"\nwrote {path}")
    return 0 if report["all_goals_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
