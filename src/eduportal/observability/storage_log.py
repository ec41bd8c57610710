"""One JSON log line and the metrics for every storage operation (requirement 8.1).

The line carries time, correlation id, the bound context (user, assignment or image id),
operation, backend, key, bytes, duration, attempts and outcome; failures add the error kind
and the technical detail that the user never sees. `LoggedObjectStore` calls it for every
operation of the store.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from eduportal.domain.errors import EduportalError, ErrorKind
from eduportal.observability import server_timing
from eduportal.ports import Metrics

log = logging.getLogger("eduportal.storage")

_QUIET_KINDS = frozenset({ErrorKind.NOT_FOUND, ErrorKind.VALIDATION})
"""Not failures of storage: the key does not exist or could never exist. They are not counted
as failures, so an alarm on the failure rate means storage trouble. A key that could never
exist is logged at WARNING (someone asked for it); a missing one at INFO, because looking is
how the portal learns that an image's AVIF or JPEG variant is not made yet (the origin asks
for each image's variant every `ABSENT_SECONDS`), and an operator grepping warnings should not
wade through those answers."""


@dataclass
class OperationRecord:
    bytes: int = 0
    attempts: int = 1
    objects: int | None = None
    """Set by listings only: how many objects they returned."""


@contextmanager
def storage_operation(
    operation: str, key: str, backend: str, metrics: Metrics
) -> Iterator[OperationRecord]:
    record = OperationRecord()
    started = time.perf_counter()
    try:
        yield record
    except EduportalError as exc:
        _finish(operation, key, backend, metrics, record, started, exc)
        raise
    except GeneratorExit:  # a listing its reader stopped early: a success as far as it went
        _finish(operation, key, backend, metrics, record, started, None)
        raise
    _finish(operation, key, backend, metrics, record, started, None)


def _finish(
    operation: str,
    key: str,
    backend: str,
    metrics: Metrics,
    record: OperationRecord,
    started: float,
    error: EduportalError | None,
) -> None:
    seconds = time.perf_counter() - started
    attempts = error.attempts if error is not None and error.attempts else record.attempts
    fields: dict[str, object] = {
        "operation": operation,
        "backend": backend,
        "key": key,
        "bytes": record.bytes,
        "duration_ms": round(seconds * 1000, 2),
        "attempts": attempts,
        "outcome": "success" if error is None else "failure",
    }
    if record.objects is not None:
        fields["objects"] = record.objects
    server_timing.record(
        operation, seconds, failed=error is not None and error.kind not in _QUIET_KINDS
    )
    if operation == "put":
        metrics.observe("image_upload_seconds", seconds, backend=backend)
        if attempts > 1:
            metrics.increment("image_upload_retries_total", attempts - 1, backend=backend)
    elif operation == "get":
        metrics.observe("image_download_seconds", seconds, backend=backend)
    if error is None:
        log.info("storage %s ok", operation, extra=fields)
        return
    fields.update(error_kind=error.kind.value, detail=error.detail, transient=error.transient)
    if error.kind in _QUIET_KINDS:
        level = logging.INFO if error.kind is ErrorKind.NOT_FOUND else logging.WARNING
        log.log(level, "storage %s: %s", operation, error.kind.value, extra=fields)
        return
    if operation == "put":
        metrics.increment("image_upload_failures_total", backend=backend, kind=error.kind.value)
    elif operation == "get":
        metrics.increment("image_download_failures_total", backend=backend, kind=error.kind.value)
    log.error("storage %s failed: %s", operation, error.kind.value, extra=fields)
