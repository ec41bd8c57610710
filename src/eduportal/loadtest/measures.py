"""What a Locust user reads from a response besides its status: the storage operations of its
`Server-Timing` header and a CDN's `X-Cache`. Pure, so it is tested without Locust; the
users in `load-testing/` turn the results into entries of their own (`operations`).
"""

from __future__ import annotations

from dataclasses import dataclass

from eduportal.loadtest.operations import CDN_HIT, CDN_MISS, STORAGE_ENTRIES
from eduportal.observability.server_timing import FAILED, parse


@dataclass(frozen=True)
class StorageMeasure:
    entry: str
    """`S3 upload` or `S3 download`."""
    duration_ms: float
    failed: bool


def storage_measures(server_timing: str | None) -> list[StorageMeasure]:
    """The uploads and downloads a response reports; metrics of others (a CDN's, our deletes)
    and metrics without a duration are left out."""
    if not server_timing:
        return []
    return [
        StorageMeasure(STORAGE_ENTRIES[t.name], t.duration_ms, t.description == FAILED)
        for t in parse(server_timing)
        if t.name in STORAGE_ENTRIES and t.duration_ms is not None
    ]


def cache_outcome(x_cache: str | None) -> str | None:
    """`CDN hit` or `CDN miss` from CloudFront's `X-Cache` ("Hit from cloudfront",
    "RefreshHit from cloudfront": served from its cache; "Miss from cloudfront"); None when
    there is no such header or it says something else (an error, a generated response)."""
    if not x_cache:
        return None
    outcome = x_cache.strip().split(" ", 1)[0].lower()
    if outcome in ("hit", "refreshhit"):
        return CDN_HIT
    if outcome == "miss":
        return CDN_MISS
    return None
