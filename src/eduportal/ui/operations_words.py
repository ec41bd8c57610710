"""The Operations page in a teacher's words: shares, durations, processes, storage.

The figures come from metrics with technical names (`image_upload_seconds`, p95, a cache hit
ratio); the page says what each means ("Saving an image: 95 % took at most 120 ms") and keeps
the technical name in small print, for whoever looks at `/metrics` or CloudWatch next.
A figure with nothing behind it (no save in the last five minutes) reads "—" with the reason,
never 0.
"""

from __future__ import annotations

from typing import Final

from eduportal.services.operations import Traffic
from eduportal.services.storage_gauge import StorageReading, StorageStatus
from eduportal.services.storage_usage import QUOTA_ALERT_SHARE
from eduportal.ui.wording import duration_words, plural, size_words

NOTHING: Final = "—"
"""A figure with nothing behind it."""
PERCENTILE_WORDS: Final = {"p50": "half", "p95": "95 %", "p99": "99 %"}
"""The latency charts' series, in order: the time that half, 95 % and 99 % of the operations
took at most (`PERCENTILE_NOTE` says it in a sentence under the chart)."""
PERCENTILE_NOTE: Final = (
    "Each minute, the longest time that half of the {many} took (p50), and that 95 % (p95) "
    "and 99 % (p99) of them took: a 99 % line far above the others means a few were slow."
)
FAILURE_WORDS: Final = {"uploads": "Saves that failed", "downloads": "Loads that failed"}
OPTIMIZED_WORDS: Final = {"webp": "WebP", "png": "PNG (fallback)"}
QUEUE_WORDS: Final = {
    "waiting": "Waiting",
    "in_flight": "In progress",
    "dead": "Dead letters",
}
STAGE_TIME_WORDS: Final = {"p50": "half (p50)", "p95": "95 % (p95)"}
"""The stage chart's bars: the longest time half, and 95 %, of a stage's tries took."""
ALARM_SHARE: Final = 0.05
"""Requirement 8.2's alarm: more than 5 % of uploads failing in 5 minutes."""

_ROLES: Final = {"api": "the API", "ui": "the pages"}


def percent_words(share: float | None) -> str:
    """ "0 %", "0.4 %", "83 %"; "—" when there was nothing to count."""
    if share is None:
        return NOTHING
    percent = share * 100
    if percent == 0 or percent >= 10:
        return f"{percent:.0f} %"
    if percent < 0.1:
        return "under 0.1 %"
    return f"{percent:.1f} %"


def latency_words(seconds: float | None) -> str:
    return NOTHING if seconds is None else duration_words(seconds)


def processes_words(processes: dict[str, int]) -> str:
    """ "the API, the pages and 2 workers": who reported in the hour."""
    named = [words for role, words in _ROLES.items() if processes.get(role)]
    if processes.get("worker"):
        named.append(plural(processes["worker"], "worker"))
    named += sorted(set(processes) - {*_ROLES, "worker"})
    if len(named) <= 1:
        return "".join(named)
    return f"{', '.join(named[:-1])} and {named[-1]}"


def traffic_words(traffic: Traffic, noun: str, many: str) -> str:
    """ "1 of 120 saves failed", "no saves": what a failure share was made of."""
    if not traffic.attempts:
        return f"no {many}"
    return f"{traffic.failures:,} of {plural(traffic.attempts, noun, many)} failed"


def cache_words(hits: int, misses: int) -> str:
    reads = hits + misses
    if not reads:
        return "no image shown"
    return f"{hits:,} of {reads:,} from memory"


def optimized_words(optimized: int, fallbacks: int) -> str | None:
    """What the hour's optimizations came to; None when there were none."""
    if not optimized:
        return None
    if not fallbacks:
        return f"{plural(optimized, 'image')} optimized in the hour, all stored as WebP."
    return (
        f"{fallbacks:,} of {plural(optimized, 'image')} optimized in the hour were stored as "
        f"PNG ({percent_words(fallbacks / optimized)}): WebP encoding failed for them."
    )


def stage_tries_words(tries: dict[str, int]) -> str:
    """ "Tries in the hour: Validate 3 · Resize 4": a retried stage counts each try."""
    return "Tries in the hour: " + " · ".join(f"{stage} {n:,}" for stage, n in tries.items())


def storage_headline(status: StorageStatus) -> str:
    """The figure itself: "1.2 MB", or "—" before the first measurement."""
    return NOTHING if status.reading is None else size_words(status.reading.bytes)


def storage_share_words(status: StorageStatus) -> str:
    """ "12 % of 10.0 GB", or what stands in for a share."""
    if status.reading is None:
        return "being measured" if status.measuring else "not measured"
    if not status.quota_bytes:
        return "no quota set"
    return f"{percent_words(status.share)} of {size_words(status.quota_bytes)}"


def again_words(reading: StorageReading) -> str:
    """When the store is measured again, and why not sooner for a large one."""
    if reading.kept_seconds < 60:
        return f"measured again after {reading.kept_seconds:g} s"
    return (
        f"measured again after {reading.kept_seconds / 60:g} minutes, since listing this "
        f"store took {duration_words(reading.took_seconds)}"
    )


def quota_warning(status: StorageStatus) -> str | None:
    if not status.needs_attention:
        return None
    return (
        f"The image store is past {QUOTA_ALERT_SHARE:.0%} of its quota, where the storage "
        "alarm fires. Remove what is no longer needed (`eduportal storage reconcile` finds "
        "images nothing uses) or raise `EDUPORTAL_STORAGE_QUOTA_BYTES`."
    )
