"""The figures the requirements fix for the deployment on AWS, in one place.

The Terraform in `infrastructure/` sets them, the tests of that configuration assert them on
the parsed files, and `eduportal infra check` compares a live deployment against them; a
figure changed here is a requirement changed, and every one of those three notices (the Lambda
runtime and architecture also choose the wheels `make lambda-zip` packages). The CPU
threshold and the scaling budgets live with the scaling watch (`domain.scaling_verdicts`),
the scale-in threshold, which the watch does not use, here; the quota share with the storage
report (`services.storage_usage`), the queue's delivery limit with the settings
(`EDUPORTAL_QUEUE_MAX_RECEIVES`).
"""

from __future__ import annotations

from typing import Final

from eduportal.domain.images import Lifecycle

LIFECYCLE_TAG_KEY: Final = "lifecycle"
LIFECYCLE_TAG_VALUE: Final = Lifecycle.AUTO.value
"""Lifecycle rules act on objects tagged `lifecycle=auto` only: S3's filters cannot exclude a
tag, so this is how images tagged permanent are kept (requirement 5.5)."""

INFREQUENT_ACCESS_DAYS: Final = 90
"""Requirement 5.1: to S3 Standard-IA 90 days after the object was written."""
ARCHIVE_DAYS: Final = 270
"""Requirement 5.2: 180 days in Standard-IA, so 90 + 180 days after writing."""
EXPIRATION_DAYS: Final = 635
"""Requirement 5.3: 365 days in the archive tier, so 90 + 180 + 365 days after writing."""
INFREQUENT_ACCESS_CLASS: Final = "STANDARD_IA"
ARCHIVE_CLASS: Final = "GLACIER_IR"
"""Glacier Instant Retrieval, so archived images stay readable through the portal (5.4)."""

ENCRYPTION_ALGORITHM: Final = "AES256"
"""Requirement 2.3: SSE-S3, AES-256."""

CDN_DEFAULT_TTL_SECONDS: Final = 86_400
"""Requirement 4.2."""
CDN_MAX_TTL_SECONDS: Final = 31_536_000
CDN_PRICE_CLASS: Final = "PriceClass_100"
CDN_VERSION_QUERY: Final = "v"
"""The query string the portal puts on image URLs (`?v=` + ETag); it is in the cache key, so a
replaced image is a new cache entry while the TTL keeps the old one."""

UPLOAD_FAILURE_ALARM_PERCENT: Final = 5.0
"""Requirement 8.2: upload failures above 5 % of uploads over 5 minutes."""
CACHE_HIT_ALARM_PERCENT: Final = 70.0
"""Requirement 8.4: CloudFront's cache hit rate below 70 %."""
S3_4XX_ALARM_COUNT: Final = 10
"""S3 client errors above 10 in 5 minutes."""
ALARM_WINDOW_SECONDS: Final = 300
SCALE_IN_CPU_PERCENT: Final = 15.0
"""Requirement 10.3: the group halves while its average CPU stays below 15 %. The scale-in
alarm invokes its policy every minute it stays in ALARM and may halve the group twice before
it sees the first halving, so the threshold is under a quarter of the 70 % scale-out target:
halving twice must not push CPU past 70 % (the group would scale out again and flap)."""
METRICS_NAMESPACE: Final = "Eduportal"
"""The namespace the application's metrics reach CloudWatch under (`EDUPORTAL_METRICS=emf`)."""

LAMBDA_RUNTIME: Final = "python3.12"
"""The pipeline's Lambda functions' runtime. The deployment package holds wheels built for it
(`scripts/lambda_zip`): compiled ones only import under this Python version."""
LAMBDA_ARCHITECTURE: Final = "x86_64"
"""The functions' instruction set, which the package's compiled wheels are built for."""
