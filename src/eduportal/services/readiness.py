"""Readiness: can this process do its work right now?

A `HEAD` on the bucket answers yes while the instance's role lacks `s3:PutObject`, or while the
disk is full, and the first teacher to save an image finds out. Requirement 10.4 asks that every
instance, a new one from auto-scaling above all, can upload and download images, so the probe
does just that: it writes a small canary object, reads it back, compares, and deletes it. The
load balancer routes to an instance only once its probe passes.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
from typing import Final

from eduportal.domain.errors import EduportalError, StorageUnavailableError
from eduportal.domain.keys import canary_key
from eduportal.ports import ObjectStore

CANARY_BYTES: Final = 64


def check_storage_round_trip(store: ObjectStore) -> None:
    """Write, read and delete a canary; raise a typed error naming the step that failed."""
    key = canary_key(socket.gethostname(), secrets.token_hex(8))
    data = secrets.token_bytes(CANARY_BYTES)
    store.put(key, data, content_type="application/octet-stream", cache_control="no-store")
    try:
        read = store.get(key).data
    except EduportalError:
        with contextlib.suppress(EduportalError):  # the read's error is the answer
            store.delete(key)
        raise
    store.delete(key)  # a role that cannot delete fails readiness too: reconcile needs it
    if read != data:
        raise StorageUnavailableError(
            detail=f"readiness canary {key!r} read back {len(read)} bytes unlike those written"
        )
