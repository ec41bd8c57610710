"""A deployed stack's settings read from AWS (`ports.DeploymentReader`), for `eduportal infra
check`: read-only calls, `domain.deployment.READ_PERMISSIONS` and no other.

Each resource is read by one call that fails the whole reading (the distribution, the group,
the table, ...); each setting with a call of its own (a bucket's lifecycle rules, an origin
access control, point-in-time recovery) comes back `Unreadable` when that call is refused or
fails, so one missing permission fails one check. A setting that was never configured is
not a failure to read: S3 answers "no lifecycle configuration" with an error code, which
becomes the empty reading here.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Final, TypeVar

from botocore.exceptions import ClientError

from eduportal.adapters.aws.read_errors import read_errors
from eduportal.domain.deployment import (
    AlarmSettings,
    BucketSettings,
    CacheSettings,
    DistributionSettings,
    EncryptionRule,
    LaunchTemplateSettings,
    LifecycleRule,
    Origin,
    OriginAccessControl,
    PublicAccessBlock,
    QueueSettings,
    Read,
    ScalingGroupSettings,
    ScalingPolicy,
    StateMachineSettings,
    TableSettings,
    Transition,
    Unreadable,
    Volume,
)
from eduportal.domain.errors import ConfigurationError, EduportalError, NotFoundError
from eduportal.domain.records_table import TableIndex

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_autoscaling.type_defs import (
        AutoScalingGroupTypeDef,
        LaunchTemplateSpecificationTypeDef,
    )
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudfront.type_defs import (
        DefaultCacheBehaviorOutputTypeDef,
        OriginOutputTypeDef,
    )
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import LaunchTemplateVersionTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import LifecycleRuleOutputTypeDef
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

T = TypeVar("T")

NEEDS: Final = "Grant the read permissions `eduportal infra check --help` lists (all read-only)."
DEFAULT_TTL: Final = 86_400
MAX_TTL: Final = 31_536_000
"""CloudFront's own defaults for a cache policy or behaviour that leaves its TTLs out."""
QUEUE_ATTRIBUTES: Final = ("RedrivePolicy", "SqsManagedSseEnabled", "KmsMasterKeyId")
_NO_TEMPLATE: Final = ("InvalidLaunchTemplateId.", "InvalidLaunchTemplateName.")
"""The codes EC2 answers a launch template or version that does not exist with start so."""
_NO_QUEUE: Final = ("AWS.SimpleQueueService.NonExistentQueue", "QueueDoesNotExist")


class AwsDeploymentReader:
    def __init__(
        self,
        *,
        s3: S3Client,
        cloudfront: CloudFrontClient,
        cloudwatch: CloudWatchClient,
        cloudfront_cloudwatch: CloudWatchClient,
        autoscaling: AutoScalingClient,
        ec2: EC2Client,
        stepfunctions: SFNClient,
        sqs: SQSClient,
        dynamodb: DynamoDBClient,
    ) -> None:
        """Every client but CloudFront's and `cloudfront_cloudwatch` in the stack's region;
        those two in us-east-1, where CloudFront answers and publishes its metrics."""
        self._s3 = s3
        self._cloudfront = cloudfront
        self._cloudwatch = cloudwatch
        self._cloudfront_cloudwatch = cloudfront_cloudwatch
        self._autoscaling = autoscaling
        self._ec2 = ec2
        self._sfn = stepfunctions
        self._sqs = sqs
        self._dynamodb = dynamodb

    # --- buckets ---------------------------------------------------------------------------

    def bucket(self, name: str) -> BucketSettings:
        """Seven reads; the first to find no bucket fails the whole reading."""
        missing = {"NoSuchBucket": f"There is no S3 bucket named {name}."}

        def read(what: str, call: Callable[[], T]) -> Read[T]:
            return _setting(f"read the {what} of the bucket {name}", call, missing)

        s3 = self._s3
        return BucketSettings(
            name=name,
            versioning=read(
                "versioning", lambda: s3.get_bucket_versioning(Bucket=name).get("Status", "")
            ),
            encryption=read("default encryption", lambda: self._encryption(name)),
            public_access_block=read("public access block", lambda: self._public_access(name)),
            ownership=read("object ownership", lambda: self._ownership(name)),
            lifecycle=read("lifecycle rules", lambda: self._lifecycle(name)),
            policy=read(
                "policy",
                lambda: _unless(
                    "NoSuchBucketPolicy", lambda: s3.get_bucket_policy(Bucket=name)["Policy"]
                ),
            ),
            eventbridge=read(
                "event notifications",
                lambda: (
                    "EventBridgeConfiguration"
                    in s3.get_bucket_notification_configuration(Bucket=name)
                ),
            ),
        )

    def _encryption(self, bucket: str) -> tuple[EncryptionRule, ...]:
        rules = _unless(
            "ServerSideEncryptionConfigurationNotFoundError",
            lambda: self._s3.get_bucket_encryption(Bucket=bucket)[
                "ServerSideEncryptionConfiguration"
            ]["Rules"],
        )
        return tuple(
            EncryptionRule(
                algorithm=rule.get("ApplyServerSideEncryptionByDefault", {}).get(
                    "SSEAlgorithm", ""
                ),
                kms_key=rule.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID"),
                bucket_key=rule.get("BucketKeyEnabled", False),
            )
            for rule in rules or ()
        )

    def _public_access(self, bucket: str) -> PublicAccessBlock | None:
        block = _unless(
            "NoSuchPublicAccessBlockConfiguration",
            lambda: self._s3.get_public_access_block(Bucket=bucket)[
                "PublicAccessBlockConfiguration"
            ],
        )
        if block is None:
            return None
        return PublicAccessBlock(
            block_public_acls=block.get("BlockPublicAcls", False),
            ignore_public_acls=block.get("IgnorePublicAcls", False),
            block_public_policy=block.get("BlockPublicPolicy", False),
            restrict_public_buckets=block.get("RestrictPublicBuckets", False),
        )

    def _ownership(self, bucket: str) -> str | None:
        rules = _unless(
            "OwnershipControlsNotFoundError",
            lambda: self._s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"][
                "Rules"
            ],
        )
        return rules[0]["ObjectOwnership"] if rules else None

    def _lifecycle(self, bucket: str) -> tuple[LifecycleRule, ...]:
        rules = _unless(
            "NoSuchLifecycleConfiguration",
            lambda: self._s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"],
        )
        return tuple(_lifecycle_rule(rule) for rule in rules or ())

    # --- the CDN ---------------------------------------------------------------------------

    def distribution(self, distribution_id: str) -> DistributionSettings:
        missing = {"NoSuchDistribution": f"There is no CloudFront distribution {distribution_id}."}
        with read_errors(
            f"read the CloudFront distribution {distribution_id}",
            "GetDistribution",
            needs=NEEDS,
            missing=missing,
        ):
            found = self._cloudfront.get_distribution(Id=distribution_id)["Distribution"]
        config = found["DistributionConfig"]
        behaviour = config["DefaultCacheBehavior"]
        methods = behaviour.get("AllowedMethods", {})
        return DistributionSettings(
            distribution_id=distribution_id,
            enabled=config["Enabled"],
            price_class=config.get("PriceClass", ""),
            origins=tuple(self._origin(origin) for origin in config["Origins"].get("Items", [])),
            viewer_protocol=behaviour["ViewerProtocolPolicy"],
            allowed_methods=tuple(methods.get("Items", [])),
            cached_methods=tuple(methods.get("CachedMethods", {}).get("Items", [])),
            compress=behaviour.get("Compress", False),
            cache=self._cache(behaviour),
        )

    def _origin(self, origin: OriginOutputTypeDef) -> Origin:
        control_id = origin.get("OriginAccessControlId", "")
        control: Read[OriginAccessControl | None] = None
        if control_id:
            control = _setting(
                f"read the origin access control {control_id}",
                lambda: self._access_control(control_id),
            )
        return Origin(
            origin_id=origin["Id"],
            domain_name=origin["DomainName"],
            access_control_id=control_id,
            access_identity=origin.get("S3OriginConfig", {}).get("OriginAccessIdentity", ""),
            access_control=control,
        )

    def _access_control(self, control_id: str) -> OriginAccessControl:
        found = self._cloudfront.get_origin_access_control(Id=control_id)["OriginAccessControl"]
        config = found.get("OriginAccessControlConfig", {})
        return OriginAccessControl(
            control_id=control_id,
            signing_protocol=config.get("SigningProtocol", ""),
            signing_behavior=config.get("SigningBehavior", ""),
            origin_type=config.get("OriginAccessControlOriginType", ""),
        )

    def _cache(self, behaviour: DefaultCacheBehaviorOutputTypeDef) -> Read[CacheSettings]:
        """From the behaviour's cache policy when it has one; else from the legacy settings
        on the behaviour (a query string forwarded with no list of keys is all of them)."""
        policy_id = behaviour.get("CachePolicyId", "")
        if policy_id:
            return _setting(
                f"read the cache policy {policy_id}", lambda: self._cache_policy(policy_id)
            )
        forwarded = behaviour.get("ForwardedValues", {})
        names = tuple(forwarded.get("QueryStringCacheKeys", {}).get("Items", []))
        strings = ("whitelist" if names else "all") if forwarded.get("QueryString") else "none"
        return CacheSettings(
            source="legacy cache settings",
            default_ttl=behaviour.get("DefaultTTL", DEFAULT_TTL),
            max_ttl=behaviour.get("MaxTTL", MAX_TTL),
            query_strings=strings,
            query_string_names=names,
        )

    def _cache_policy(self, policy_id: str) -> CacheSettings:
        config = self._cloudfront.get_cache_policy(Id=policy_id)["CachePolicy"]["CachePolicyConfig"]
        key = config.get("ParametersInCacheKeyAndForwardedToOrigin", {})
        strings = key.get("QueryStringsConfig", {})
        return CacheSettings(
            source=f"cache policy {config['Name']}",
            default_ttl=config.get("DefaultTTL", DEFAULT_TTL),
            max_ttl=config.get("MaxTTL", MAX_TTL),
            query_strings=strings.get("QueryStringBehavior", "none"),
            query_string_names=tuple(strings.get("QueryStrings", {}).get("Items", [])),
        )

    # --- alarms ----------------------------------------------------------------------------

    def alarm(self, name: str, *, of_cloudfront: bool = False) -> AlarmSettings:
        client = self._cloudfront_cloudwatch if of_cloudfront else self._cloudwatch
        region = client.meta.region_name
        with read_errors(f"read the alarm {name}", "DescribeAlarms", needs=NEEDS):
            found = client.describe_alarms(AlarmNames=[name], AlarmTypes=["MetricAlarm"])[
                "MetricAlarms"
            ]
        if not found:
            raise NotFoundError(f"There is no CloudWatch alarm named {name} in {region}.")
        alarm = found[0]
        metrics = alarm.get("Metrics", [])
        periods = (
            (alarm["Period"],)
            if "Period" in alarm
            else tuple(m["MetricStat"]["Period"] for m in metrics if "MetricStat" in m)
        )
        return AlarmSettings(
            name=name,
            region=region,
            threshold=alarm.get("Threshold"),
            comparison=alarm.get("ComparisonOperator", ""),
            periods=periods,
            metric_math=any("Expression" in m for m in metrics),
            actions=tuple(alarm.get("AlarmActions", [])),
        )

    # --- compute ---------------------------------------------------------------------------

    def scaling_group(self, name: str) -> ScalingGroupSettings:
        with read_errors(
            f"read the Auto Scaling group {name}", "DescribeAutoScalingGroups", needs=NEEDS
        ):
            found = self._autoscaling.describe_auto_scaling_groups(AutoScalingGroupNames=[name])[
                "AutoScalingGroups"
            ]
        if not found:
            region = self._autoscaling.meta.region_name
            raise NotFoundError(f"There is no Auto Scaling group named {name} in {region}.")
        return ScalingGroupSettings(
            name=name,
            policies=_setting(
                f"read the scaling policies of the group {name}", lambda: self._policies(name)
            ),
            launch_template=_setting(
                f"read the launch template of the group {name}",
                lambda: self._launch_template(found[0]),
            ),
        )

    def _policies(self, group: str) -> tuple[ScalingPolicy, ...]:
        pages = self._autoscaling.get_paginator("describe_policies")
        return tuple(
            ScalingPolicy(
                name=policy.get("PolicyName", ""),
                arn=policy.get("PolicyARN", ""),
                alarm_names=tuple(
                    a["AlarmName"] for a in policy.get("Alarms", []) if "AlarmName" in a
                ),
            )
            for page in pages.paginate(AutoScalingGroupName=group)
            for policy in page["ScalingPolicies"]
        )

    def _launch_template(self, group: AutoScalingGroupTypeDef) -> LaunchTemplateSettings | None:
        """The version the group launches, whether named on the group or in its mixed
        instances policy; None for a group on a launch configuration."""
        spec = group.get("LaunchTemplate") or group.get("MixedInstancesPolicy", {}).get(
            "LaunchTemplate", {}
        ).get("LaunchTemplateSpecification")
        if not spec:
            return None
        wanted = spec.get("Version") or "$Default"
        versions = self._template_versions(spec, wanted)
        if not versions:
            template = spec.get("LaunchTemplateName") or spec.get("LaunchTemplateId", "")
            raise ConfigurationError(
                f"The group launches version {wanted} of the launch template {template}, "
                "which does not exist."
            )
        version = versions[0]
        data = version.get("LaunchTemplateData", {})
        return LaunchTemplateSettings(
            name=version.get("LaunchTemplateName", ""),
            version=str(version.get("VersionNumber", "")),
            http_tokens=data.get("MetadataOptions", {}).get("HttpTokens"),
            volumes=tuple(
                Volume(device=m.get("DeviceName", ""), encrypted=m["Ebs"].get("Encrypted"))
                for m in data.get("BlockDeviceMappings", [])
                if "Ebs" in m
            ),
            encryption_by_default=_setting(
                "read the account's default EBS encryption",
                lambda: self._ec2.get_ebs_encryption_by_default().get(
                    "EbsEncryptionByDefault", False
                ),
            ),
        )

    def _template_versions(
        self, spec: LaunchTemplateSpecificationTypeDef, wanted: str
    ) -> list[LaunchTemplateVersionTypeDef]:
        """The version `wanted` of the template `spec` names; none when either is gone."""
        try:
            if "LaunchTemplateId" in spec:
                return self._ec2.describe_launch_template_versions(
                    LaunchTemplateId=spec["LaunchTemplateId"], Versions=[wanted]
                )["LaunchTemplateVersions"]
            return self._ec2.describe_launch_template_versions(
                LaunchTemplateName=spec.get("LaunchTemplateName", ""), Versions=[wanted]
            )["LaunchTemplateVersions"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code", "").startswith(_NO_TEMPLATE):
                return []
            raise

    # --- the pipeline ----------------------------------------------------------------------

    def state_machine(self, arn: str) -> StateMachineSettings:
        missing = {
            "StateMachineDoesNotExist": f"There is no state machine {arn}.",
            "InvalidArn": f"{arn} is not a state machine's ARN.",
        }
        with read_errors(
            f"read the state machine {arn}", "DescribeStateMachine", needs=NEEDS, missing=missing
        ):
            found = self._sfn.describe_state_machine(stateMachineArn=arn)
        return StateMachineSettings(
            arn=arn,
            logging_level=found.get("loggingConfiguration", {}).get("level", "OFF"),
            tracing=found.get("tracingConfiguration", {}).get("enabled", False),
        )

    def queue(self, url: str) -> QueueSettings:
        missing = dict.fromkeys(_NO_QUEUE, f"There is no queue at {url}.")
        with read_errors(
            f"read the queue {url}", "GetQueueAttributes", needs=NEEDS, missing=missing
        ):
            attributes = self._sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=list(QUEUE_ATTRIBUTES)
            ).get("Attributes", {})
        redrive = json.loads(attributes.get("RedrivePolicy", "{}"))
        count = redrive.get("maxReceiveCount")
        return QueueSettings(
            url=url,
            redrive_target=redrive.get("deadLetterTargetArn"),
            max_receive_count=None if count is None else int(count),
            sqs_managed_encryption=attributes.get("SqsManagedSseEnabled") == "true",
            kms_key=attributes.get("KmsMasterKeyId"),
        )

    def table(self, name: str) -> TableSettings:
        region = self._dynamodb.meta.region_name
        missing = {
            "ResourceNotFoundException": f"There is no DynamoDB table named {name} in {region}."
        }
        with read_errors(f"read the table {name}", "DescribeTable", needs=NEEDS, missing=missing):
            table = self._dynamodb.describe_table(TableName=name)["Table"]
        encryption = table.get("SSEDescription", {})
        return TableSettings(
            name=name,
            key=tuple((k["AttributeName"], k["KeyType"]) for k in table.get("KeySchema", [])),
            indexes=tuple(
                TableIndex(
                    name=index.get("IndexName", ""),
                    key=tuple(
                        (k["AttributeName"], k["KeyType"]) for k in index.get("KeySchema", [])
                    ),
                    projection=index.get("Projection", {}).get("ProjectionType", "ALL"),
                )
                for index in table.get("GlobalSecondaryIndexes", [])
            ),
            encryption_status=encryption.get("Status"),
            encryption_key=encryption.get("KMSMasterKeyArn"),
            key_inaccessible=table.get("TableStatus") == "INACCESSIBLE_ENCRYPTION_CREDENTIALS"
            or "InaccessibleEncryptionDateTime" in encryption,
            point_in_time_recovery=_setting(
                f"read the point-in-time recovery of the table {name}",
                lambda: (
                    self._dynamodb.describe_continuous_backups(TableName=name)[
                        "ContinuousBackupsDescription"
                    ]
                    .get("PointInTimeRecoveryDescription", {})
                    .get("PointInTimeRecoveryStatus", "DISABLED")
                ),
            ),
        )


def _setting(what: str, read: Callable[[], T], missing: Mapping[str, str] | None = None) -> Read[T]:
    """`read()`, or why it failed; the resource gone (`missing`) fails the whole reading."""
    try:
        with read_errors(what, what, needs=NEEDS, missing=missing):
            return read()
    except NotFoundError:
        raise
    except EduportalError as exc:
        return Unreadable(exc.user_message)


def _unless(code: str, read: Callable[[], T]) -> T | None:
    """`read()`, or None when AWS answers `code`: how S3 says a setting was never
    configured."""
    try:
        return read()
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == code:
            return None
        raise


def _lifecycle_rule(rule: LifecycleRuleOutputTypeDef) -> LifecycleRule:
    """One rule, whichever way its filter is written: a tag, a prefix, both under `And`, or
    the rule's own `Prefix` of the older API."""
    matches = rule.get("Filter", {})
    both = matches.get("And", {})
    tags = {tag["Key"]: tag["Value"] for tag in both.get("Tags", [])}
    if "Tag" in matches:
        tags[matches["Tag"]["Key"]] = matches["Tag"]["Value"]
    return LifecycleRule(
        rule_id=rule.get("ID", ""),
        enabled=rule["Status"] == "Enabled",
        prefix=matches.get("Prefix") or both.get("Prefix") or rule.get("Prefix") or "",
        tags=tags,
        transitions=tuple(
            Transition(days=t.get("Days"), storage_class=t.get("StorageClass", ""))
            for t in rule.get("Transitions", [])
        ),
        expiration_days=rule.get("Expiration", {}).get("Days"),
        noncurrent_expiration_days=rule.get("NoncurrentVersionExpiration", {}).get(
            "NoncurrentDays"
        ),
        abort_multipart_days=rule.get("AbortIncompleteMultipartUpload", {}).get(
            "DaysAfterInitiation"
        ),
    )
