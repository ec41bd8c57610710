"""`ObjectStore` on S3 or any S3-compatible endpoint.

Every write is encrypted (SSE AES256), tagged `lifecycle=auto|permanent` for the lifecycle
rules, and sent with its SHA-256 checksum, which S3 verifies before it stores anything: a
corrupted body is refused, never stored. Retries (botocore's standard mode) resend the same
bytes to the same key, so they cannot leave a second object behind.
"""

from __future__ import annotations

import base64
import functools
import hashlib
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar
from urllib.parse import urlencode

from eduportal.adapters.aws.deadline import CallFailed, DeadlineExceeded, DeadlineRunner
from eduportal.adapters.aws.s3_errors import to_domain_error
from eduportal.domain.errors import OperationTimeoutError, UploadError
from eduportal.domain.images import Lifecycle
from eduportal.domain.keys import validate_key
from eduportal.ports import ObjectInfo, PutReceipt, StoredObject

T = TypeVar("T")
LIFECYCLE_TAG = "lifecycle"


class S3ObjectStore:
    backend = "s3"

    def __init__(self, client: Any, bucket: str, *, timeout_seconds: float) -> None:
        self.client = client
        self.bucket = bucket
        self._runner = DeadlineRunner(client, timeout_seconds)

    def put(
        self,
        key: str,
        data: bytes,
        *,
        content_type: str,
        cache_control: str,
        metadata: Mapping[str, str] | None = None,
        lifecycle: Lifecycle = Lifecycle.AUTO,
    ) -> PutReceipt:
        validate_key(key)
        checksum = base64.b64encode(hashlib.sha256(data).digest()).decode()
        response, attempts = self._call(
            "put",
            key,
            lambda: self.client.put_object(
                Bucket=self.bucket,
                Key=key,
                Body=data,
                ContentType=content_type,
                CacheControl=cache_control,
                Metadata=dict(metadata or {}),
                ServerSideEncryption="AES256",
                Tagging=urlencode({LIFECYCLE_TAG: lifecycle.value}),
                ChecksumSHA256=checksum,
            ),
        )
        echoed = response.get("ChecksumSHA256")
        if echoed is not None and echoed != checksum:
            raise UploadError(
                detail=f"s3 put {key!r}: checksum {echoed} returned, {checksum} sent",
                attempts=attempts,
            )
        return PutReceipt(
            key=key,
            etag=str(response.get("ETag", "")).strip('"'),
            size_bytes=len(data),
            attempts=attempts,
            version_id=response.get("VersionId"),
        )

    def get(self, key: str) -> StoredObject:
        validate_key(key)

        def fetch() -> tuple[dict[str, Any], bytes]:
            response = self.client.get_object(Bucket=self.bucket, Key=key, ChecksumMode="ENABLED")
            return response, response["Body"].read()

        (response, data), attempts = self._call("get", key, fetch)
        return StoredObject(
            key=key,
            data=data,
            content_type=response.get("ContentType", "application/octet-stream"),
            etag=str(response.get("ETag", "")).strip('"'),
            metadata=response.get("Metadata", {}),
            cache_control=response.get("CacheControl"),
            attempts=attempts,
        )

    def head(self, key: str) -> ObjectInfo:
        validate_key(key)
        response, _ = self._call(
            "head", key, lambda: self.client.head_object(Bucket=self.bucket, Key=key)
        )
        return ObjectInfo(
            key=key,
            size_bytes=int(response.get("ContentLength", 0)),
            last_modified=response["LastModified"].timestamp(),
            content_type=response.get("ContentType", "application/octet-stream"),
        )

    def delete(self, key: str) -> None:
        validate_key(key)
        self._call("delete", key, lambda: self.client.delete_object(Bucket=self.bucket, Key=key))

    def set_lifecycle(self, key: str, lifecycle: Lifecycle) -> None:
        validate_key(key)
        tags = self._tags(key)
        tags[LIFECYCLE_TAG] = lifecycle.value
        tag_set = [{"Key": name, "Value": value} for name, value in sorted(tags.items())]
        self._call(
            "set_lifecycle",
            key,
            lambda: self.client.put_object_tagging(
                Bucket=self.bucket, Key=key, Tagging={"TagSet": tag_set}
            ),
        )

    def get_lifecycle(self, key: str) -> Lifecycle:
        validate_key(key)
        value = self._tags(key).get(LIFECYCLE_TAG, Lifecycle.AUTO.value)
        return Lifecycle(value) if value in Lifecycle._value2member_map_ else Lifecycle.AUTO

    def list_keys(self, prefix: str = "") -> Iterator[str]:
        return (info.key for info in self.list_objects(prefix))

    def list_objects(self, prefix: str = "") -> Iterator[ObjectInfo]:
        """Current versions only (`ListObjectsV2`), a page of up to 1,000 per request."""
        params: dict[str, Any] = {"Bucket": self.bucket, "Prefix": prefix}
        while True:
            page, _ = self._call(
                "list", prefix, functools.partial(self.client.list_objects_v2, **params)
            )
            for item in page.get("Contents", []):
                yield ObjectInfo(
                    key=item["Key"],
                    size_bytes=int(item["Size"]),
                    last_modified=item["LastModified"].timestamp(),
                    storage_class=item.get("StorageClass", "STANDARD"),
                )
            if not page.get("IsTruncated"):
                return
            params["ContinuationToken"] = page["NextContinuationToken"]

    def check(self) -> None:
        self._call("check", "", lambda: self.client.head_bucket(Bucket=self.bucket))

    def _tags(self, key: str) -> dict[str, str]:
        response, _ = self._call(
            "get_lifecycle",
            key,
            lambda: self.client.get_object_tagging(Bucket=self.bucket, Key=key),
        )
        return {tag["Key"]: tag["Value"] for tag in response.get("TagSet", [])}

    def _call(self, operation: str, key: str, fn: Callable[[], T]) -> tuple[T, int]:
        try:
            return self._runner.run(fn)
        except DeadlineExceeded as exc:
            raise OperationTimeoutError(
                detail=f"s3 {operation} {key!r}: {exc}", attempts=exc.attempts
            ) from None
        except CallFailed as exc:
            raise to_domain_error(
                exc.cause, operation=operation, key=key, attempts=exc.attempts
            ) from exc.cause
