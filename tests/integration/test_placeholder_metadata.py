"""The placeholder travels in the stored object's metadata, over S3's wire (moto's server), so
the portal reads back the preview of an image the pipeline's worker stored; and with the rest
of the metadata it stays inside S3's 2 KB of user metadata at its largest."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eduportal.domain.images import MAX_PLACEHOLDER_CHARS, valid_placeholder
from eduportal.domain.keys import upload_key
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.pipeline.stages import StageTools, resize
from eduportal.ports import ObjectStore
from eduportal.services.image_store import ImageStore
from tests.support.fixture_types import S3StoreFactory
from tests.support.images import photograph, png

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

IMAGE_ID = "1795551249532-1f974255"
"""An image id as the portal makes them (time, then random), so keys are their real length."""
S3_USER_METADATA_BYTES = 2048
"""S3's limit: the UTF-8 bytes of every user metadata key and value, summed."""


def image_store(store: ObjectStore) -> ImageStore:
    return ImageStore(store, ImageOptimizer(), PrometheusMetrics(), public_url="http://origin.test")


def largest_metadata_bytes(metadata: dict[str, str]) -> int:
    """The metadata's size with its placeholder at the largest one allowed, keys counted
    with their `x-amz-meta-` prefix (the larger reading of the limit)."""
    assert valid_placeholder(metadata["placeholder"]) == metadata["placeholder"]
    found = sum(len(f"x-amz-meta-{key}{value}".encode()) for key, value in metadata.items())
    return found - len(metadata["placeholder"]) + MAX_PLACEHOLDER_CHARS


def test_a_generated_images_placeholder_is_read_back_from_s3_within_the_limit(
    make_s3_store: S3StoreFactory, s3_admin: S3Client, bucket: str
) -> None:
    longest_teacher = "t" * 32  # the longest user name there is
    stored = image_store(make_s3_store()).store_generated(
        "a1", png(photograph("astronaut")), teacher_id=longest_teacher
    )
    assert stored.figures.placeholder is not None

    head = s3_admin.head_object(Bucket=bucket, Key=stored.key)
    assert head["Metadata"]["placeholder"] == stored.figures.placeholder
    assert largest_metadata_bytes(head["Metadata"]) <= S3_USER_METADATA_BYTES
    read_back = image_store(make_s3_store()).stored(
        stored.key, original_size_bytes=stored.figures.original_size_bytes
    )
    assert read_back.figures == stored.figures


def test_the_pipelines_placeholder_is_read_back_from_s3_within_the_limit(
    make_s3_store: S3StoreFactory, s3_admin: S3Client, bucket: str
) -> None:
    store = make_s3_store()
    # The longest upload key there is: its source-key is written beside the placeholder.
    key = upload_key(IMAGE_ID, "n" * 300 + ".png")
    source = png(photograph("coffee"))
    store.put(key, source, content_type="image/png", cache_control="no-cache", metadata={})
    tools = StageTools(store=store, archive=store, optimizer=ImageOptimizer())

    result = resize(tools, {"image_id": IMAGE_ID, "key": key, "run": 1, "results": {}})

    head = s3_admin.head_object(Bucket=bucket, Key=result["processed_key"])
    assert head["Metadata"]["source-key"] == key
    assert head["Metadata"]["placeholder"] == result["placeholder"]
    assert largest_metadata_bytes(head["Metadata"]) <= S3_USER_METADATA_BYTES
    adopted = image_store(make_s3_store()).stored(
        result["processed_key"], original_size_bytes=len(source)
    )
    assert adopted.figures.placeholder == result["placeholder"]
