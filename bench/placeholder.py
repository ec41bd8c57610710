"""What the placeholder (issue 11, "Instant paints") costs the optimizer, and how big it is.

The optimizer makes each image's placeholder from the fitted pixels it already holds
(`imaging.lqip.placeholder_of`), on the request's thread, before the WebP encode. The claim:
a few hundred bytes, and a cost that disappears in the optimization's (a few hundredths of
it). Per input (scikit-image's photographs, the portal's offline posters, as PNG bytes as an
upload would come), the optimization and the placeholder of the same fitted pixels are timed
round by round (`bench.optimizer.interleaved`). Figures are printed and written to
bench/results/placeholder.json.
"""

from __future__ import annotations

import argparse
import base64
import io
import statistics
import sys
from collections.abc import Sequence
from functools import partial
from pathlib import Path

from PIL import Image
from tests.support.images import PHOTOS, photograph
from tests.support.texts import GEOGRAPHY, HISTORY, SCIENCE

from bench.optimizer import decode, interleaved, machine, write
from eduportal.adapters.local.poster import compose, render
from eduportal.imaging.codec import encode
from eduportal.imaging.lqip import placeholder_of
from eduportal.imaging.optimize import ImageOptimizer

RESULTS = Path(__file__).parent / "results" / "placeholder.json"


def inputs() -> dict[str, bytes]:
    pictures = {name: photograph(name) for name in PHOTOS}
    pictures |= {
        f"poster {i}": render(compose(text)) for i, text in enumerate((SCIENCE, HISTORY, GEOGRAPHY))
    }
    return {name: encode(picture, "PNG") for name, picture in pictures.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.placeholder", description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    optimizer = ImageOptimizer()
    rows: list[dict[str, object]] = []
    ratios: list[float] = []
    chars: list[int] = []
    for name, data in inputs().items():
        optimized = optimizer.optimize(data)
        fitted = decode(optimized.data)  # the fitted pixels' size and content, as encoded
        if fitted.mode not in ("RGB", "RGBA"):
            fitted = fitted.convert("RGBA" if "A" in fitted.getbands() else "RGB")
        timings = interleaved(
            {
                "optimize": partial(optimizer.optimize, data),
                "placeholder": partial(placeholder_of, fitted),
            },
            warmups=1,
            runs=args.runs,
        )
        placeholder = optimized.figures.placeholder or ""
        ratio = timings["placeholder"].p50_ms / timings["optimize"].p50_ms
        ratios.append(round(ratio, 4))
        chars.append(len(placeholder))
        rows.append(
            {
                "input": name,
                "dimensions": optimized.figures.dimensions,
                "placeholder_chars": len(placeholder),
                "preview": "x".join(map(str, _preview_size(placeholder))),
                "optimize_p50_ms": timings["optimize"].p50_ms,
                "placeholder_p50_ms": timings["placeholder"].p50_ms,
                "ratio": round(ratio, 4),
            }
        )
        print(
            f"{name:18} {optimized.figures.dimensions:>9} {len(placeholder):4} chars  "
            f"optimize {timings['optimize'].p50_ms:8.2f} ms  placeholder "
            f"{timings['placeholder'].p50_ms:6.2f} ms  ratio {ratio:.4f}"
        )
    summary = {
        "median_ratio": round(statistics.median(ratios), 4),
        "max_ratio": max(ratios),
        "median_chars": statistics.median(chars),
        "max_chars": max(chars),
    }
    print(summary)
    write({"machine": machine(), "inputs": rows, "summary": summary}, RESULTS)
    return 0


def _preview_size(placeholder: str) -> tuple[int, int]:
    data = base64.b64decode(placeholder.split(",", 1)[1])
    with Image.open(io.BytesIO(data)) as preview:
        return preview.size


if __name__ == "__main__":
    sys.exit(main())
