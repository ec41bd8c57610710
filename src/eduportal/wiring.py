"""The composition root: the only place that chooses and constructs adapters."""

from __future__ import annotations

from dataclasses import dataclass

from eduportal.config import Settings
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.ports import ObjectStore
from eduportal.services.image_store import ImageStore


@dataclass(frozen=True)
class Container:
    settings: Settings
    object_store: ObjectStore
    image_store: ImageStore


def build_optimizer(settings: Settings) -> ImageOptimizer:
    return ImageOptimizer(
        max_dimension=settings.max_image_dimension,
        quality=settings.webp_quality,
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
    )


def build_object_store(settings: Settings) -> ObjectStore:
    if settings.storage == "s3":
        from eduportal.adapters.aws.clients import s3_client
        from eduportal.adapters.aws.s3_store import S3ObjectStore

        client = s3_client(
            region=settings.aws_region,
            timeout_seconds=settings.s3_timeout_seconds,
            endpoint_url=settings.aws_endpoint_url,
        )
        assert settings.s3_bucket_name is not None  # Settings validated it
        return S3ObjectStore(
            client, settings.s3_bucket_name, timeout_seconds=settings.s3_timeout_seconds
        )
    from eduportal.adapters.local.file_store import LocalObjectStore

    return LocalObjectStore(settings.data_dir)


def build(settings: Settings) -> Container:
    store = build_object_store(settings)
    image_store = ImageStore(
        store,
        build_optimizer(settings),
        public_url=settings.public_url,
        cdn_domain=settings.cloudfront_domain,
        cache_bytes=settings.image_cache_bytes,
    )
    return Container(settings=settings, object_store=store, image_store=image_store)
