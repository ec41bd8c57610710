"""The five stages: plain functions from a job (keys and JSON) to their result (JSON).

Stages pass keys, never bytes: each reads what it needs from the object store and writes its
output under a key fixed by the image id, so a stage run twice (a redelivery after a worker
died) writes the same objects again and leaves nothing stray. That is what lets the same
functions run in one process or each in its own Lambda function.

A stage raises domain errors; `pipeline.steps` decides what they mean (reject, retry, fail).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from eduportal.domain.image_records import Stage
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL
from eduportal.domain.keys import (
    archive_key,
    is_negotiated,
    processed_key,
    thumbnail_key,
    variant_key,
)
from eduportal.imaging.metadata import describe
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.imaging.probe import probe
from eduportal.ports import ObjectStore

log = logging.getLogger(__name__)

Job = Mapping[str, Any]
"""`image_id`, `key` (the upload), `run`, and `results`: each finished stage's output."""


@dataclass(frozen=True, slots=True)
class StageTools:
    store: ObjectStore
    """Where uploads are and processed images and thumbnails go."""
    archive: ObjectStore
    """The archive: its own bucket on AWS, its own directory on one machine."""
    optimizer: ImageOptimizer
    make_variants: bool = True
    """AVIF and fallback variants in the thumbnails stage (`EDUPORTAL_IMAGE_VARIANTS`)."""


def validate(tools: StageTools, job: Job) -> dict[str, Any]:
    """Decide from the bytes alone, never the name or the declared type, whether this is an
    image we process: the optimizer's own checks, so nothing it would refuse gets further."""
    probed = tools.optimizer.verify(tools.store.get(job["key"]).data)
    return {"format": probed.format, "width": probed.width, "height": probed.height}


def extract_metadata(tools: StageTools, job: Job) -> dict[str, Any]:
    data = tools.store.get(job["key"]).data
    optimizer = tools.optimizer
    return describe(probe(data, max_bytes=optimizer.max_bytes, max_pixels=optimizer.max_pixels))


def resize(tools: StageTools, job: Job) -> dict[str, Any]:
    """Through the portal's optimizer: WebP within 1024 px, without metadata (requirement 6);
    lossless PNG only when WebP encoding failed."""
    optimized = tools.optimizer.optimize(tools.store.get(job["key"]).data)
    key = processed_key(job["image_id"], optimized.extension)
    tools.store.put(
        key,
        optimized.data,
        content_type=optimized.content_type,
        cache_control=IMMUTABLE_CACHE_CONTROL,
        metadata={"image-id": job["image_id"], "source-key": job["key"]}
        | optimized.figures.encoding_metadata(),
    )
    return {"processed_key": key, "optimized": optimized.optimized} | optimized.figures.as_dict()


def make_thumbnails(tools: StageTools, job: Job) -> dict[str, Any]:
    source = job["results"][Stage.RESIZE]["processed_key"]
    processed = tools.store.get(source).data
    made = tools.optimizer.thumbnails(processed)
    keys = []
    stored = {source: processed}
    for size, data in made.items():
        key = thumbnail_key(job["image_id"], size)
        tools.store.put(
            key,
            data,
            content_type="image/webp",
            cache_control=IMMUTABLE_CACHE_CONTROL,
            metadata={"image-id": job["image_id"]},
        )
        keys.append(key)
        stored[key] = data
    variant_keys = _make_variants(tools, job, stored) if tools.make_variants else []
    return {"thumbnail_keys": keys, "variant_keys": variant_keys}


def _make_variants(tools: StageTools, job: Job, stored: Mapping[str, bytes]) -> list[str]:
    """The AVIF and fallback variants of the processed image and its thumbnails (issue 11),
    here rather than in a stage of their own: they are the thumbnails' kind of work, from the
    same stored WebP. Never fails the image: a failure is logged, the WebP is served, and
    `eduportal image variants --missing` makes them later."""
    written = []
    for key, data in stored.items():
        if not is_negotiated(key):  # a PNG stored because WebP failed: nothing to vary
            continue
        try:
            for variant in tools.optimizer.variants(data):
                written_key = variant_key(key, variant.extension)
                tools.store.put(
                    written_key,
                    variant.data,
                    content_type=variant.content_type,
                    cache_control=IMMUTABLE_CACHE_CONTROL,
                    metadata={"image-id": job["image_id"]} | variant.metadata(),
                )
                written.append(written_key)
        except Exception:  # an encoder's own error as much as ours: the WebP stands
            log.warning(
                "image variants not made; the WebP is served", extra={"key": key}, exc_info=True
            )
    return written


def archive(tools: StageTools, job: Job) -> dict[str, Any]:
    """The upload as it arrived, byte for byte, into the archive: the source to process again
    from (a better optimizer, another format) once the upload itself has aged out."""
    upload = tools.store.get(job["key"])
    key = archive_key(job["image_id"], job["key"])
    tools.archive.put(
        key,
        upload.data,
        content_type=upload.content_type,
        cache_control="no-cache",
        metadata={"image-id": job["image_id"], "source-key": job["key"]},
    )
    return {"archive_key": key, "archive_backend": tools.archive.backend}


STAGES: Final[Mapping[Stage, Callable[[StageTools, Job], dict[str, Any]]]] = {
    Stage.VALIDATE: validate,
    Stage.EXTRACT_METADATA: extract_metadata,
    Stage.RESIZE: resize,
    Stage.THUMBNAILS: make_thumbnails,
    Stage.ARCHIVE: archive,
}
