"""The figures of a run, as `summary.json` holds them: per operation, overall, thresholds, the
server's CPU and memory, the CDN's cache, the machine and the profile.

Pure: it takes what was read and measured and returns plain data, so it is tested on small
handmade CSV files. Overall figures count HTTP requests only: the storage and cache entries
are measurements inside those requests, and counting them again would double the rate.
"""

from __future__ import annotations

import os
import platform
import sys
from collections.abc import Mapping, Sequence
from typing import Any, Final

from eduportal.loadtest.locust_stats import EntryStats
from eduportal.loadtest.operations import (
    CACHE_TYPE,
    CDN_HIT,
    CDN_MISS,
    CREATE,
    IMAGE,
    LIST,
    LOGIN,
    S3_DOWNLOAD,
    S3_UPLOAD,
    STORAGE_TYPE,
    THUMBNAIL,
    VIEW,
)
from eduportal.loadtest.thresholds import Verdict

_ORDER: Final = (
    LOGIN,
    CREATE,
    VIEW,
    LIST,
    IMAGE,
    THUMBNAIL,
    S3_UPLOAD,
    S3_DOWNLOAD,
    CDN_HIT,
    CDN_MISS,
)
_TYPE_ORDER: Final = {STORAGE_TYPE: 1, CACHE_TYPE: 2}


def ordered(entries: Sequence[EntryStats]) -> list[EntryStats]:
    """Requests in the order a user meets them, then storage, then cache entries."""

    def key(entry: EntryStats) -> tuple[int, int, str]:
        rank = _ORDER.index(entry.name) if entry.name in _ORDER else len(_ORDER)
        return (_TYPE_ORDER.get(entry.type, 0), rank, entry.name)

    return sorted(entries, key=key)


def operation_figures(entry: EntryStats) -> dict[str, Any]:
    count = entry.count
    return {
        "name": entry.name,
        "type": entry.type,
        "count": count,
        "failures": entry.failures,
        "success_rate": _share(count - entry.failures, count),
        "error_rate": _share(entry.failures, count),
        "p50_ms": entry.percentiles_ms["50%"],
        "p95_ms": entry.percentiles_ms["95%"],
        "p99_ms": entry.percentiles_ms["99%"],
        "mean_ms": round(entry.mean_ms, 2),
        "max_ms": entry.max_ms,
        "rps": round(entry.rps, 3),
    }


def overall(entries: Sequence[EntryStats]) -> dict[str, Any]:
    requests = [entry for entry in entries if entry.is_request]
    count = sum(entry.count for entry in requests)
    failures = sum(entry.failures for entry in requests)
    return {
        "requests": count,
        "failures": failures,
        "success_rate": _share(count - failures, count),
        "error_rate": _share(failures, count),
        "rps": round(sum(entry.rps for entry in requests), 3),
        "counts": "HTTP requests only; the STORAGE and CACHE entries are inside them",
    }


def cdn_cache(entries: Sequence[EntryStats]) -> dict[str, Any]:
    """The CDN's hit ratio from the images' `X-Cache`; not available without a CDN, since the
    embedded origin sends no such header and a ratio would be invented."""
    counts = {entry.name: entry.count for entry in entries if entry.type == CACHE_TYPE}
    hits, misses = counts.get(CDN_HIT, 0), counts.get(CDN_MISS, 0)
    if hits + misses == 0:
        return {
            "hits": None,
            "misses": None,
            "hit_ratio": None,
            "note": "not available: no image response carried X-Cache (no CDN in front of "
            "the images); the server's own memory cache is reported separately",
        }
    return {"hits": hits, "misses": misses, "hit_ratio": round(hits / (hits + misses), 4)}


def capacity(entries: Sequence[EntryStats], server: Mapping[str, Any]) -> dict[str, Any]:
    """What a deployment sizes from: creates per second, and per second of server CPU (all
    the server's work of the run counted against the creates, so a lower bound)."""
    create = next((e for e in entries if e.name == CREATE and e.is_request), None)
    succeeded = create.count - create.failures if create else 0
    cpu = server.get("cpu_seconds")
    return {
        "creates_per_second": round(create.rps, 3) if create else None,
        "successful_creates": succeeded,
        "creates_per_cpu_second": round(succeeded / cpu, 3) if cpu and succeeded else None,
    }


def machine() -> dict[str, Any]:
    return {
        "cores": os.cpu_count(),
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


def verdict(verdicts: Sequence[Verdict], requests: int) -> str:
    """ "pass", or "fail" when a threshold failed or no request was made at all."""
    if requests == 0 or any(v.passed is False for v in verdicts):
        return "fail"
    return "pass"


def build(
    *,
    entries: Sequence[EntryStats],
    verdicts: Sequence[Verdict],
    server: Mapping[str, Any],
    run: Mapping[str, Any],
    profile: Mapping[str, Any],
) -> dict[str, Any]:
    everything = overall(entries)
    return {
        "verdict": verdict(verdicts, everything["requests"]),
        "run": dict(run),
        "profile": dict(profile),
        "machine": machine(),
        "overall": everything,
        "operations": [operation_figures(entry) for entry in ordered(entries)],
        "thresholds": [v.as_dict() for v in verdicts],
        "not_measured": "a threshold with no sample is neither passed nor failed and does "
        "not fail the run",
        "server": dict(server),
        "cdn_cache": cdn_cache(entries),
        "capacity": capacity(entries, server),
    }


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None
