"""What the processing pipeline costs over its own stages, how it scales with workers, and how
long an upload waits for COMPLETED.

Issue 8's claims, measured in one run on the same inputs (1024x1024 synthetic photographs as
PNG, as a teacher's camera upload would be after a phone's resize):

- **overhead**: images per second through the whole local pipeline with one worker (upload
  event, record, queue, lease, status moves, events, notifications, metrics, five stages) at
  most 15 % below the same five stage functions called directly in a loop;
- **scaling**: two workers at least 1.7x one worker (the machine has two cores);
- **latency**: upload-to-COMPLETED p50 and p95 at a steady upload rate of half the measured
  capacity.

Throughput is the steady state: each case's first image per worker is warm-up (imports, codec
set-up, a new process) and the clock runs from its completion to the last image's, from the
records' own stage times. The direct loop and the pipeline's workers alternate round by round,
so noise from other processes lands on all of them alike. Figures are printed and written to
bench/results/pipeline.json; bench/README.md reads them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Final

from bench.optimizer import (
    BUSY_SHARE,
    Contention,
    contention_line,
    machine,
    machine_cpu_seconds,
)
from bench.portal import percentile
from eduportal.config import load_settings
from eduportal.domain.image_records import FINAL, ImageRecord, ImageStatus, Stage
from eduportal.domain.keys import upload_key
from eduportal.imaging.synthetic import photo_like
from eduportal.pipeline.stages import STAGES, StageTools
from eduportal.services.uploads import new_image_id
from eduportal.wiring import Container, build

RESULTS: Final = Path(__file__).resolve().parent / "results"
OVERHEAD_GOAL: Final = 0.15
SCALING_GOAL: Final = 1.7
SIDE: Final = 1024


@dataclass(frozen=True, slots=True)
class Plan:
    images: int
    """Per throughput case and round."""
    rounds: int
    latency_uploads: int


FULL: Final = Plan(images=24, rounds=3, latency_uploads=40)
QUICK: Final = Plan(images=8, rounds=1, latency_uploads=10)


def inputs(count: int) -> list[bytes]:
    """Distinct images (a seed each), so no cache anywhere helps."""
    out = []
    for seed in range(count):
        buffer = io.BytesIO()
        photo_like(SIDE, SIDE, seed).save(buffer, "PNG")
        out.append(buffer.getvalue())
    return out


def steady_rate(ends: Sequence[float], warmups: int) -> float:
    """Images per second from the `warmups`-th completion to the last."""
    ordered = sorted(ends)
    span = ordered[-1] - ordered[warmups - 1]
    return (len(ordered) - warmups) / span


# --- the five stages called directly ----------------------------------------------------------


def direct_loop(pngs: Sequence[bytes], work: Path) -> float:
    container = build(load_settings(data_dir=work))
    tools = StageTools(
        container.stored_objects, container.archive_store, container.image_store.optimizer
    )
    jobs: list[dict[str, Any]] = []
    for data in pngs:  # stored first, as the pipeline's cases queue everything first
        image_id = new_image_id(time.time())
        key = upload_key(image_id, "photo.png")
        tools.store.put(key, data, content_type="image/png", cache_control="no-cache")
        jobs.append({"image_id": image_id, "key": key, "run": 1, "results": {}})
    ends = []
    for job in jobs:
        for stage in Stage:
            job["results"][stage] = STAGES[stage](tools, job)
        ends.append(time.time())
    return steady_rate(ends, warmups=1)


# --- the pipeline, with real worker processes -------------------------------------------------


def worker_env(work: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("EDUPORTAL_", "S3_"))}
    return {**keep, "EDUPORTAL_DATA_DIR": str(work)}


@contextmanager
def workers(work: Path, count: int) -> Iterator[subprocess.Popen[bytes]]:
    """`eduportal worker --concurrency N`, stopped with SIGTERM as an operator would."""
    process = subprocess.Popen(
        [sys.executable, "-m", "eduportal", "worker", "--concurrency", str(count)],
        env=worker_env(work),
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=120)


def upload(container: Container, data: bytes) -> str:
    return container.uploads.upload(
        data, file_name="photo.png", content_type="image/png", uploader="bench"
    ).image_id


def settled(container: Container, ids: Sequence[str], timeout: float) -> list[ImageRecord]:
    """Every record once final; polled gently (only those still open, five times a second)
    so the watching takes next to no CPU from the workers."""
    deadline = time.monotonic() + timeout
    final: dict[str, ImageRecord] = {}
    while len(final) < len(ids):
        if time.monotonic() > deadline:
            raise RuntimeError("images not processed in time: is a worker failing?")
        time.sleep(0.2)
        for image_id in ids:
            if image_id not in final:
                record = container.uploads.get(image_id)
                if record.status in FINAL:
                    final[image_id] = record
    failed = [i for i, r in final.items() if r.status is not ImageStatus.COMPLETED]
    if failed:
        raise RuntimeError(f"images not COMPLETED: {failed}")
    return [final[image_id] for image_id in ids]


def pipeline_rate(pngs: Sequence[bytes], work: Path, count: int) -> float:
    """Everything queued first, then `count` workers started: their throughput alone."""
    container = build(load_settings(data_dir=work))
    ids = [upload(container, data) for data in pngs]
    with workers(work, count):
        records = settled(container, ids, timeout=60 + 10 * len(ids))
    return steady_rate([record.updated_at for record in records], warmups=count)


def latencies(pngs: Sequence[bytes], work: Path, count: int, rate: float) -> list[float]:
    """Upload at a steady `rate` (open loop: on schedule, whatever the workers do), each
    image's milliseconds from its upload to its COMPLETED."""
    container = build(load_settings(data_dir=work))
    with workers(work, count):
        settled(container, [upload(container, pngs[0])], timeout=120)  # workers warm
        ids = []
        start = time.monotonic()
        for index, data in enumerate(pngs):
            time.sleep(max(0.0, start + index / rate - time.monotonic()))
            ids.append(upload(container, data))
        records = settled(container, ids, timeout=120 + 10 * len(ids))
    return [(r.updated_at - r.uploaded_at) * 1000 for r in records]


# --- the run ----------------------------------------------------------------------------------


def own_cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def run(plan: Plan, work_root: Path) -> dict[str, Any]:
    pngs = inputs(plan.images)
    wall, own, machine_cpu = time.perf_counter(), own_cpu_seconds(), machine_cpu_seconds()
    rates: dict[str, list[float]] = {"direct": [], "1 worker": [], "2 workers": []}
    for round_number in range(plan.rounds):
        order = list(rates) if round_number % 2 == 0 else list(reversed(rates))
        for case in order:
            work = Path(tempfile.mkdtemp(dir=work_root))
            if case == "direct":
                rates[case].append(direct_loop(pngs, work))
            else:
                rates[case].append(pipeline_rate(pngs, work, 1 if case == "1 worker" else 2))
            print(f"round {round_number + 1}: {case}: {rates[case][-1]:.2f} images/s", flush=True)
    median = {case: statistics.median(values) for case, values in rates.items()}
    overhead = median["direct"] / median["1 worker"] - 1
    scaling = median["2 workers"] / median["1 worker"]
    latency = {}
    for count, case in ((1, "1 worker"), (2, "2 workers")):
        rate = median[case] / 2
        pngs_for_latency = inputs(plan.latency_uploads)
        measured = latencies(pngs_for_latency, Path(tempfile.mkdtemp(dir=work_root)), count, rate)
        latency[case] = {
            "uploads_per_s": round(rate, 2),
            "p50_ms": round(percentile(measured, 0.50)),
            "p95_ms": round(percentile(measured, 0.95)),
            "max_ms": round(max(measured)),
        }
        print(f"latency at {rate:.2f}/s, {case}: {latency[case]}", flush=True)
    run_seconds = time.perf_counter() - wall
    now = machine_cpu_seconds()
    other = None if now is None or machine_cpu is None else now - machine_cpu
    other = None if other is None else max(0.0, other - (own_cpu_seconds() - own))
    quotable = None if other is None else other <= BUSY_SHARE * run_seconds
    return {
        "machine": machine(),
        "plan": asdict(plan),
        "images_per_s": {case: [round(v, 3) for v in values] for case, values in rates.items()},
        "median_images_per_s": {case: round(value, 3) for case, value in median.items()},
        "overhead": round(overhead, 3),
        "overhead_goal": OVERHEAD_GOAL,
        "overhead_met": overhead <= OVERHEAD_GOAL,
        "scaling": round(scaling, 3),
        "scaling_goal": SCALING_GOAL,
        "scaling_met": scaling >= SCALING_GOAL,
        "latency": latency,
        "contention": asdict(
            Contention(round(run_seconds, 1), None if other is None else round(other, 1), quotable)
        ),
    }


def report(results: dict[str, Any]) -> str:
    median = results["median_images_per_s"]
    lines = [
        f"| case | images/s (median of {results['plan']['rounds']}) | against |",
        "| --- | --- | --- |",
        f"| five stages, direct loop | {median['direct']:.2f} | |",
        f"| pipeline, 1 worker | {median['1 worker']:.2f} | overhead {results['overhead']:+.1%}"
        f" (goal at most {OVERHEAD_GOAL:.0%}: {'met' if results['overhead_met'] else 'MISSED'}) |",
        f"| pipeline, 2 workers | {median['2 workers']:.2f} | {results['scaling']:.2f}x one "
        f"worker (goal {SCALING_GOAL}x: {'met' if results['scaling_met'] else 'MISSED'}) |",
        "",
        "| workers | uploads/s (half capacity) | p50 | p95 | max |",
        "| --- | --- | --- | --- | --- |",
    ]
    for case, figures in results["latency"].items():
        lines.append(
            f"| {case} | {figures['uploads_per_s']} | {figures['p50_ms']} ms | "
            f"{figures['p95_ms']} ms | {figures['max_ms']} ms |"
        )
    contention = contention_line(results["contention"])
    if contention is not None:
        lines.append("\n" + contention)
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bench.pipeline",
        description="Throughput of the local processing pipeline against its five stages "
        "called directly, 1 against 2 workers, and upload-to-COMPLETED latency at half "
        "capacity. Writes bench/results/pipeline.json (pipeline-quick.json with --quick).",
    )
    parser.add_argument("--quick", action="store_true", help="a smoke run: fewer images")
    parser.add_argument("--output", type=Path, help="where to write the JSON results")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    with tempfile.TemporaryDirectory(prefix="bench-pipeline-") as work:
        results = run(plan, Path(work))
    output = args.output or RESULTS / ("pipeline-quick.json" if args.quick else "pipeline.json")
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(results, indent=2) + "\n")
    print(report(results))
    print(f"\nwritten to {output}")
    return 0 if results["overhead_met"] and results["scaling_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
