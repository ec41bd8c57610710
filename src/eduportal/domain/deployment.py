"""A deployed stack's settings as AWS reports them, as plain data: what a `DeploymentReader`
reads and `services.deployment_check` judges against the requirements.

Each reading holds what AWS said, not a verdict: "GLACIER at 270 days" is kept as it is, so the
report can show the value found beside the one expected. A setting that has its own read (a
bucket's lifecycle rules, an origin access control) may come back `Unreadable` when that read
was refused or failed, so one missing permission costs one check, not the resource's others.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, TypeAlias, TypeVar

from eduportal.domain.records_table import TableIndex

T = TypeVar("T")

READ_PERMISSIONS: Final = (
    "s3:GetBucketVersioning",
    "s3:GetEncryptionConfiguration",
    "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketOwnershipControls",
    "s3:GetLifecycleConfiguration",
    "s3:GetBucketPolicy",
    "s3:GetBucketNotification",
    "cloudfront:GetDistribution",
    "cloudfront:GetOriginAccessControl",
    "cloudfront:GetCachePolicy",
    "cloudwatch:DescribeAlarms",
    "autoscaling:DescribeAutoScalingGroups",
    "autoscaling:DescribePolicies",
    "ec2:DescribeLaunchTemplateVersions",
    "ec2:GetEbsEncryptionByDefault",
    "states:DescribeStateMachine",
    "sqs:GetQueueAttributes",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeContinuousBackups",
)
"""Every IAM action reading a deployment takes, all read-only: the AWS reader makes no other
call (tests/integration/test_infra_check.py records them), and `eduportal infra check --help`
lists them, where the sentence for a refused read sends the operator."""


@dataclass(frozen=True, slots=True)
class Unreadable:
    """A setting AWS would not show: the sentence says why (a refused read names the
    permission; a failed one, the error)."""

    sentence: str


Read: TypeAlias = T | Unreadable
"""A setting with a read of its own: its value, or why it could not be read."""


# --- buckets -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class EncryptionRule:
    """One rule of a bucket's default encryption."""

    algorithm: str
    """`AES256` (SSE-S3), `aws:kms`, `aws:kms:dsse`."""
    kms_key: str | None
    bucket_key: bool


@dataclass(frozen=True, slots=True)
class PublicAccessBlock:
    block_public_acls: bool
    ignore_public_acls: bool
    block_public_policy: bool
    restrict_public_buckets: bool


@dataclass(frozen=True, slots=True)
class Transition:
    days: int | None
    """None for a transition on a date."""
    storage_class: str


@dataclass(frozen=True, slots=True)
class LifecycleRule:
    rule_id: str
    enabled: bool
    prefix: str
    """The key prefix the rule is limited to; "" for every key."""
    tags: Mapping[str, str]
    """The tags an object must carry for the rule to act on it; empty for every object."""
    transitions: tuple[Transition, ...]
    expiration_days: int | None
    noncurrent_expiration_days: int | None
    abort_multipart_days: int | None


@dataclass(frozen=True, slots=True)
class BucketSettings:
    name: str
    versioning: Read[str]
    """`Enabled`, `Suspended`, or "" for a bucket that was never versioned."""
    encryption: Read[tuple[EncryptionRule, ...]]
    """Empty when the bucket has no default encryption."""
    public_access_block: Read[PublicAccessBlock | None]
    ownership: Read[str | None]
    """`BucketOwnerEnforced`, `BucketOwnerPreferred`, `ObjectWriter`; None when not set."""
    lifecycle: Read[tuple[LifecycleRule, ...]]
    policy: Read[str | None]
    """The bucket policy's JSON document; None when the bucket has none."""
    eventbridge: Read[bool]
    """Whether the bucket sends its events to EventBridge."""


# --- the CDN -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class OriginAccessControl:
    control_id: str
    signing_protocol: str
    signing_behavior: str
    origin_type: str


@dataclass(frozen=True, slots=True)
class Origin:
    origin_id: str
    domain_name: str
    access_control_id: str
    """The origin access control CloudFront signs its requests with; "" for none."""
    access_identity: str
    """The legacy origin access identity (`origin-access-identity/cloudfront/ID`); "" for
    none."""
    access_control: Read[OriginAccessControl | None]
    """The origin access control `access_control_id` names; None when it names none."""


@dataclass(frozen=True, slots=True)
class CacheSettings:
    """How the default cache behaviour caches: from its cache policy, or from the legacy
    settings on the behaviour itself when it has no policy."""

    source: str
    """Where the figures come from, for the report: "cache policy NAME" or "legacy cache
    settings"."""
    default_ttl: int
    max_ttl: int
    query_strings: str
    """Which query strings are in the cache key: `none`, `all`, `whitelist` (those in
    `query_string_names`) or `allExcept` (all but those)."""
    query_string_names: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class DistributionSettings:
    distribution_id: str
    enabled: bool
    price_class: str
    origins: tuple[Origin, ...]
    viewer_protocol: str
    """The default cache behaviour's viewer protocol policy."""
    allowed_methods: tuple[str, ...]
    cached_methods: tuple[str, ...]
    compress: bool
    cache: Read[CacheSettings]


# --- alarms ------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AlarmSettings:
    name: str
    region: str
    threshold: float | None
    """None for an alarm on an anomaly detection band."""
    comparison: str
    periods: tuple[int, ...]
    """The period of the alarm's metric, or of each metric its math reads."""
    metric_math: bool
    """Whether the alarm judges an expression over metrics rather than one metric."""
    actions: tuple[str, ...]
    """What the alarm does on entering ALARM: SNS topics, scaling policies."""


# --- compute -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ScalingPolicy:
    name: str
    arn: str
    alarm_names: tuple[str, ...]
    """The alarms Auto Scaling says run the policy (an alarm naming the policy's ARN among its
    actions runs it as well)."""


@dataclass(frozen=True, slots=True)
class Volume:
    device: str
    encrypted: bool | None
    """None when the template leaves it to the account's default and the image's snapshot."""


@dataclass(frozen=True, slots=True)
class LaunchTemplateSettings:
    name: str
    version: str
    """The version the group launches: a number, `$Latest` or `$Default`."""
    http_tokens: str | None
    """`required` (IMDSv2 only) or `optional`; None when the template leaves it to the
    default."""
    volumes: tuple[Volume, ...]
    encryption_by_default: Read[bool]
    """Whether the account encrypts every new EBS volume in the region, whatever the template
    says."""


@dataclass(frozen=True, slots=True)
class ScalingGroupSettings:
    name: str
    policies: Read[tuple[ScalingPolicy, ...]]
    launch_template: Read[LaunchTemplateSettings | None]
    """None when the group launches from a launch configuration."""


# --- the pipeline ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StateMachineSettings:
    arn: str
    logging_level: str
    """`ALL`, `ERROR`, `FATAL` or `OFF`."""
    tracing: bool


@dataclass(frozen=True, slots=True)
class QueueSettings:
    url: str
    redrive_target: str | None
    """The ARN of the dead-letter queue; None without a redrive policy."""
    max_receive_count: int | None
    sqs_managed_encryption: bool
    kms_key: str | None


@dataclass(frozen=True, slots=True)
class TableSettings:
    name: str
    key: tuple[tuple[str, str], ...]
    """The table's key schema: (attribute, `HASH` or `RANGE`), partition key first."""
    indexes: tuple[TableIndex, ...]
    """Its global secondary indexes."""
    encryption_status: str | None
    """`ENABLED` with a KMS key, ... ; None when DynamoDB's own key encrypts the table (its
    default, where DescribeTable shows no SSEDescription)."""
    encryption_key: str | None
    key_inaccessible: bool
    """The table's KMS key can no longer be used, so the table cannot be read."""
    point_in_time_recovery: Read[str]
    """`ENABLED` or `DISABLED`."""
