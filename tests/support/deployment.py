"""A deployment of eduportal on moto's server, every setting the requirements name as the
Terraform in infrastructure/ sets it, and its `terraform output -json` written to a file; and
the ways a test breaks one setting of it at a time.

The stack lives in `REGION`, not us-east-1, so that a check reading the wrong region finds
nothing: only CloudFront, the alarm on its cache hit rate and that alarm's topic live in
us-east-1. Names are unique per deployment, since one moto server serves the whole session:
the monitoring and the group are named as the Terraform names them with the project name
`eduportal-SUFFIX`, the alarms on the pipeline's functions after the functions themselves
(their names are fixed, so every deployment puts the same alarms again). The records table is
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
from eduportal.pipeline.permissions import FUNCTIONS

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
BUCKET_QUOTA_BYTES: Final = 100_000_000_000  # var.bucket_quota_bytes's default
STORAGE_CLASSES: Final = (
    "StandardStorage",
    "StandardIAStorage",
    "StandardIASizeOverhead",
    "GlacierInstantRetrievalStorage",
    "GlacierIRSizeOverhead",
)
"""monitoring.tf's local.storage_classes, which the quota alarm adds up."""
ALARM_WINDOW: Final = 300  # local.alarm_window

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
    cloudfront_sns: SNSClient
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
            cloudfront_sns=_client("sns", CLOUDFRONT_REGION, moto_url),
            stepfunctions=_client("stepfunctions", REGION, moto_url),
        )


@dataclass
class Deployment:
    """The stack's names, as its outputs give them, and clients to change it."""

    aws: Clients
    suffix: str
    name: str
    """The Terraform's `project_name`, the prefix of what it names."""
    image_bucket: str
    archive_bucket: str
    distribution_id: str
    alerts_topic_arn: str
    cdn_alerts_topic_arn: str
    """In us-east-1, as the alarm on CloudFront's metrics that notifies it."""
    scaling_group: str
    launch_template: str
    state_machine_arn: str
    queue_url: str
    dlq_url: str
    records_table: str
    storage_quota_bytes: int = BUCKET_QUOTA_BYTES
    """The quota `app_env` gives the servers, which the quota alarm watches."""
    alarms: dict[str, str] = field(default_factory=dict)
    """The `alarm_names` output: the alarms by key, `lambda_errors:FUNCTION` for each
    function."""

    @property
    def distribution_arn(self) -> str:
        return f"arn:aws:cloudfront::{ACCOUNT}:distribution/{self.distribution_id}"

    @property
    def dlq_arn(self) -> str:
        return f"arn:aws:sqs:{REGION}:{ACCOUNT}:{self.dlq_name}"

    @property
    def dlq_name(self) -> str:
        return self.dlq_url.rsplit("/", 1)[-1]

    def policy_name(self, direction: str) -> str:
        """The group's step scaling policy `out` or `in`."""
        return f"{self.name}-scale-{direction}"

    def policy_arn(self, direction: str) -> str:
        """moto's PutScalingPolicy answer lacks the PolicyARN botocore reads: ask for it."""
        return self.aws.autoscaling.describe_policies(
            AutoScalingGroupName=self.scaling_group, PolicyNames=[self.policy_name(direction)]
        )["ScalingPolicies"][0]["PolicyARN"]

    def outputs(self) -> dict[str, dict[str, Any]]:
        """What `terraform output -json` prints for this stack."""
        domain = f"d{self.suffix}.cloudfront.net"
        alb = f"{self.name}-app.{REGION}.elb.amazonaws.com"
        pipeline_topic = f"arn:aws:sns:{REGION}:{ACCOUNT}:{self.name}-pipeline"
        values: dict[str, Any] = {
            "s3_bucket_name": self.image_bucket,
            "s3_bucket_arn": f"arn:aws:s3:::{self.image_bucket}",
            "s3_bucket_region": REGION,
            "archive_bucket_name": self.archive_bucket,
            "cloudfront_distribution_id": self.distribution_id,
            "cloudfront_domain_name": domain,
            "cloudfront_url": f"https://{domain}",
            "cloudwatch_dashboard_name": self.name,
            "alerts_topic_arn": self.alerts_topic_arn,
            "cdn_alerts_topic_arn": self.cdn_alerts_topic_arn,
            "pipeline_topic_arn": pipeline_topic,
            "alb_dns_name": alb,
            "autoscaling_group_name": self.scaling_group,
            "state_machine_arn": self.state_machine_arn,
            "pipeline_queue_url": self.queue_url,
            "pipeline_dlq_url": self.dlq_url,
            "image_records_table_name": self.records_table,
            "alarm_names": dict(self.alarms),
            "app_env": {
                "EDUPORTAL_STORAGE": "s3",
                "AWS_REGION": REGION,
                "S3_BUCKET_NAME": self.image_bucket,
                "CLOUDFRONT_DOMAIN": domain,
                "EDUPORTAL_PUBLIC_URL": f"http://{alb}",
                "EDUPORTAL_STORAGE_QUOTA_BYTES": str(self.storage_quota_bytes),
                "EDUPORTAL_METRICS": "emf",
                "EDUPORTAL_EMF_ENDPOINT": "tcp://127.0.0.1:25888",
                "EDUPORTAL_EMF_LOG_GROUP": f"{self.name}-metrics",
                "ARCHIVE_BUCKET_NAME": self.archive_bucket,
                "IMAGE_RECORDS_TABLE": self.records_table,
                "PIPELINE_QUEUE_URL": self.queue_url,
                "PIPELINE_DLQ_URL": self.dlq_url,
                "PIPELINE_TOPIC_ARN": pipeline_topic,
                "EVENT_BUS_NAME": f"{self.name}-pipeline",
                "STATE_MACHINE_ARN": self.state_machine_arn,
            },
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
        """CloudFront's metrics, and so the alarm on them, are in us-east-1. `key` as in
        `alarms`."""
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
    name = f"eduportal-{suffix}"
    image_bucket, archive_bucket = f"images-{suffix}", f"archive-{suffix}"
    deployment = Deployment(
        aws=aws,
        suffix=suffix,
        name=name,
        image_bucket=image_bucket,
        archive_bucket=archive_bucket,
        distribution_id=_distribution(aws, image_bucket, suffix),
        alerts_topic_arn=aws.sns.create_topic(Name=f"{name}-alerts")["TopicArn"],
        cdn_alerts_topic_arn=aws.cloudfront_sns.create_topic(Name=f"{name}-cdn-alerts")["TopicArn"],
        scaling_group=f"{name}-app",
        # name_prefix "${local.name}-app-": Terraform adds a 26-digit unique id
        launch_template=f"{name}-app-{1:026d}",
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
    alarms = _alarms(deployment)
    deployment.alarms = {key: alarm["AlarmName"] for key, alarm in alarms.items()}
    for key, alarm in alarms.items():
        deployment.alarm_client(key).put_metric_alarm(**changed(alarm, {}))
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
    """No instance: the check reads the group's settings, not its instances. Its three
    policies as compute.tf's: target tracking without scale-in, and the step policies the
    CPU alarms run."""
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
    warmup = 90  # var.instance_warmup_seconds
    aws.autoscaling.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName=f"{deployment.name}-cpu-tracking",
        PolicyType="TargetTrackingScaling",
        EstimatedInstanceWarmup=warmup,
        TargetTrackingConfiguration={
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ASGAverageCPUUtilization"},
            "TargetValue": 70,
            "DisableScaleIn": True,
        },
    )
    aws.autoscaling.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName=deployment.policy_name("out"),
        PolicyType="StepScaling",
        AdjustmentType="ChangeInCapacity",
        MetricAggregationType="Average",
        EstimatedInstanceWarmup=warmup,
        StepAdjustments=[
            {"ScalingAdjustment": 1, "MetricIntervalLowerBound": 0, "MetricIntervalUpperBound": 20},
            {"ScalingAdjustment": 2, "MetricIntervalLowerBound": 20},
        ],
    )
    aws.autoscaling.put_scaling_policy(
        AutoScalingGroupName=name,
        PolicyName=deployment.policy_name("in"),
        PolicyType="StepScaling",
        AdjustmentType="PercentChangeInCapacity",
        MinAdjustmentMagnitude=1,
        MetricAggregationType="Average",
        StepAdjustments=[{"ScalingAdjustment": -50, "MetricIntervalUpperBound": 0}],
    )


def _alarms(deployment: Deployment) -> dict[str, dict[str, Any]]:
    """Each alarm of the outputs as monitoring.tf and compute.tf define it (descriptions
    left out), by its key in `alarm_names`."""
    d, alerts = deployment, [deployment.alerts_topic_arn]

    def dimensions(**values: str) -> list[dict[str, str]]:
        return [{"Name": key, "Value": value} for key, value in values.items()]

    def alarm(
        name: str,
        metric: tuple[str, str],
        dims: list[dict[str, str]],
        threshold: float,
        comparison: str,
        **more: Any,
    ) -> dict[str, Any]:
        """One metric, over the alarm window, notifying the alerts topic, unless `more`
        says otherwise."""
        namespace, metric_name = metric
        return {
            "AlarmName": name,
            "Namespace": namespace,
            "MetricName": metric_name,
            "Dimensions": dims,
            "Statistic": "Sum",
            "Period": ALARM_WINDOW,
            "EvaluationPeriods": 1,
            "Threshold": threshold,
            "ComparisonOperator": comparison,
            "TreatMissingData": "notBreaching",
            "AlarmActions": alerts,
            **more,
        }

    def query(
        query_id: str, metric: tuple[str, str], stat: str, period: int, **dims: str
    ) -> dict[str, Any]:
        namespace, metric_name = metric
        return {
            "Id": query_id,
            "MetricStat": {
                "Metric": {
                    "Namespace": namespace,
                    "MetricName": metric_name,
                    "Dimensions": dimensions(**dims),
                },
                "Period": period,
                "Stat": stat,
            },
            "ReturnData": False,
        }

    cpu = ("AWS/EC2", "CPUUtilization")
    group = dimensions(AutoScalingGroupName=d.scaling_group)
    classes = [f"class{index}" for index in range(len(STORAGE_CLASSES))]
    return {
        "upload_failure_rate": {
            "AlarmName": f"{d.name}-upload-failure-rate",
            "EvaluationPeriods": 1,
            "Threshold": 5,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": alerts,
            "OKActions": alerts,
            "Metrics": [
                {
                    "Id": "rate",
                    "Expression": "100 * FILL(failures, 0) / writes",
                    "Label": "Upload failure rate (%)",
                    "ReturnData": True,
                },
                query(
                    "failures",
                    ("Eduportal", "image_upload_failures_total"),
                    "Sum",
                    ALARM_WINDOW,
                    backend="s3",
                ),
                query(
                    "writes",
                    ("Eduportal", "image_upload_seconds"),
                    "SampleCount",
                    ALARM_WINDOW,
                    backend="s3",
                ),
            ],
        },
        "bucket_quota": {
            "AlarmName": f"{d.name}-bucket-quota",
            "EvaluationPeriods": 1,
            "Threshold": 0.8 * d.storage_quota_bytes,
            "ComparisonOperator": "GreaterThanThreshold",
            "TreatMissingData": "notBreaching",
            "AlarmActions": alerts,
            "Metrics": [
                {
                    "Id": "total",
                    "Expression": " + ".join(f"FILL({c}, 0)" for c in classes),
                    "Label": "Bytes in the image bucket",
                    "ReturnData": True,
                },
                *(
                    query(
                        c,
                        ("AWS/S3", "BucketSizeBytes"),
                        "Average",
                        86_400,
                        BucketName=d.image_bucket,
                        StorageType=storage,
                    )
                    for c, storage in zip(classes, STORAGE_CLASSES, strict=True)
                ),
            ],
        },
        "cache_hit_rate": alarm(
            f"{d.name}-cache-hit-rate",
            ("AWS/CloudFront", "CacheHitRate"),
            dimensions(DistributionId=d.distribution_id, Region="Global"),
            70,
            "LessThanThreshold",
            Statistic="Average",
            EvaluationPeriods=2,
            DatapointsToAlarm=2,
            AlarmActions=[d.cdn_alerts_topic_arn],
        ),
        "s3_4xx": alarm(
            f"{d.name}-s3-4xx",
            ("AWS/S3", "4xxErrors"),
            dimensions(BucketName=d.image_bucket, FilterId="EntireBucket"),
            10,
            "GreaterThanThreshold",
        ),
        "dead_letters": alarm(
            f"{d.name}-dead-letters",
            ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
            dimensions(QueueName=d.dlq_name),
            0,
            "GreaterThanThreshold",
            Statistic="Maximum",
        ),
        "cpu_high": alarm(
            f"{d.name}-cpu-high",
            cpu,
            group,
            70,
            "GreaterThanThreshold",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=2,
            DatapointsToAlarm=2,
            TreatMissingData=None,
            AlarmActions=[d.policy_arn("out")],
        ),
        "cpu_low": alarm(
            f"{d.name}-cpu-low",
            cpu,
            group,
            15,
            "LessThanThreshold",
            Statistic="Average",
            Period=60,
            EvaluationPeriods=3,
            DatapointsToAlarm=3,
            TreatMissingData=None,
            AlarmActions=[d.policy_arn("in")],
        ),
        **{
            f"lambda_errors:{function.name}": alarm(
                f"{function.name}-errors",
                ("AWS/Lambda", "Errors"),
                dimensions(FunctionName=function.name),
                0,
                "GreaterThanThreshold",
            )
            for function in FUNCTIONS
        },
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
