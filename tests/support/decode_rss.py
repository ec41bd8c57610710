"""Peak RSS growth of optimizing one file, alone or on several threads at once.

Run in a fresh process (`python -m tests.support.decode_rss FILE THREADS`), because
`ru_maxrss` is a high-water mark: anything an earlier test allocated would hide the figure.
The optimizer is built by `wiring.build_optimizer` from the environment's settings, as the
server builds it, and warmed up on a small image so codec set-up is not counted. Prints JSON:
growth in MiB, seconds, and whether every result was optimized.
"""

from __future__ import annotations

import io
import json
import resource
import sys
import threading
import time
from pathlib import Path

from PIL import Image

from eduportal.config import load_settings
from eduportal.imaging.optimize import OptimizedImage
from eduportal.wiring import build_optimizer


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(path: str, threads: int) -> None:
    optimizer = build_optimizer(load_settings())
    warm_up = io.BytesIO()
    Image.new("RGB", (64, 64)).save(warm_up, "PNG")
    optimizer.optimize(warm_up.getvalue())
    data = Path(path).read_bytes()
    start = threading.Barrier(threads)
    results: list[OptimizedImage] = []

    def work() -> None:
        start.wait()
        results.append(optimizer.optimize(data))

    workers = [threading.Thread(target=work) for _ in range(threads)]
    baseline, started = _peak_mib(), time.perf_counter()
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    report = {
        "growth_mib": round(_peak_mib() - baseline),
        "seconds": round(time.perf_counter() - started, 2),
        "optimized": len(results) == threads and all(result.optimized for result in results),
    }
    sys.stdout.write(json.dumps(report) + "\n")


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
