"""Metric names are stable and shared by both backends (ARCHITECTURE.md).

They live in one registry of our own, so `/metrics` shows exactly eduportal's series plus the
process collectors, and tests can build many apps without duplicate-registration errors.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    gc_collector,
    platform_collector,
    process_collector,
)

REGISTRY = CollectorRegistry()
process_collector.ProcessCollector(registry=REGISTRY)
platform_collector.PlatformCollector(registry=REGISTRY)
gc_collector.GCCollector(registry=REGISTRY)

_STORAGE_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)

IMAGE_UPLOAD_SECONDS = Histogram(
    "image_upload_seconds",
    "Time to store one image, retries included",
    ["backend"],
    buckets=_STORAGE_BUCKETS,
    registry=REGISTRY,
)
IMAGE_DOWNLOAD_SECONDS = Histogram(
    "image_download_seconds",
    "Time to read one image from the object store (cache misses only)",
    ["backend"],
    buckets=_STORAGE_BUCKETS,
    registry=REGISTRY,
)
IMAGE_UPLOAD_FAILURES = Counter(
    "image_upload_failures_total",
    "Image uploads that failed after their retries",
    ["backend", "kind"],
    registry=REGISTRY,
)
IMAGE_DOWNLOAD_FAILURES = Counter(
    "image_download_failures_total",
    "Image reads that failed (a placeholder was served instead)",
    ["backend", "kind"],
    registry=REGISTRY,
)
IMAGE_UPLOAD_RETRIES = Counter(
    "image_upload_retries_total",
    "Extra attempts image uploads needed",
    ["backend"],
    registry=REGISTRY,
)
IMAGE_CACHE_HITS = Counter(
    "image_cache_hits_total", "Image reads served from the local cache", registry=REGISTRY
)
IMAGE_CACHE_MISSES = Counter(
    "image_cache_misses_total", "Image reads that went to the object store", registry=REGISTRY
)
IMAGE_OPTIMIZE_SECONDS = Histogram(
    "image_optimize_seconds",
    "Time to optimize one image",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
    registry=REGISTRY,
)
IMAGE_OPTIMIZE_FALLBACKS = Counter(
    "image_optimize_fallbacks_total",
    "Images stored as their original because optimization failed",
    registry=REGISTRY,
)
IMAGE_BYTES_SAVED = Counter(
    "image_bytes_saved_total", "Bytes saved by optimization", registry=REGISTRY
)
