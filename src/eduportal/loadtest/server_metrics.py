"""The server's CPU and memory during a run, read from its own `/metrics`.

Every few seconds the command reads `process_cpu_seconds_total` and
`process_resident_memory_bytes` (prometheus_client's process collector, on Linux), and the
image cache's hit and miss counters. From the first and last sample come the CPU seconds the
server spent during the run; from every sample its peak memory and the CPU chart. These are
the figures of the process that answered `/metrics`: behind a load balancer, one instance
of several.
"""

from __future__ import annotations

import threading
import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from prometheus_client.parser import text_string_to_metric_families

SAMPLE_SECONDS: Final = 3.0
_WANTED: Final = {
    "process_cpu_seconds_total": "cpu_seconds",
    "process_resident_memory_bytes": "rss_bytes",
    "image_cache_hits_total": "cache_hits",
    "image_cache_misses_total": "cache_misses",
}


@dataclass(frozen=True)
class ServerSample:
    at: float
    """Unix time of the reading."""
    cpu_seconds: float | None = None
    rss_bytes: float | None = None
    cache_hits: float | None = None
    cache_misses: float | None = None


def parse_exposition(text: str, at: float) -> ServerSample:
    """The figures of one `/metrics` page; a series the server does not expose stays None."""
    found: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            field = _WANTED.get(sample.name)
            if field is not None:
                found[field] = found.get(field, 0.0) + sample.value
    return ServerSample(at=at, **found)


class MetricsSampler:
    """Reads `url` every `interval` seconds in a thread of its own until `stop`."""

    def __init__(self, url: str, interval: float = SAMPLE_SECONDS) -> None:
        self.url = url
        self.interval = interval
        self.samples: list[ServerSample] = []
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="metrics-sampler", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> list[ServerSample]:
        """Stop, after one last reading so the run's end is in the samples."""
        self._stop.set()
        self._thread.join(timeout=self.interval + 10)
        self._sample()
        return list(self.samples)

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self.interval):
                return

    def _sample(self) -> None:
        try:
            with urllib.request.urlopen(self.url, timeout=5) as response:  # noqa: S310 - http(s) URL of the host under test
                text = response.read().decode("utf-8", errors="replace")
            self.samples.append(parse_exposition(text, time.time()))
        except (OSError, ValueError) as exc:  # unreachable, not Prometheus text
            self.last_error = str(getattr(exc, "reason", None) or exc)


def summarize(samples: Sequence[ServerSample], note: str | None = None) -> dict[str, object]:
    """CPU seconds, busy cores and peak memory during the run; what cannot be known is None,
    with `note` saying why."""
    cpu = [s for s in samples if s.cpu_seconds is not None]
    rss = [s.rss_bytes for s in samples if s.rss_bytes is not None]
    cpu_seconds = cores_busy = None
    if len(cpu) >= 2:
        spent = (cpu[-1].cpu_seconds or 0.0) - (cpu[0].cpu_seconds or 0.0)
        elapsed = cpu[-1].at - cpu[0].at
        if spent >= 0:  # less: the server restarted during the run
            cpu_seconds = round(spent, 2)
            cores_busy = round(spent / elapsed, 3) if elapsed > 0 else None
    hits = _delta([s.cache_hits for s in samples])
    misses = _delta([s.cache_misses for s in samples])
    available = bool(cpu or rss)
    return {
        "available": available,
        "samples": len(samples),
        "cpu_seconds": cpu_seconds,
        "cores_busy": cores_busy,
        "peak_rss_bytes": max(rss) if rss else None,
        "peak_rss_mib": round(max(rss) / 2**20, 1) if rss else None,
        "image_cache": {
            "hits": hits,
            "misses": misses,
            "hit_ratio": round(hits / (hits + misses), 4)
            if hits is not None and misses is not None and hits + misses
            else None,
        },
        "note": note if not available else None,
    }


MIN_INTERVAL_SECONDS: Final = 1.0
"""CPU time is counted in ticks of 10 ms: over a shorter interval than this a rate is noise
(the last sample, read as the run ends, often follows the one before by a moment)."""


def cpu_series(samples: Sequence[ServerSample]) -> list[tuple[float, float]]:
    """(time, cores busy since the previous point), over intervals of at least a second."""
    cpu = [s for s in samples if s.cpu_seconds is not None]
    series: list[tuple[float, float]] = []
    if not cpu:
        return series
    before = cpu[0]
    for after in cpu[1:]:
        elapsed = after.at - before.at
        if elapsed < MIN_INTERVAL_SECONDS:
            continue
        spent = (after.cpu_seconds or 0.0) - (before.cpu_seconds or 0.0)
        if spent >= 0:  # less: the server restarted
            series.append((after.at, spent / elapsed))
        before = after
    return series


def _delta(values: Sequence[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    if len(known) < 2 or known[-1] < known[0]:
        return None
    return known[-1] - known[0]
