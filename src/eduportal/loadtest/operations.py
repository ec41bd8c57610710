"""The names of what a load test measures: the Locust users report under them, the report and
the thresholds read them. One list, so a renamed request cannot silently drop out of a check.

HTTP requests are named by route (`[id]` for any id), as Locust's statistics group them.
Storage operations are not requests Locust made: they come from the API's `Server-Timing`
header (`observability.server_timing`) and are reported as entries of their own type,
`STORAGE`, so their percentiles stand beside the requests that caused them. Cache outcomes of
images fetched through a CDN (its `X-Cache` header) are entries of type `CACHE`.
"""

from __future__ import annotations

from typing import Final

LOGIN: Final = "POST /api/login"
CREATE: Final = "POST /api/assignments"
VIEW: Final = "GET /api/assignments/[id]"
LIST: Final = "GET /api/assignments"
IMAGE: Final = "GET /images/[key]"
THUMBNAIL: Final = "GET /images/[thumbnail]"

STORAGE_TYPE: Final = "STORAGE"
S3_UPLOAD: Final = "S3 upload"
S3_DOWNLOAD: Final = "S3 download"
STORAGE_ENTRIES: Final = {"storage-put": S3_UPLOAD, "storage-get": S3_DOWNLOAD}
"""`Server-Timing` metric -> entry. Other storage operations (deletes) are not reported."""

CACHE_TYPE: Final = "CACHE"
CDN_HIT: Final = "CDN hit"
CDN_MISS: Final = "CDN miss"

MEASURED_TYPES: Final = frozenset({STORAGE_TYPE, CACHE_TYPE})
"""Entry types that are measurements inside requests, not requests: never counted as
requests (Locust's own "Aggregated" row counts them; the report does not)."""

ALIASES: Final = {
    "login": LOGIN,
    "create": CREATE,
    "view": VIEW,
    "list": LIST,
    "image": IMAGE,
    "thumbnail": THUMBNAIL,
    "upload": S3_UPLOAD,
    "download": S3_DOWNLOAD,
}
"""Short names for thresholds (`upload-p95=3s`)."""

CHARTED: Final = (CREATE, VIEW, IMAGE, S3_UPLOAD, S3_DOWNLOAD, LIST)
"""The operations whose latency the report charts, in this order, when they have samples."""

TEACHER_PASSWORD_ENV: Final = "EDUPORTAL_LOADTEST_TEACHER_PASSWORD"  # noqa: S105 - a name
STUDENT_PASSWORD_ENV: Final = "EDUPORTAL_LOADTEST_STUDENT_PASSWORD"  # noqa: S105 - a name
"""Where the users find the accounts' passwords: never on a command line, which `ps` shows."""
