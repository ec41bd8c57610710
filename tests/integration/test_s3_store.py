"""The S3 adapter over HTTP against moto's server, with failures injected on the wire."""

from __future__ import annotations

import hashlib
import time
from typing import TYPE_CHECKING, Any

import pytest

from eduportal.domain.correlation import correlation_scope
from eduportal.domain.errors import (
    ConfigurationError,
    OperationTimeoutError,
    PermissionDeniedError,
    StorageUnavailableError,
    UploadError,
)
from eduportal.domain.image_records import THUMBNAIL_SIZES
from eduportal.domain.images import IMMUTABLE_CACHE_CONTROL, Lifecycle
from eduportal.domain.keys import generated_thumbnail_key
from eduportal.imaging.optimize import ImageOptimizer
from eduportal.imaging.placeholder import placeholder_image
from eduportal.observability.logged_store import LoggedObjectStore
from eduportal.observability.metrics import PrometheusMetrics
from eduportal.services.image_store import Availability, ImageStore
from eduportal.services.readiness import check_storage_round_trip
from eduportal.services.storage_usage import measure
from tests.support.fault_proxy import (
    ACCESS_DENIED,
    INTERNAL_ERROR,
    SLOW_DOWN,
    Drop,
    Fault,
    FaultProxy,
    Hang,
)
from tests.support.fixture_types import JsonLog, S3StoreFactory
from tests.support.images import photograph, png

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

KEY = "generated_images/a1.webp"


def image_store(store: Any) -> ImageStore:
    """Over the store logged, as the composition root builds it."""
    metrics = PrometheusMetrics()
    return ImageStore(
        LoggedObjectStore(store, metrics),
        ImageOptimizer(),
        metrics,
        public_url="http://origin.test",
    )


def versions(s3_admin: S3Client, bucket: str, key: str) -> list[dict[str, Any]]:
    listing = s3_admin.list_object_versions(Bucket=bucket, Prefix=key)
    return [dict(version) for version in listing.get("Versions", [])]


def test_put_sets_type_cache_control_metadata_encryption_and_tag(
    make_s3_store: S3StoreFactory, s3_admin: S3Client, bucket: str
) -> None:
    photo = png(photograph("astronaut"))
    stored = image_store(make_s3_store()).store_generated("a1", photo, teacher_id="teacher-7")

    head = s3_admin.head_object(Bucket=bucket, Key=KEY)
    assert stored.key == KEY
    assert head["ContentType"] == "image/webp"
    assert head["CacheControl"] == IMMUTABLE_CACHE_CONTROL
    assert head["ServerSideEncryption"] == "AES256"
    assert head["Metadata"]["assignment-id"] == "a1"
    assert head["Metadata"]["teacher-id"] == "teacher-7"
    assert head["Metadata"]["original-format"] == "png"
    assert head["Metadata"]["optimized"] == "true"
    assert head["Metadata"]["created-at"].endswith("Z")
    tags = s3_admin.get_object_tagging(Bucket=bucket, Key=KEY)["TagSet"]
    assert {"Key": "lifecycle", "Value": "auto"} in tags
    body = s3_admin.get_object(Bucket=bucket, Key=KEY)["Body"].read()
    assert body[:4] == b"RIFF" and body[8:12] == b"WEBP"
    assert len(body) == stored.figures.optimized_size_bytes
    assert head["ETag"].strip('"') == hashlib.md5(body).hexdigest()


def test_mark_permanent_retags_without_touching_the_bytes(
    make_s3_store: S3StoreFactory, s3_admin: S3Client, bucket: str
) -> None:
    images = image_store(make_s3_store())
    images.store_generated("a1", png(photograph("chelsea")), teacher_id="t")
    images.mark_permanent(KEY)
    tags = s3_admin.get_object_tagging(Bucket=bucket, Key=KEY)["TagSet"]
    assert tags == [{"Key": "lifecycle", "Value": "permanent"}]
    assert len(versions(s3_admin, bucket, KEY)) == 1
    assert make_s3_store().get_lifecycle(KEY) is Lifecycle.PERMANENT


# Property 2: Upload retry idempotence (retries succeed with one object, attempts reported)
@pytest.mark.slow
@pytest.mark.parametrize(
    "faults",
    [
        [INTERNAL_ERROR],
        [SLOW_DOWN],
        [Drop()],
        [INTERNAL_ERROR, SLOW_DOWN, Drop()],
    ],
    ids=["500", "503-slowdown", "dropped-connection", "three-different-failures"],
)
def test_upload_succeeds_after_injected_failures_with_exactly_one_version(
    make_s3_store: S3StoreFactory,
    fault_proxy: FaultProxy,
    s3_admin: S3Client,
    bucket: str,
    faults: list[Fault],
) -> None:
    data = b"image-bytes" * 1000
    fault_proxy.inject(*faults)
    receipt = make_s3_store(endpoint=fault_proxy.url).put(
        KEY, data, content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL
    )
    assert receipt.attempts == len(faults) + 1
    assert fault_proxy.faults_served == len(faults)
    assert len(versions(s3_admin, bucket, KEY)) == 1
    assert s3_admin.get_object(Bucket=bucket, Key=KEY)["Body"].read() == data


@pytest.mark.slow
def test_more_failures_than_retries_raise_upload_error_logged_with_correlation_id(
    make_s3_store: S3StoreFactory,
    fault_proxy: FaultProxy,
    s3_admin: S3Client,
    bucket: str,
    json_log: JsonLog,
) -> None:
    # The image and its two thumbnails are written side by side: S3 fails every attempt.
    fault_proxy.inject(*[INTERNAL_ERROR] * 4 * 3)
    images = image_store(make_s3_store(endpoint=fault_proxy.url))
    with correlation_scope("cid-upload-fails"), pytest.raises(UploadError) as caught:
        images.store_generated("a1", png(photograph("chelsea")), teacher_id="t")

    error = caught.value
    assert error.attempts == 4
    assert error.correlation_id == "cid-upload-fails"
    assert "InternalError" not in error.user_message
    assert "try again" in error.user_message
    assert versions(s3_admin, bucket, KEY) == []
    failures = [line for line in json_log() if line.get("outcome") == "failure"]
    thumbnails = [generated_thumbnail_key("a1", size) for size in THUMBNAIL_SIZES]
    assert sorted(line["key"] for line in failures) == sorted([KEY, *thumbnails])  # per write
    for line in failures:
        assert line["correlation_id"] == "cid-upload-fails"
        assert line["operation"] == "put" and line["attempts"] == 4
        assert "InternalError" in line["detail"] and line["level"] == "ERROR"


def test_permission_error_is_not_retried_and_logs_the_specific_cause(
    make_s3_store: S3StoreFactory, fault_proxy: FaultProxy, json_log: JsonLog
) -> None:
    fault_proxy.inject(*[ACCESS_DENIED] * 3)  # the image and its two thumbnails, side by side
    images = image_store(make_s3_store(endpoint=fault_proxy.url))
    with pytest.raises(PermissionDeniedError) as caught:
        images.store_generated("a1", png(photograph("chelsea")), teacher_id="t")
    assert caught.value.attempts == 1
    assert "AccessDenied" not in caught.value.user_message
    assert any("AccessDenied" in line.get("detail", "") for line in json_log())


def test_missing_bucket_is_storage_unavailable(make_s3_store: S3StoreFactory) -> None:
    store = make_s3_store(name="eduportal-no-such-bucket")
    with pytest.raises(StorageUnavailableError):
        store.put(KEY, b"x", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL)
    with pytest.raises(StorageUnavailableError):
        store.check()


def test_missing_credentials_are_a_configuration_error(
    make_s3_store: S3StoreFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name)
    with pytest.raises(ConfigurationError) as caught:
        make_s3_store().put(
            KEY, b"x", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL
        )
    assert "administrator" in caught.value.user_message


# Property 26: Operation timeout (an operation that hangs is cancelled at the deadline)
def test_a_hanging_operation_is_cut_at_the_deadline(
    make_s3_store: S3StoreFactory, fault_proxy: FaultProxy
) -> None:
    fault_proxy.inject(*[Hang()] * 4)
    store = make_s3_store(endpoint=fault_proxy.url, timeout=1.0)
    started = time.monotonic()
    with pytest.raises(OperationTimeoutError) as caught:
        store.put(KEY, b"x", content_type="image/webp", cache_control=IMMUTABLE_CACHE_CONTROL)
    elapsed = time.monotonic() - started
    # Cut at the 1 s deadline, not at botocore's 60 s read timeout nor after retries; the upper
    # bound leaves room for a machine several times slower than this one.
    assert 0.9 <= elapsed < 5.0
    assert "too long" in caught.value.user_message
    assert caught.value.attempts == 1


def test_a_failing_read_serves_the_placeholder(
    make_s3_store: S3StoreFactory, fault_proxy: FaultProxy, json_log: JsonLog
) -> None:
    fault_proxy.inject(*[INTERNAL_ERROR] * 4)
    content = image_store(make_s3_store(endpoint=fault_proxy.url)).read(KEY)
    assert content.availability is Availability.UNAVAILABLE
    assert content.data == placeholder_image()
    assert any(line.get("operation") == "get" for line in json_log())


def test_round_trip_through_the_image_store_is_byte_identical(
    make_s3_store: S3StoreFactory,
) -> None:
    images = image_store(make_s3_store())
    stored = images.store_generated("a1", png(photograph("coffee")), teacher_id="t")
    first = images.fetch(stored.key)
    fresh = image_store(make_s3_store()).fetch(stored.key)
    assert first.data == fresh.data
    assert len(first.data) == stored.figures.optimized_size_bytes


def test_usage_counts_by_prefix_and_by_the_storage_class_the_listing_gives(
    make_s3_store: S3StoreFactory, s3_admin: S3Client, bucket: str
) -> None:
    """An object the lifecycle rules moved to STANDARD_IA counts under that class."""
    store = make_s3_store()
    store.put("uploads/x/a.png", b"a" * 300, content_type="image/png", cache_control="no-cache")
    s3_admin.put_object(
        Bucket=bucket, Key="generated_images/old.webp", Body=b"b" * 200, StorageClass="STANDARD_IA"
    )
    usage = measure(store).as_dict()
    assert usage["objects"] == 2 and usage["bytes"] == 500
    assert usage["by_prefix"] == {
        "generated_images/": {"objects": 1, "bytes": 200},
        "uploads/": {"objects": 1, "bytes": 300},
    }
    assert usage["by_storage_class"] == {
        "STANDARD": {"objects": 1, "bytes": 300},
        "STANDARD_IA": {"objects": 1, "bytes": 200},
    }


def test_readiness_round_trips_a_canary_through_the_bucket_and_keeps_nothing_current(
    make_s3_store: S3StoreFactory, s3_admin: S3Client, bucket: str
) -> None:
    check_storage_round_trip(make_s3_store())
    assert s3_admin.list_objects_v2(Bucket=bucket).get("KeyCount") == 0
    with pytest.raises(StorageUnavailableError):
        check_storage_round_trip(make_s3_store(name="eduportal-no-such-bucket"))
