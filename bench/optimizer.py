"""What ImageOptimizer costs next to Pillow alone, and whether its WebP settings pay off.

`eduportal.imaging.optimize` makes two claims that only measurement can back: its own steps
(probe, orientation, colour checks) add at most 10 % to Pillow doing the same decode, resize and
encode, and WebP method 4 is the right effort. This also shows what AVIF would save and cost at
the same SSIM. Synthetic photographs give any size from a seed; a few real photographs from
scikit-image keep the size and quality figures honest. The optimizer runs at its fixed quality
(`ssim_target=None`), the work Pillow alone is compared with; the quality chosen per image is
bench/image_quality.py's. Everything runs in one process, and
the cases being compared alternate round by round, so machine noise falls on all of them alike.
Figures are printed and written to bench/results/optimizer.json; bench/README.md reads them.
"""

from __future__ import annotations

import argparse
import gc
import io
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from functools import partial
from itertools import cycle
from pathlib import Path
from typing import Any, Final

import numpy as np
import PIL
from PIL import Image, features
from skimage import data as skimage_data

from eduportal.imaging.codec import encode
from eduportal.imaging.optimize import WEBP_METHOD, ImageOptimizer
from eduportal.imaging.quality import ssim
from eduportal.imaging.synthetic import photo_like

RESULTS: Final = Path(__file__).resolve().parent / "results"
GOAL: Final = 1.10
"""The optimizer's median time may be at most 10 % above Pillow's alone on the same input."""

_DEFAULTS: Final = ImageOptimizer(ssim_target=None)
MAX_DIMENSION: Final = _DEFAULTS.max_dimension
QUALITY: Final = _DEFAULTS.webp.quality
SIZES: Final = (1024, 2048)
SEEDS: Final = (0, 1, 2)
METHODS: Final = tuple(range(7))
AVIF_SPEEDS: Final = (6, 8)
"""6 is Pillow's default; 8 shows what a faster libaom setting costs in bytes."""
BUSY_SHARE: Final = 0.05
"""Other processes may use this much of one CPU during a run before its timings are suspect."""
REAL_PHOTOS: Final = ("astronaut", "coffee", "chelsea", "retina")
"""Photographs bundled in the scikit-image wheel: nothing to download."""


@dataclass(frozen=True, slots=True)
class Plan:
    """Iteration counts. AVIF gets fewer runs because one encode takes about half a second."""

    warmups: int
    runs: int
    method_runs: int
    avif_runs: int


FULL: Final = Plan(warmups=3, runs=20, method_runs=15, avif_runs=7)
QUICK: Final = Plan(warmups=1, runs=3, method_runs=2, avif_runs=2)


@dataclass(frozen=True, slots=True)
class Timing:
    runs: int
    p50_ms: float
    p95_ms: float
    cpu_p50_ms: float
    """Process CPU time: above the wall time when the codec runs threads (libaom, dav1d)."""
    per_second: float
    """Timed runs divided by their total wall time."""


@dataclass(frozen=True, slots=True)
class Output:
    """One input through the optimizer, judged against Pillow alone and the fitted source."""

    input: str
    dimensions: str
    png_bytes: int
    webp_bytes: int
    size_ratio: float
    """WebP bytes / PNG bytes."""
    compression_ratio: float
    """As the optimizer reports it: the fraction of bytes saved."""
    ssim: float
    baseline_webp_bytes: int
    identical_to_baseline: bool


@dataclass(frozen=True, slots=True)
class PipelineCase:
    input: str
    optimizer: Timing
    baseline: Timing
    png_decode: Timing
    optimizer_over_baseline: float
    """Ratio of the p50 times; the goal is at most GOAL."""
    png_decode_share_of_baseline: float
    size_ratio: float
    compression_ratio: float
    baseline_size_ratio: float
    baseline_compression_ratio: float
    outputs: list[Output]


@dataclass(frozen=True, slots=True)
class MethodRow:
    method: int
    bytes: int
    ssim: float
    encode: Timing | None


@dataclass(frozen=True, slots=True)
class MethodTable:
    input: str
    rows: list[MethodRow]


@dataclass(frozen=True, slots=True)
class AvifPoint:
    quality: int
    bytes: int
    ssim: float


@dataclass(frozen=True, slots=True)
class AvifMatch:
    """The AVIF quality whose SSIM is closest to WebP's from above, at one speed."""

    speed: int
    quality: int
    bytes: int
    ssim: float
    meets_target: bool
    bytes_vs_webp: float
    encode: Timing
    decode: Timing
    searched: list[AvifPoint]


@dataclass(frozen=True, slots=True)
class AvifComparison:
    input: str
    webp_bytes: int
    webp_ssim: float
    webp_encode: Timing
    webp_decode: Timing
    matches: list[AvifMatch]


@dataclass(frozen=True, slots=True)
class Contention:
    """CPU that other processes took during the run. Interleaving shares their noise fairly
    between the cases compared, but it still inflates every figure and starves libaom's
    second thread, so a run where they took much should not be quoted."""

    run_seconds: float
    other_cpu_seconds: float | None
    """From /proc/stat, so None off Linux."""
    quotable: bool | None


# Timing


def interleaved(
    cases: Mapping[str, Callable[[], object]], *, warmups: int, runs: int
) -> dict[str, Timing]:
    """Time the cases round by round, reversing their order every other round, so that noise
    (other processes, frequency scaling, cache state) lands on all of them alike instead of
    on whichever happened to run during it."""
    names = list(cases)
    walls: dict[str, list[float]] = {name: [] for name in names}
    cpus: dict[str, list[float]] = {name: [] for name in names}
    gc.collect()
    gc.disable()  # as timeit does: a collection would charge one case for all of them
    try:
        for round_ in range(warmups + runs):
            for name in names if round_ % 2 == 0 else names[::-1]:
                wall, cpu = time.perf_counter(), time.process_time()
                cases[name]()
                wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                if round_ >= warmups:
                    walls[name].append(wall * 1000)
                    cpus[name].append(cpu * 1000)
    finally:
        gc.enable()
    return {name: summary(walls[name], cpus[name]) for name in names}


def summary(walls: Sequence[float], cpus: Sequence[float]) -> Timing:
    p50, p95 = (float(value) for value in np.percentile(walls, [50, 95]))
    return Timing(
        runs=len(walls),
        p50_ms=round(p50, 2),
        p95_ms=round(p95, 2),
        cpu_p50_ms=round(statistics.median(cpus), 2),
        per_second=round(len(walls) * 1000 / sum(walls), 2),
    )


def rotating(function: Callable[[bytes], object], inputs: Sequence[bytes]) -> Callable[[], object]:
    """Each call takes the next input, so cases built on the same inputs meet the same seed in
    the same round."""
    upcoming = cycle(inputs)
    return lambda: function(next(upcoming))


# Images and codecs


def decode(data: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    image.load()
    return image


def fit(image: Image.Image) -> Image.Image:
    """The reference an output is judged against: the optimizer's size, without codec loss."""
    fitted = image.copy()
    fitted.thumbnail((MAX_DIMENSION, MAX_DIMENSION), Image.Resampling.LANCZOS)
    return fitted


def webp(image: Image.Image, method: int = WEBP_METHOD) -> bytes:
    return encode(image, "WEBP", quality=QUALITY, method=method)


def avif(image: Image.Image, quality: int, speed: int) -> bytes:
    return encode(image, "AVIF", quality=quality, speed=speed)


def baseline(png: bytes) -> bytes:
    """Pillow alone doing what the optimizer does to a PNG photo: the floor its steps add to."""
    image = decode(png)
    image.thumbnail((MAX_DIMENSION, MAX_DIMENSION), Image.Resampling.LANCZOS)
    return webp(image)


def luma_ssim(reference: Image.Image, data: bytes) -> float:
    return round(ssim(reference, decode(data)), 5)


# 1-2: the optimizer against Pillow alone


def pipeline_case(size: int, pngs: Sequence[bytes], plan: Plan) -> PipelineCase:
    optimizer = ImageOptimizer(ssim_target=None)
    timings = interleaved(
        {
            "optimizer": rotating(optimizer.optimize, pngs),
            "baseline": rotating(baseline, pngs),
            "png_decode": rotating(decode, pngs),
        },
        warmups=plan.warmups,
        runs=plan.runs,
    )
    label = f"photo_like {size}"
    outputs = [output(f"{label} seed {seed}", png) for seed, png in zip(SEEDS, pngs, strict=True)]
    baseline_ratios = [out.baseline_webp_bytes / out.png_bytes for out in outputs]
    base = timings["baseline"].p50_ms
    return PipelineCase(
        input=label,
        optimizer=timings["optimizer"],
        baseline=timings["baseline"],
        png_decode=timings["png_decode"],
        optimizer_over_baseline=round(timings["optimizer"].p50_ms / base, 3),
        png_decode_share_of_baseline=round(timings["png_decode"].p50_ms / base, 3),
        size_ratio=round(statistics.mean(out.size_ratio for out in outputs), 4),
        compression_ratio=round(statistics.mean(out.compression_ratio for out in outputs), 4),
        baseline_size_ratio=round(statistics.mean(baseline_ratios), 4),
        baseline_compression_ratio=round(1 - statistics.mean(baseline_ratios), 4),
        outputs=outputs,
    )


def output(label: str, png: bytes) -> Output:
    result = ImageOptimizer(ssim_target=None).optimize(png)
    plain = baseline(png)
    return Output(
        input=label,
        dimensions=result.figures.dimensions,
        png_bytes=len(png),
        webp_bytes=len(result.data),
        size_ratio=round(len(result.data) / len(png), 4),
        compression_ratio=result.figures.compression_ratio,
        ssim=luma_ssim(fit(decode(png)), result.data),
        baseline_webp_bytes=len(plain),
        identical_to_baseline=result.data == plain,
    )


# 3: WebP effort


def method_table(label: str, image: Image.Image, plan: Plan | None) -> MethodTable:
    """Bytes and SSIM for every method; encode times only when a plan is given. What matters
    is how the methods' times compare, which the synthetic inputs show; timing the real
    photographs as well would add half a minute to the run."""
    timings: dict[str, Timing] = {}
    if plan is not None:
        timings = interleaved(
            {str(method): partial(webp, image, method) for method in METHODS},
            warmups=plan.warmups,
            runs=plan.method_runs,
        )
    rows = []
    for method in METHODS:
        data = webp(image, method)
        rows.append(MethodRow(method, len(data), luma_ssim(image, data), timings.get(str(method))))
    return MethodTable(label, rows)


# 4: AVIF at WebP's SSIM


def avif_search(image: Image.Image, speed: int, target: float) -> list[AvifPoint]:
    """Bisect qualities 0-100 for the lowest reaching the target SSIM: about 7 encodes, since
    SSIM rises with quality. Every point tried is kept, to show the curve around the match."""
    tried: dict[int, AvifPoint] = {}
    below, reached = -1, 101
    while reached - below > 1:
        quality = (below + reached) // 2
        data = avif(image, quality, speed)
        tried[quality] = AvifPoint(quality, len(data), luma_ssim(image, data))
        if tried[quality].ssim >= target:
            reached = quality
        else:
            below = quality
    return sorted(tried.values(), key=lambda point: point.quality)


def closest_from_above(points: Sequence[AvifPoint], target: float) -> AvifPoint:
    """At or just above the target, so AVIF never wins by looking worse; the best tried if
    no quality reaches it."""
    above = [point for point in points if point.ssim >= target]
    if above:
        return min(above, key=lambda point: point.ssim)
    return max(points, key=lambda point: point.ssim)


def avif_comparison(label: str, image: Image.Image, plan: Plan) -> AvifComparison:
    """Timed on the real photographs too: that is where AVIF saves bytes, so where its cost
    matters."""
    webp_data = webp(image)
    target = luma_ssim(image, webp_data)
    found: dict[int, tuple[AvifPoint, list[AvifPoint]]] = {}
    cases: dict[str, Callable[[], object]] = {
        "webp encode": partial(webp, image),
        "webp decode": partial(decode, webp_data),
    }
    for speed in AVIF_SPEEDS:
        searched = avif_search(image, speed, target)
        match = closest_from_above(searched, target)
        found[speed] = (match, searched)
        cases[f"avif {speed} encode"] = partial(avif, image, match.quality, speed)
        cases[f"avif {speed} decode"] = partial(decode, avif(image, match.quality, speed))
    timings = interleaved(cases, warmups=plan.warmups, runs=plan.avif_runs)
    matches = [
        AvifMatch(
            speed=speed,
            quality=match.quality,
            bytes=match.bytes,
            ssim=match.ssim,
            meets_target=match.ssim >= target,
            bytes_vs_webp=round(match.bytes / len(webp_data), 4),
            encode=timings[f"avif {speed} encode"],
            decode=timings[f"avif {speed} decode"],
            searched=searched,
        )
        for speed, (match, searched) in found.items()
    ]
    return AvifComparison(
        input=label,
        webp_bytes=len(webp_data),
        webp_ssim=target,
        webp_encode=timings["webp encode"],
        webp_decode=timings["webp decode"],
        matches=matches,
    )


# Report


def print_table(title: str, header: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    widths = [max(len(row[column]) for row in [header, *rows]) for column in range(len(header))]
    print(f"\n{title}")
    for row in [header, *rows]:
        cells = [
            cell.rjust(w) if i else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(row, widths, strict=True))
        ]
        print("  ".join(cells).rstrip())
    sys.stdout.flush()


def ms(timing: Timing | None, field: str = "p50_ms") -> str:
    return "-" if timing is None else f"{getattr(timing, field):.1f}"


def ratio(numerator: Timing | None, denominator: Timing | None) -> str:
    if numerator is None or denominator is None:
        return "-"
    return f"{numerator.p50_ms / denominator.p50_ms:.2f}"


def print_pipeline(cases: Sequence[PipelineCase], plan: Plan) -> None:
    rows = []
    for case in cases:
        for name, timing, size_ratio, compression in (
            ("optimizer", case.optimizer, case.size_ratio, case.compression_ratio),
            ("baseline", case.baseline, case.baseline_size_ratio, case.baseline_compression_ratio),
        ):
            rows.append(
                [
                    case.input,
                    name,
                    ms(timing),
                    ms(timing, "p95_ms"),
                    f"{timing.per_second:.2f}",
                    f"{size_ratio:.4f}",
                    f"{compression:.4f}",
                ]
            )
        rows.append(
            [
                case.input,
                "PNG decode",
                ms(case.png_decode),
                ms(case.png_decode, "p95_ms"),
                f"{case.png_decode.per_second:.2f}",
                "-",
                "-",
            ]
        )
    print_table(
        f"1-2. PNG in, WebP q{QUALITY} method {WEBP_METHOD} out, fit {MAX_DIMENSION}: "
        f"{plan.runs} timed runs per case after {plan.warmups} warm-up, seeds "
        f"{', '.join(map(str, SEEDS))} in turn",
        ["input", "case", "p50 ms", "p95 ms", "img/s", "out/in", "compression_ratio"],
        rows,
    )
    for case in cases:
        verdict = "within" if case.optimizer_over_baseline <= GOAL else "OVER"
        same = all(out.identical_to_baseline for out in case.outputs)
        print(
            f"{case.input}: optimizer/baseline p50 = {case.optimizer_over_baseline:.3f} "
            f"({verdict} the {GOAL:.2f} goal); PNG decoding is "
            f"{case.png_decode_share_of_baseline:.0%} of the baseline; "
            f"output identical to baseline's: {same}"
        )


def print_methods(tables: Sequence[MethodTable]) -> None:
    rows = []
    for table in tables:
        current = table.rows[WEBP_METHOD]
        for row in table.rows:
            rows.append(
                [
                    table.input,
                    str(row.method),
                    ms(row.encode),
                    ratio(row.encode, current.encode),
                    str(row.bytes),
                    f"{row.bytes / current.bytes - 1:+.2%}",
                    f"{row.ssim:.5f}",
                    f"{row.ssim - current.ssim:+.5f}",
                ]
            )
    print_table(
        f"3. WebP q{QUALITY} by method, fitted image (x, +/-: against method {WEBP_METHOD})",
        ["input", "method", "enc p50 ms", "time x", "bytes", "bytes", "SSIM", "dSSIM"],
        rows,
    )


def print_avif(comparisons: Sequence[AvifComparison]) -> None:
    rows = []
    for comparison in comparisons:
        rows.append(
            [
                comparison.input,
                f"WebP m{WEBP_METHOD}",
                str(QUALITY),
                str(comparison.webp_bytes),
                "1.000",
                f"{comparison.webp_ssim:.5f}",
                ms(comparison.webp_encode),
                ms(comparison.webp_encode, "cpu_p50_ms"),
                "1.00",
                ms(comparison.webp_decode),
            ]
        )
        for match in comparison.matches:
            rows.append(
                [
                    comparison.input,
                    f"AVIF s{match.speed}",
                    str(match.quality),
                    str(match.bytes),
                    f"{match.bytes_vs_webp:.3f}",
                    f"{match.ssim:.5f}" + ("" if match.meets_target else " (below)"),
                    ms(match.encode),
                    ms(match.encode, "cpu_p50_ms"),
                    ratio(match.encode, comparison.webp_encode),
                    ms(match.decode),
                ]
            )
    print_table(
        "4. AVIF at the quality whose SSIM is closest to WebP's from above",
        [
            "input",
            "codec",
            "q",
            "bytes",
            "vs WebP",
            "SSIM",
            "enc ms",
            "enc cpu ms",
            "enc x",
            "dec ms",
        ],
        rows,
    )


def print_outputs(outputs: Sequence[Output]) -> None:
    print_table(
        "5. Real photographs (scikit-image) as PNG through the optimizer",
        ["input", "output", "PNG bytes", "WebP bytes", "out/in", "compression_ratio", "SSIM"],
        [
            [
                out.input,
                out.dimensions,
                str(out.png_bytes),
                str(out.webp_bytes),
                f"{out.size_ratio:.4f}",
                f"{out.compression_ratio:.4f}",
                f"{out.ssim:.5f}",
            ]
            for out in outputs
        ],
    )


def machine() -> dict[str, object]:
    info: dict[str, object] = {
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "platform": platform.platform(),
        "cpu": cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "pillow": PIL.__version__,
        "libwebp": features.version("webp"),
        "libavif": features.version("avif"),
    }
    if features.check("avif"):
        from PIL import AvifImagePlugin  # imported here: absent before Pillow 11.3

        info["aom"] = AvifImagePlugin.get_codec_version("aom")
        info["dav1d"] = AvifImagePlugin.get_codec_version("dav1d")
    return info


def contention_line(contention: Mapping[str, Any]) -> str | None:
    """What other processes used during a run, and whether its figures can be quoted."""
    if contention["other_cpu_seconds"] is None:
        return None
    return (
        f"other processes used {contention['other_cpu_seconds']} CPU-s during this "
        f"{contention['run_seconds']:.0f} s run"
        + ("" if contention["quotable"] else ": inflated figures, rerun on a quiet machine")
    )


def machine_cpu_seconds() -> float | None:
    """CPU seconds all processes have used since boot, from /proc/stat; None off Linux."""
    try:
        totals = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]
    except OSError:
        return None
    ticks = [int(value) for value in totals]
    idle = ticks[3] + ticks[4]
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK")


def contention(wall: float, own_cpu: float, machine_cpu: float | None) -> Contention:
    """How much CPU the rest of the machine took since the given readings."""
    run_seconds = time.perf_counter() - wall
    now = machine_cpu_seconds()
    if machine_cpu is None or now is None:
        return Contention(round(run_seconds, 1), None, quotable=None)
    other = max(0.0, now - machine_cpu - (time.process_time() - own_cpu))
    quotable = other <= BUSY_SHARE * run_seconds
    return Contention(round(run_seconds, 1), round(other, 1), quotable)


def print_contention(measured: Contention) -> None:
    if measured.other_cpu_seconds is None:
        return
    print(
        f"\nother processes used {measured.other_cpu_seconds:.1f} CPU-s during this "
        f"{measured.run_seconds:.0f} s run"
        + ("" if measured.quotable else ": the timings are inflated, rerun on a quiet machine")
    )


def cpu_model() -> str:
    """platform.processor() is empty on most Linux systems; /proc/cpuinfo names the CPU."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def run(plan: Plan) -> dict[str, object]:
    start = (time.perf_counter(), time.process_time(), machine_cpu_seconds())
    pngs = {size: [encode(photo_like(size, size, seed), "PNG") for seed in SEEDS] for size in SIZES}
    pipeline = [pipeline_case(size, pngs[size], plan) for size in SIZES]
    print_pipeline(pipeline, plan)

    synthetic = {
        f"photo_like {size}" + ("" if size <= MAX_DIMENSION else f"->{MAX_DIMENSION}"): fit(
            decode(pngs[size][0])
        )
        for size in SIZES
    }
    photos = {name: Image.fromarray(getattr(skimage_data, name)()) for name in REAL_PHOTOS}
    real = {name: fit(photo) for name, photo in photos.items()}
    methods = [method_table(label, image, plan) for label, image in synthetic.items()]
    methods += [method_table(label, image, None) for label, image in real.items()]
    print_methods(methods)

    avif_results: list[AvifComparison] = []
    if features.check("avif"):
        avif_results = [
            avif_comparison(label, image, plan) for label, image in (synthetic | real).items()
        ]
        print_avif(avif_results)
    else:
        print("\n4. skipped: this Pillow cannot encode AVIF")

    outputs = [output(name, encode(photo, "PNG")) for name, photo in photos.items()]
    print_outputs(outputs)
    measured = contention(*start)
    print_contention(measured)
    return {
        "machine": machine(),
        "contention": asdict(measured),
        "settings": {
            "max_dimension": MAX_DIMENSION,
            "quality": QUALITY,
            "webp_method": WEBP_METHOD,
            "seeds": SEEDS,
            "avif_speeds": AVIF_SPEEDS,
            "goal_optimizer_over_baseline": GOAL,
            "plan": asdict(plan),
        },
        "pipeline": [asdict(case) for case in pipeline],
        "webp_methods": [asdict(table) for table in methods],
        "avif": [asdict(comparison) for comparison in avif_results],
        "real_photos": [asdict(out) for out in outputs],
    }


def write(report: Mapping[str, object], path: Path) -> None:
    """Through a temporary file, so an interrupted run never leaves half a result."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial_path = path.with_name(path.name + ".tmp")
    partial_path.write_text(json.dumps(report, indent=2) + "\n")
    partial_path.replace(path)


def arguments(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m bench.optimizer",
        description="Time ImageOptimizer against plain Pillow, compare WebP methods 0-6 and "
        "AVIF at equal SSIM; print tables and write the figures as JSON. A full run takes "
        "about 2.5 minutes on 2 cores.",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a smoke run with a few iterations (about a minute, mostly the AVIF quality "
        "search): it checks that everything runs, but its timings are too noisy to quote. "
        "Writes optimizer-quick.json unless --output is given, so the full results stay.",
    )
    parser.add_argument(
        "--output",
        type=Path,
        metavar="PATH",
        help=f"where to write the JSON (default: {RESULTS / 'optimizer.json'})",
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    plan = QUICK if args.quick else FULL
    path: Path = args.output or RESULTS / (
        "optimizer-quick.json" if args.quick else "optimizer.json"
    )
    write(run(plan), path)
    print(f"\nwrote {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
