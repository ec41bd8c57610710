"""A deployment of eduportal on moto's server, every setting the requirements name as the
Terraform in infrastructure/ sets it, and its `terraform output -json` written to a file; and
the ways a test breaks one setting of it at a time.

The stack lives in `REGION`, not us-east-1, so that a check reading the wrong region finds
nothing: only CloudFront and the alarm on its cache hit rate live in us-east-1. Names are
unique per deployment, since one moto server serves the whole session. The records table is
made by the portal's own `create_table`, so the check is held to the table the portal reads.

What moto cannot hold (`MOTO_CANNOT_HOLD`) is set all the same, as the Terraform sets it, and
moto forgets it: those settings read as missing.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import boto3

from eduportal.adapters.aws.dynamodb_image_records import create_table

if TYPE_CHECKING:
    from mypy_boto3_autoscaling import AutoScalingClient
    from mypy_boto3_cloudfront import CloudFrontClient
    from mypy_boto3_cloudfront.type_defs import DistributionConfigUnionTypeDef
    from mypy_boto3_cloudwatch import CloudWatchClient
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_ec2 import EC2Client
    from mypy_boto3_ec2.type_defs import RequestLaunchTemplateDataTypeDef
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import LifecycleRuleTypeDef
    from mypy_boto3_sns import SNSClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_stepfunctions import SFNClient

REGION: Final = "eu-west-1"
CLOUDFRONT_REGION: Final = "us-east-1"
ACCOUNT: Final = "123456789012"  # moto's account
AMI: Final = "ami-12c6146b"  # an image moto knows
MAX_RECEIVES: Final = 5  # Settings().queue_max_receives

MOTO_CANNOT_HOLD: Final = {
    "CloudFront origin access control": (
        "moto 5.2 keeps no OriginAccessControlId on a distribution's origin (nor its "
        "S3OriginConfig): the origin reads as having none"
    ),
    "image bucket EventBridge notifications": (
        "moto 5.2 keeps a bucket's EventBridgeConfiguration but never returns it from "
        "GetBucketNotificationConfiguration: the bucket reads as not notifying"
    ),
}
"""Settings a correct deployment on moto still fails, and why."""


def _client(service: str, region: str, moto_url: str) -> Any:
    return boto3.client(service, endpoint_url=moto_url, region_name=region)  # type: ignore[call-overload]


@dataclass
class Clients:
    s3: S3Client
    cloudfront: CloudFrontClient
    cloudwatch: CloudWatchClient
    cloudfront_cloudwatch: CloudWatchClient
    sns: SNSClient
    autoscaling: AutoScalingClient
    ec2: EC2Client
    stepfunctions: SFNClient
    sqs: SQSClient
    dynamodb: DynamoDBClient

    @classmethod
    def on(cls, moto_url: str) -> Clients:
        regional = {
            name: _client(name, REGION, moto_url)
            for name in ("s3", "cloudwatch", "sns", "autoscaling", "ec2", "sqs", "dynamodb")
        }
        return cls(
            **regional,
            cloudfront=_client("cloudfront", CLOUDFRONT_REGION, moto_url),
            cloudfront_cloudwatch=_client("cloudwatch", CLOUDFRONT_REGION, moto_url),
            stepfunctions=_client("stepfunctions", REGION, moto_url),
        )


@dataclass
class Deployment:
    """The stack's names, as its outputs give them, and clients to change it."""

    aws: Clients
    suffix: str
    image_bucket: str
    archive_bucket: str
    distribution_id: str
    alerts_topic_arn: str
    scaling_group: str
    launch_template: str
    state_machine_arn: str
    queue_url: str
    dlq_url: str
    records_table: str
    alarms: dict[str, str] = field(default_factory=dict)

    @property
    def distribution_arn(self) -> str:
        return f"arn:aws:cloudfront::{ACCOUNT}:distribution/{self.distribution_id}"

    @property
    def dlq_arn(self) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.dlq_url.rsplit('/', 1)[-1]}"

    def outputs(self) -> dict[str, dict[str, Any]]:
        """What `terraform output -json` prints for this stack."""
        domain = f"d{self.suffix}.cloudfront.net"
        values: dict[str, Any] = {
            "s3_bucket_name": self.image_bucket,
            "s3_bucket_arn": f"arn:aws:s3:::{self.image_bucket}",
            "s3_bucket_region": REGION,
            "archive_bucket_name": self.archive_bucket,
            "cloudfront_distribution_id": self.distribution_id,
            "cloudfront_domain_name": domain,
            "cloudfront_url": f"https://{domain}",
            "cloudwatch_dashboard_name": f"eduportal-{self.suffix}",
            "alerts_topic_arn": self.alerts_topic_arn,
            "pipeline_topic_arn": f"arn:aws:sns:{REGION}:{ACCOUNT}:pipeline-{self.suffix}",
            "alb_dns_name": f"web-{self.suffix}.{REGION}.elb.amazonaws.com",
            "autoscaling_group_name": self.scaling_group,
            "state_machine_arn": self.state_machine_arn,
            "pipeline_queue_url": self.queue_url,
            "pipeline_dlq_url": self.dlq_url,
            "image_records_table_name": self.records_table,
            "alarm_names": dict(self.alarms),
            "app_env": {"EDUPORTAL_STORAGE": "s3", "S3_BUCKET_NAME": self.image_bucket},
        }
        return {
            name: {"sensitive": False, "type": _terraform_type(value), "value": value}
            for name, value in values.items()
        }

    def write_outputs(self, path: Path) -> Path:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.outputs(), indent=2), encoding="utf-8")
        return path

    def remove(self) -> None:
        """The group and its instances, if a test has not removed them already: what else
        a test leaves costs moto nothing."""
        autoscaling = self.aws.autoscaling
        groups = autoscaling.describe_auto_scaling_groups(
            AutoScalingGroupNames=[self.scaling_group]
        )
        if groups["AutoScalingGroups"]:
            autoscaling.delete_auto_scaling_group(
                AutoScalingGroupName=self.scaling_group, ForceDelete=True
            )

    # --- what a test breaks ------------------------------------------------------------------

    def update_distribution(self, change: Callable[[Any], object]) -> None:
        """`change(config)` edits the distribution's config in place, which is then saved."""
        found = self.aws.cloudfront.get_distribution_config(Id=self.distribution_id)
        config = found["DistributionConfig"]
        change(config)
        self.aws.cloudfront.update_distribution(
            Id=self.distribution_id, IfMatch=found["ETag"], DistributionConfig=config
        )

    def put_policy(self, *statements: dict[str, Any]) -> None:
        self.aws.s3.put_bucket_policy(
            Bucket=self.image_bucket,
            Policy=json.dumps({"Version": "2012-10-17", "Statement": list(statements)}),
        )

    def put_lifecycle(self, *rules: Any) -> None:
        self.aws.s3.put_bucket_lifecycle_configuration(
            Bucket=self.image_bucket, LifecycleConfiguration={"Rules": list(rules)}
        )

    def alarm_client(self, key: str) -> CloudWatchClient:
        """CloudFront's metrics, and so the alarm on them, are in us-east-1."""
        return self.aws.cloudfront_cloudwatch if key == "cache_hit_rate" else self.aws.cloudwatch

    def put_alarm(self, key: str, **changes: Any) -> None:
        """The alarm `key` of the outputs made again with `changes` to its definition (None
        leaves a part out)."""
        self.alarm_client(key).put_metric_alarm(**changed(_alarms(self)[key], changes))

    def new_template_version(self, **changes: Any) -> None:
        """A new version of the launch template, which the group launches (`$Latest`); moto
        copies nothing from the version before, so it is given whole."""
        self.aws.ec2.create_launch_template_version(
            LaunchTemplateName=self.launch_template,
            LaunchTemplateData=changed(_template_data(), changes),
        )


def provision(moto_url: str) -> Deployment:
    aws = Clients.on(moto_url)
    suffix = uuid.uuid4().hex[:10]
    topic = aws.sns.create_topic(Name=f"alerts-{suffix}")["TopicArn"]
    image_bucket, archive_bucket = f"images-{suffix}", f"archive-{suffix}"
    deployment = Deployment(
        aws=aws,
        suffix=suffix,
        image_bucket=image_bucket,
        archive_bucket=archive_bucket,
        distribution_id=_distribution(aws, image_bucket, suffix),
        alerts_topic_arn=topic,
        scaling_group=f"web-{suffix}",
        launch_template=f"web-{suffix}",
        state_machine_arn=_state_machine(aws, suffix),
        queue_url="",
        dlq_url="",
        records_table=f"image-records-{suffix}",
    )
    _buckets(deployment)
    _queues(deployment)
    create_table(aws.dynamodb, deployment.records_table)
    aws.dynamodb.update_continuous_backups(
        TableName=deployment.records_table,
        PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True},
    )
    _scaling_group(deployment)
    deployment.alarms = {key: alarm["AlarmName"] for key, alarm in _alarms(deployment).items()}
    for key in deployment.alarms:
        deployment.put_alarm(key)
    return deployment


def _distribution(aws: Clients, bucket: str, suffix: str) -> str:
    """Behind an origin access control, with the cache figures on the behaviour itself: moto
    has no cache policies, which the Terraform uses."""
    control = aws.cloudfront.create_origin_access_control(
        OriginAccessControlConfig={
            "Name": f"images-{suffix}",
            "SigningProtocol": "sigv4",
            "SigningBehavior": "always",
            "OriginAccessControlOriginType": "s3",
        }
    )["OriginAccessControl"]["Id"]
    config: DistributionConfigUnionTypeDef = {
        "CallerReference": suffix,
        "Comment": "eduportal images",
        "Enabled": True,
        "PriceClass": "PriceClass_100",
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": "images",
                    "DomainName": f"{bucket}.s3.{REGION}.amazonaws.com",
                    "OriginAccessControlId": control,
                    "S3OriginConfig": {"OriginAccessIdentity": ""},
                }
            ],
        },
        "DefaultCacheBehavior": {
            "TargetOriginId": "images",
            "ViewerProtocolPolicy": "redirect-to-https",
            "Compress": True,
            "AllowedMethods": {
                "Quantity": 3,
                "Items": ["GET", "HEAD", "OPTIONS"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            },
            "MinTTL": 0,
            "DefaultTTL": 86_400,
            "MaxTTL": 31_536_000,
            "ForwardedValues": {
                "QueryString": True,
                "QueryStringCacheKeys": {"Quantity": 1, "Items": ["v"]},
                "Cookies": {"Forward": "none"},
            },
        },
    }
    return aws.cloudfront.create_distribution(DistributionConfig=config)["Distribution"]["Id"]


def tls_only(bucket: str) -> dict[str, Any]:
    return {
        "Sid": "TlsOnly",
        "Effect": "Deny",
        "Principal": "*",
        "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
    }


def cloudfront_reads(bucket: str, distribution_arn: str) -> dict[str, Any]:
    return {
        "Sid": "CloudFrontReads",
        "Effect": "Allow",
        "Principal": {"Service": "cloudfront.amazonaws.com"},
        "Action": "s3:GetObject",
        "Resource": f"arn:aws:s3:::{bucket}/*",
        "Condition": {"StringEquals": {"AWS:SourceArn": distribution_arn}},
    }


def aging_rule(**changes: Any) -> Any:
    """The rule on objects tagged lifecycle=auto: Standard-IA at 90 days, Glacier Instant
    Retrieval at 270, gone at 635; old versions go after 30 days. `changes` as `changed`."""
    rule: dict[str, Any] = {
        "ID": "age-auto",
        "Status": "Enabled",
        "Filter": {"Tag": {"Key": "lifecycle", "Value": "auto"}},
        "Transitions": [
            {"Days": 90, "StorageClass": "STANDARD_IA"},
            {"Days": 270, "StorageClass": "GLACIER_IR"},
        ],
        "Expiration": {"Days": 635},
        "NoncurrentVersionExpiration": {"NoncurrentDays": 30},
    }
    return changed(rule, changes)


CLEAN_UP_RULE: Final[LifecycleRuleTypeDef] = {
    "ID": "abort-incomplete-uploads",
    "Status": "Enabled",
    "Filter": {"Prefix": ""},
    "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
}
"""Multipart uploads carry no tags, so this rule is on every object."""


def _buckets(deployment: Deployment) -> None:
    s3 = deployment.aws.s3
    for bucket in (deployment.image_bucket, deployment.archive_bucket):
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        s3.put_bucket_encryption(
            Bucket=bucket,
            ServerSideEncryptionConfiguration={
                "Rules": [
                    {
                        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                        "BucketKeyEnabled": True,
                    }
                ]
            },
        )
        s3.put_public_access_block(
            Bucket=bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": True,
                "RestrictPublicBuckets": True,
            },
        )
    images = deployment.image_bucket
    s3.put_bucket_ownership_controls(
        Bucket=images, OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    )
    deployment.put_lifecycle(aging_rule(), CLEAN_UP_RULE)
    deployment.put_policy(tls_only(images), cloudfront_reads(images, deployment.distribution_arn))
    s3.put_bucket_notification_configuration(
        Bucket=images, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )


def _queues(deployment: Deployment) -> None:
    sqs = deployment.aws.sqs
    deployment.dlq_url = sqs.create_queue(
        QueueName=f"pipeline-dlq-{deployment.suffix}", Attributes={"SqsManagedSseEnabled": "true"}
    )["QueueUrl"]
    deployment.queue_url = sqs.create_queue(
        QueueName=f"pipeline-{deployment.suffix}",
        Attributes={
            "SqsManagedSseEnabled": "true",
            "RedrivePolicy": redrive(deployment.dlq_arn, MAX_RECEIVES),
        },
    )["QueueUrl"]


def redrive(dlq_arn: str, max_receives: int) -> str:
    return json.dumps({"deadLetterTargetArn": dlq_arn, "maxReceiveCount": max_receives})


def _state_machine(aws: Clients, suffix: str) -> str:
    log_group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/states/pipeline-{suffix}:*"
    return aws.stepfunctions.create_state_machine(
        name=f"pipeline-{suffix}",
        definition=json.dumps(
            {"StartAt": "Begin", "States": {"Begin": {"Type": "Pass", "End": True}}}
        ),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/pipeline-{suffix}",
        loggingConfiguration={
            "level": "ERROR",
            "includeExecutionData": False,
            "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": log_group}}],
        },
        tracingConfiguration={"enabled": True},
    )["stateMachineArn"]


def _template_data() -> RequestLaunchTemplateDataTypeDef:
    return {
        "ImageId": AMI,
        "InstanceType": "t3.small",
        "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled"},
        "BlockDeviceMappings": [
            {"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": True, "VolumeSize": 20}}
        ],
    }


def _scaling_group(deployment: Deployment) -> None:
    """No instance: the check reads the group's settings, not its instances."""
    aws, name = deployment.aws, deployment.scaling_group
    aws.ec2.create_launch_template(
        LaunchTemplateName=deployment.launch_template, LaunchTemplateData=_template_data()
    )
    aws.autoscaling.create_auto_scaling_group(
        AutoScalingGroupName=name,
        LaunchTemplate={"LaunchTemplateName": deployment.launch_template, "Version": "$Latest"},
        MinSize=0,
        MaxSize=3,
        DesiredCapacity=0,
        AvailabilityZones=[f"{REGION}a"],
    )
    for direction, step in (("out", 1), ("in", -1)):
        aws.autoscaling.put_scaling_policy(
            AutoScalingGroupName=name,
            PolicyName=f"scale-{direction}-{deployment.suffix}",
            AdjustmentType="ChangeInCapacity",
            ScalingAdjustment=step,
        )


def policy_arn(deployment: Deployment, direction: str) -> str:
    """moto's PutScalingPolicy answer lacks the PolicyARN botocore reads: ask for it."""
    return deployment.aws.autoscaling.describe_policies(
        AutoScalingGroupName=deployment.scaling_group,
        PolicyNames=[f"scale-{direction}-{deployment.suffix}"],
    )["ScalingPolicies"][0]["PolicyARN"]


def _alarms(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Each alarm of the outputs as the Terraform defines it."""
    suffix, topic = deployment.suffix, [deployment.alerts_topic_arn]

    def alarm(
        name: str, namespace: str, metric: str, threshold: float, comparison: str, **more: Any
    ) -> dict[str, Any]:
        return {
            "AlarmName": f"{name}-{suffix}",
            "Namespace": namespace,
            "MetricName": metric,
            "Statistic": "Sum",
            "Period": 300,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": comparison,
            "AlarmActions": topic,
            **more,
        }

    def stat(metric: str, stat: str) -> dict[str, Any]:
        return {
            "Metric": {"Namespace": "Eduportal", "MetricName": metric},
            "Period": 300,
            "Stat": stat,
        }

    cpu = {"Statistic": "Average", "Period": 60, "EvaluationPeriods": 2}
    group = [{"Name": "AutoScalingGroupName", "Value": deployment.scaling_group}]
    return {
        "upload_failure_rate": {
            "AlarmName": f"upload-failure-rate-{suffix}",
            "EvaluationPeriods": 1,
            "Threshold": 5,
            "ComparisonOperator": "GreaterThanThreshold",
            "AlarmActions": topic,
            "Metrics": [
                {"Id": "rate", "Expression": "100 * failures / uploads", "ReturnData": True},
                {
                    "Id": "failures",
                    "MetricStat": stat("image_upload_failures_total", "Sum"),
                    "ReturnData": False,
                },
                {
                    "Id": "uploads",
                    "MetricStat": stat("image_upload_seconds", "SampleCount"),
                    "ReturnData": False,
                },
            ],
        },
        "bucket_quota": alarm(
            "bucket-quota",
            "AWS/S3",
            "BucketSizeBytes",
            8e9,
            "GreaterThanThreshold",
            Statistic="Average",
            Period=86_400,
        ),
        "cache_hit_rate": alarm(
            "cache-hit-rate",
            "AWS/CloudFront",
            "CacheHitRate",
            70,
            "LessThanThreshold",
            Statistic="Average",
        ),
        "s3_4xx": alarm("s3-4xx", "AWS/S3", "4xxErrors", 10, "GreaterThanThreshold"),
        "dead_letters": alarm(
            "dead-letters",
            "AWS/SQS",
            "ApproximateNumberOfMessagesVisible",
            0,
            "GreaterThanThreshold",
            Statistic="Maximum",
        ),
        "lambda_errors": alarm("lambda-errors", "AWS/Lambda", "Errors", 0, "GreaterThanThreshold"),
        "cpu_high": alarm(
            "cpu-high",
            "AWS/EC2",
            "CPUUtilization",
            70,
            "GreaterThanThreshold",
            Dimensions=group,
            AlarmActions=[policy_arn(deployment, "out"), *topic],
            **cpu,
        ),
        "cpu_low": alarm(
            "cpu-low",
            "AWS/EC2",
            "CPUUtilization",
            30,
            "LessThanThreshold",
            Dimensions=group,
            AlarmActions=[policy_arn(deployment, "in"), *topic],
            **cpu,
        ),
    }


def changed(definition: Any, changes: dict[str, Any]) -> Any:
    """`definition` with `changes`, a change to None leaving that part out."""
    merged = {**definition, **changes}
    return {key: value for key, value in merged.items() if value is not None}


def _terraform_type(value: object) -> object:
    """The type `terraform output -json` gives a string or a map of strings."""
    if isinstance(value, dict):
        return ["object", dict.fromkeys(value, "string")]
    return "string"
