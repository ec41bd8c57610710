"""One JSON log line and the metrics for every storage operation (requirement 8.1).

The line carries time, correlation id, the bound context (user, assignment or image id),
operation, backend, key, bytes, duration, attempts and outcome; failures add the error kind
and the technical detail that the user never sees.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from eduportal.domain.errors import EduportalError, ErrorKind
from eduportal.observability import metrics

log = logging.getLogger("eduportal.storage")

_QUIET_KINDS = frozenset({ErrorKind.NOT_FOUND, ErrorKind.VALIDATION})


@dataclass
class OperationRecord:
    bytes: int = 0
    attempts: int = 1


@contextmanager
def storage_operation(operation: str, key: str, backend: str) -> Iterator[OperationRecord]:
    record = OperationRecord()
    started = time.perf_counter()
    try:
        yield record
    except EduportalError as exc:
        _finish(operation, key, backend, record, started, exc)
        raise
    _finish(operation, key, backend, record, started, None)


def _finish(
    operation: str,
    key: str,
    backend: str,
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
    if operation == "put":
        metrics.IMAGE_UPLOAD_SECONDS.labels(backend).observe(seconds)
        if attempts > 1:
            metrics.IMAGE_UPLOAD_RETRIES.labels(backend).inc(attempts - 1)
    elif operation == "get":
        metrics.IMAGE_DOWNLOAD_SECONDS.labels(backend).observe(seconds)
    if error is None:
        log.info("storage %s ok", operation, extra=fields)
        return
    fields.update(error_kind=error.kind.value, detail=error.detail)
    if operation == "put":
        metrics.IMAGE_UPLOAD_FAILURES.labels(backend, error.kind.value).inc()
    elif operation == "get":
        metrics.IMAGE_DOWNLOAD_FAILURES.labels(backend, error.kind.value).inc()
    level = logging.WARNING if error.kind in _QUIET_KINDS else logging.ERROR
    log.log(level, "storage %s failed: %s", operation, error.kind.value, extra=fields)
