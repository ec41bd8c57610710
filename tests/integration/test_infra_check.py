"""`eduportal infra check` as an operator runs it: a process, AWS_ENDPOINT_URL at moto's server,
the Terraform's outputs in a file; a deployment set right, then broken one setting at a time.

moto cannot hold two of the settings (`MOTO_CANNOT_HOLD`): on moto a correct deployment fails
exactly those, and the breaks of them cannot be told from the correct deployment, so those
breaks are skipped with moto's reason. Their rules are tested on plain readings in
tests/unit/test_deployment_rules.py.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import boto3
import pytest

from eduportal.config import load_settings
from eduportal.domain.deployment import READ_PERMISSIONS, EncryptionRule, Unreadable
from eduportal.domain.deployment_outputs import outputs_from_terraform
from eduportal.pipeline.permissions import FUNCTIONS
from eduportal.services.deployment_check import check_deployment
from eduportal.wiring import build_deployment_reader
from tests.support.cli import run_cli
from tests.support.deployment import (
    ACCOUNT,
    CLEAN_UP_RULE,
    MAX_RECEIVES,
    MOTO_CANNOT_HOLD,
    REGION,
    Deployment,
    aging_rule,
    cloudfront_reads,
    provision,
    redrive,
    tls_only,
)
from tests.support.fault_proxy import ACCESS_DENIED, FaultProxy

if TYPE_CHECKING:
    from mypy_boto3_s3.literals import ServerSideEncryptionType

Break = Callable[[Deployment], Any]
OTHER_DISTRIBUTION = f"arn:aws:cloudfront::{ACCOUNT}:distribution/E000000000000"
CACHING_OPTIMIZED = "658327ea-f89d-4fab-a63d-7e88639e58f6"  # AWS's managed cache policy


@pytest.fixture
def deployment(moto_url: str) -> Iterator[Deployment]:
    made = provision(moto_url)
    yield made
    made.remove()


@pytest.fixture
def aws_env(env: dict[str, str], moto_url: str) -> dict[str, str]:
    """AWS_REGION names a region the stack is not in: the outputs say where it is."""
    return {**env, "AWS_ENDPOINT_URL": moto_url, "AWS_REGION": "ap-southeast-2"}


def check(
    deployment: Deployment, tmp_path: Path, env: dict[str, str]
) -> tuple[subprocess.CompletedProcess[str], dict[str, dict[str, Any]]]:
    """The command with --json, and its report by setting."""
    outputs = deployment.write_outputs(tmp_path / "outputs.json")
    done = run_cli(["infra", "check", "--outputs", str(outputs), "--json"], env)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    by_setting = {line["setting"]: line for line in report}
    assert len(by_setting) == len(report), "settings are unique"
    return done, by_setting


def failed(report: dict[str, dict[str, Any]]) -> set[str]:
    return {setting for setting, line in report.items() if not line["passed"]}


def test_a_correct_deployment_passes_every_setting_moto_can_hold(
    deployment: Deployment, tmp_path: Path, aws_env: dict[str, str]
) -> None:
    """Read from the default outputs path, in the region the outputs name (CloudFront's
    cache hit alarm in us-east-1), printed a line per setting under its resource."""
    deployment.write_outputs(tmp_path / ".deploy" / "outputs.json")
    done = run_cli(["infra", "check"], aws_env, cwd=tmp_path)

    assert done.returncode == 3, done.stderr  # the settings moto cannot hold
    lines = done.stdout.splitlines()
    assert lines[0] == deployment.image_bucket
    assert "  PASS  image bucket versioning: Enabled" in lines
    assert "  PASS  image bucket encryption: AES256, bucket key on" in lines
    assert (
        "  PASS  image bucket lifecycle tiers: rule age-auto: STANDARD_IA at 90 days, "
        "GLACIER_IR at 270 days" in lines
    )
    assert (
        "  PASS  image bucket policy: CloudFront reads: only cloudfront.amazonaws.com, on "
        f"AWS:SourceArn {deployment.distribution_arn}" in lines
    )
    assert (
        "  PASS  CloudFront cache TTLs: default 86400 s, maximum 31536000 s "
        "(legacy cache settings)" in lines
    )
    assert deployment.alarms["cache_hit_rate"] in lines
    assert (
        "  PASS  cache hit rate alarm: threshold 70 LessThanThreshold, period 300 s; "
        "notifies the us-east-1 alerts topic" in lines
    )
    assert (
        "  PASS  bucket quota alarm: threshold 80000000000 GreaterThanThreshold, "
        "period 86400 s, metric math; notifies the alerts topic" in lines
    )
    assert (
        "  PASS  CPU low alarm: threshold 15 LessThanThreshold, period 60 s; runs the policy "
        f"{deployment.policy_name('in')} of the group {deployment.scaling_group}" in lines
    )
    assert "eduportal-pipeline-validate-errors" in lines
    assert (
        "  PASS  Lambda errors alarm (eduportal-pipeline-validate): threshold 0 "
        "GreaterThanThreshold, period 300 s; notifies the alerts topic" in lines
    )
    assert "  PASS  queue redrive policy: to " in "\n".join(lines)
    assert "  PASS  records table encryption: DynamoDB's own key (its default)" in lines
    assert (
        "  FAIL  CloudFront origin access control: origin images has no origin access "
        "control (expected: the image bucket's origin signs with an origin access control: "
        "sigv4, always, s3)" in lines
    )
    assert "  FAIL  image bucket EventBridge notifications: off (expected: on)" in lines
    passes = sum(line.startswith("  PASS  ") for line in lines)
    assert lines[-1] == f"{passes} of {passes + 2} settings pass; 2 fail."
    assert passes == 44 + len(FUNCTIONS) - 1  # each function's alarm for the one of all

    _, report = check(deployment, tmp_path, aws_env)
    assert failed(report) == set(MOTO_CANNOT_HOLD), "moto holds more now: update the list"
    assert report["CPU high alarm"]["resource"] == deployment.alarms["cpu_high"]
    assert set(report["image bucket versioning"]) == {
        "setting",
        "resource",
        "passed",
        "found",
        "expected",
    }


def _suspend(bucket: str) -> Break:
    return lambda d: d.aws.s3.put_bucket_versioning(
        Bucket=getattr(d, bucket), VersioningConfiguration={"Status": "Suspended"}
    )


def _encrypt(algorithm: ServerSideEncryptionType, *, bucket_key: bool) -> Break:
    return lambda d: d.aws.s3.put_bucket_encryption(
        Bucket=d.image_bucket,
        ServerSideEncryptionConfiguration={
            "Rules": [
                {
                    "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": algorithm},
                    "BucketKeyEnabled": bucket_key,
                }
            ]
        },
    )


def _distribution(change: Callable[[Any], Any]) -> Break:
    return lambda d: d.update_distribution(change)


def _behaviour(**values: Any) -> Break:
    return _distribution(lambda config: config["DefaultCacheBehavior"].update(values))


def _origin(**values: Any) -> Break:
    return _distribution(lambda config: config["Origins"]["Items"][0].update(values))


def _state_machine(**values: Any) -> Break:
    return lambda d: d.aws.stepfunctions.update_state_machine(
        stateMachineArn=d.state_machine_arn, **values
    )


def _of_another_group(policy_arn: str) -> str:
    """The ARN of a policy named as `policy_arn`'s, of the group `other`."""
    return re.sub(r"autoScalingGroupName/[^:]+:", "autoScalingGroupName/other:", policy_arn)


def _delete_alarm(key: str) -> Break:
    return lambda d: d.alarm_client(key).delete_alarms(AlarmNames=[d.alarms[key]])


def _delete_distribution(d: Deployment) -> None:
    d.update_distribution(lambda config: config.update(Enabled=False))
    etag = d.aws.cloudfront.get_distribution(Id=d.distribution_id)["ETag"]
    d.aws.cloudfront.delete_distribution(Id=d.distribution_id, IfMatch=etag)


def _table_as_first_described(d: Deployment) -> None:
    """Keyed on image_key, indexed on status and upload_date, as the architecture's first
    page describes the records: not the table the portal reads."""
    name = f"{d.records_table}-first"
    d.aws.dynamodb.create_table(
        TableName=name,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[
            {"AttributeName": attribute, "AttributeType": "S"}
            for attribute in ("image_key", "status", "upload_date")
        ],
        KeySchema=[{"AttributeName": "image_key", "KeyType": "HASH"}],
        GlobalSecondaryIndexes=[
            {
                "IndexName": attribute,
                "KeySchema": [{"AttributeName": attribute, "KeyType": "HASH"}],
                "Projection": {"ProjectionType": "ALL"},
            }
            for attribute in ("status", "upload_date")
        ],
    )
    d.aws.dynamodb.update_continuous_backups(
        TableName=name, PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": True}
    )
    d.records_table = name


VALIDATE_ERRORS = "lambda_errors:eduportal-pipeline-validate"
VALIDATE_ERRORS_SETTING = "Lambda errors alarm (eduportal-pipeline-validate)"


def _skip(setting: str) -> pytest.MarkDecorator:
    return pytest.mark.skip(reason=f"{setting}: {MOTO_CANNOT_HOLD[setting]}")


TABLE_LAYOUT = {
    "records table key": "image_key (HASH)",
    "records table index by_key": "no index named by_key (indexes: status, upload_date)",
    "records table index by_status": "no index named by_status",
    "records table index by_day": "no index named by_day",
}

BREAKS = [
    # the image bucket
    pytest.param(
        _suspend("image_bucket"),
        {"image bucket versioning": "Suspended"},
        id="versioning suspended",
    ),
    pytest.param(
        _encrypt("aws:kms", bucket_key=True),
        {"image bucket encryption": "aws:kms, bucket key on"},
        id="SSE-KMS instead of AES256",
    ),
    pytest.param(
        _encrypt("AES256", bucket_key=False),
        {"image bucket encryption": "AES256, bucket key off"},
        id="bucket key off",
    ),
    pytest.param(
        lambda d: d.aws.s3.put_public_access_block(
            Bucket=d.image_bucket,
            PublicAccessBlockConfiguration={
                "BlockPublicAcls": True,
                "IgnorePublicAcls": True,
                "BlockPublicPolicy": False,
                "RestrictPublicBuckets": True,
            },
        ),
        {"image bucket public access block": "off: BlockPublicPolicy"},
        id="a public access flag off",
    ),
    pytest.param(
        lambda d: d.aws.s3.put_bucket_ownership_controls(
            Bucket=d.image_bucket,
            OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]},
        ),
        {"image bucket object ownership": "ObjectWriter"},
        id="ACLs decide ownership",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(
            aging_rule(
                Transitions=[
                    {"Days": 90, "StorageClass": "STANDARD_IA"},
                    {"Days": 300, "StorageClass": "GLACIER_IR"},
                ]
            ),
            CLEAN_UP_RULE,
        ),
        {"image bucket lifecycle tiers": "GLACIER_IR at 300 days"},
        id="lifecycle archive day wrong",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(
            aging_rule(
                Transitions=[
                    {"Days": 90, "StorageClass": "STANDARD_IA"},
                    {"Days": 270, "StorageClass": "GLACIER"},
                ]
            ),
            CLEAN_UP_RULE,
        ),
        {"image bucket lifecycle tiers": "GLACIER at 270 days"},
        id="Glacier Flexible Retrieval",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(aging_rule(Expiration={"Days": 600}), CLEAN_UP_RULE),
        {"image bucket lifecycle expiration": "rule age-auto: expires at 600 days"},
        id="lifecycle expiration day wrong",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(
            aging_rule(
                Filter={
                    "And": {
                        "Prefix": "uploads/",
                        "Tags": [{"Key": "lifecycle", "Value": "auto"}],
                    }
                }
            ),
            CLEAN_UP_RULE,
        ),
        {
            "image bucket lifecycle tiers": "no enabled rule on the tag lifecycle=auto alone "
            "(rules: age-auto (prefix 'uploads/' and tag lifecycle=auto), "
            "abort-incomplete-uploads (every object))",
            "image bucket lifecycle expiration": "no enabled rule on the tag",
        },
        id="lifecycle rule limited to a prefix",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(aging_rule(Status="Disabled"), CLEAN_UP_RULE),
        {
            "image bucket lifecycle tiers": "age-auto (tag lifecycle=auto, disabled)",
            "image bucket lifecycle expiration": "no enabled rule on the tag",
            "image bucket noncurrent version expiration": "no enabled rule",
        },
        id="lifecycle rule disabled",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(aging_rule(NoncurrentVersionExpiration=None), CLEAN_UP_RULE),
        {"image bucket noncurrent version expiration": "no enabled rule"},
        id="noncurrent versions kept",
    ),
    pytest.param(
        lambda d: d.put_lifecycle(aging_rule()),
        {"image bucket incomplete upload cleanup": "no enabled rule"},
        id="incomplete uploads kept",
    ),
    pytest.param(
        lambda d: d.put_policy(cloudfront_reads(d.image_bucket, d.distribution_arn)),
        {"image bucket policy: TLS only": "no statement denies every request without TLS"},
        id="policy without the TLS deny",
    ),
    pytest.param(
        lambda d: d.put_policy(
            tls_only(d.image_bucket),
            cloudfront_reads(d.image_bucket, d.distribution_arn),
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{d.image_bucket}/*",
            },
        ),
        {"image bucket policy: CloudFront reads": "s3:GetObject is also allowed to *"},
        id="policy lets everyone read",
    ),
    pytest.param(
        lambda d: d.put_policy(
            tls_only(d.image_bucket), cloudfront_reads(d.image_bucket, OTHER_DISTRIBUTION)
        ),
        {"image bucket policy: CloudFront reads": f"on AWS:SourceArn {OTHER_DISTRIBUTION}"},
        id="policy for another distribution",
    ),
    pytest.param(
        lambda d: d.aws.s3.delete_bucket_policy(Bucket=d.image_bucket),
        {
            "image bucket policy: TLS only": "no bucket policy",
            "image bucket policy: CloudFront reads": "no bucket policy",
        },
        id="no bucket policy",
    ),
    pytest.param(
        lambda d: d.aws.s3.put_bucket_notification_configuration(
            Bucket=d.image_bucket, NotificationConfiguration={}
        ),
        {"image bucket EventBridge notifications": "off"},
        id="EventBridge notifications off",
        marks=_skip("image bucket EventBridge notifications"),
    ),
    # the archive bucket
    pytest.param(
        _suspend("archive_bucket"),
        {"archive bucket versioning": "Suspended"},
        id="archive versioning suspended",
    ),
    pytest.param(
        lambda d: d.aws.s3.delete_bucket_encryption(Bucket=d.archive_bucket),
        {"archive bucket encryption": "no default encryption"},
        id="archive without default encryption",
    ),
    pytest.param(
        lambda d: d.aws.s3.delete_public_access_block(Bucket=d.archive_bucket),
        {"archive bucket public access block": "no public access block"},
        id="archive without public access block",
    ),
    # the distribution
    pytest.param(
        _distribution(lambda config: config.update(Enabled=False)),
        {"CloudFront enabled": "off"},
        id="distribution disabled",
    ),
    pytest.param(
        _origin(OriginAccessControlId=""),
        {"CloudFront origin access control": "has no origin access control"},
        id="no origin access control",
        marks=_skip("CloudFront origin access control"),
    ),
    pytest.param(
        _origin(
            OriginAccessControlId="",
            S3OriginConfig={"OriginAccessIdentity": "origin-access-identity/cloudfront/E2Q"},
        ),
        {
            "CloudFront origin access control": "has no origin access control",
            "CloudFront legacy origin access identity": "origin-access-identity/cloudfront/E2Q",
        },
        id="legacy origin access identity",
        marks=_skip("CloudFront origin access control"),
    ),
    pytest.param(
        _behaviour(ViewerProtocolPolicy="allow-all"),
        {"CloudFront viewer protocol": "allow-all"},
        id="plain HTTP served",
    ),
    pytest.param(
        _behaviour(
            AllowedMethods={
                "Quantity": 4,
                "Items": ["GET", "HEAD", "OPTIONS", "PUT"],
                "CachedMethods": {"Quantity": 2, "Items": ["GET", "HEAD"]},
            }
        ),
        {"CloudFront allowed methods": "GET, HEAD, OPTIONS, PUT; cached GET, HEAD"},
        id="PUT allowed",
    ),
    pytest.param(
        _behaviour(Compress=False),
        {"CloudFront compression": "off"},
        id="compression off",
    ),
    pytest.param(
        _distribution(lambda config: config.update(PriceClass="PriceClass_All")),
        {"CloudFront price class": "PriceClass_All"},
        id="every edge location",
    ),
    pytest.param(
        _behaviour(DefaultTTL=3600),
        {"CloudFront cache TTLs": "default 3600 s, maximum 31536000 s"},
        id="default TTL an hour",
    ),
    pytest.param(
        _behaviour(MaxTTL=86_400),
        {"CloudFront cache TTLs": "default 86400 s, maximum 86400 s"},
        id="max TTL a day",
    ),
    pytest.param(
        _behaviour(
            ForwardedValues={"QueryString": False, "Cookies": {"Forward": "none"}},
        ),
        {"CloudFront cache key": "no query string (legacy cache settings)"},
        id="v not in the cache key",
    ),
    pytest.param(
        _behaviour(CachePolicyId=CACHING_OPTIMIZED),
        {
            "CloudFront cache TTLs": f"AWS could not read the cache policy {CACHING_OPTIMIZED}",
            "CloudFront cache key": f"AWS could not read the cache policy {CACHING_OPTIMIZED}",
        },
        id="cache policy unreadable (moto serves none)",
    ),
    # alarms
    pytest.param(
        lambda d: d.put_alarm("upload_failure_rate", Threshold=10),
        {"upload failure rate alarm": "threshold 10 GreaterThanThreshold"},
        id="upload failure threshold 10",
    ),
    pytest.param(
        lambda d: d.put_alarm(
            "upload_failure_rate",
            Metrics=None,
            Namespace="Eduportal",
            MetricName="image_upload_failures_total",
            Statistic="Sum",
            Period=300,
        ),
        {"upload failure rate alarm": "threshold 5 GreaterThanThreshold, period 300 s;"},
        id="upload failures counted, not a rate",
    ),
    pytest.param(
        lambda d: d.put_alarm("cache_hit_rate", Threshold=50),
        {"cache hit rate alarm": "threshold 50 LessThanThreshold"},
        id="cache hit threshold 50",
    ),
    pytest.param(
        lambda d: d.put_alarm("cache_hit_rate", ComparisonOperator="GreaterThanThreshold"),
        {"cache hit rate alarm": "threshold 70 GreaterThanThreshold"},
        id="cache hit alarm above",
    ),
    pytest.param(
        lambda d: d.put_alarm("s3_4xx", Period=60),
        {"S3 4xx errors alarm": "period 60 s"},
        id="4xx over a minute",
    ),
    pytest.param(
        lambda d: d.put_alarm("dead_letters", ComparisonOperator="GreaterThanOrEqualToThreshold"),
        {"dead letters alarm": "threshold 0 GreaterThanOrEqualToThreshold"},
        id="dead letters alarm always on",
    ),
    pytest.param(
        lambda d: d.put_alarm(VALIDATE_ERRORS, AlarmActions=[]),
        {VALIDATE_ERRORS_SETTING: "does not notify the alerts topic (actions: none)"},
        id="alarm notifies nobody",
    ),
    pytest.param(
        lambda d: d.alarms.pop(VALIDATE_ERRORS),
        {
            VALIDATE_ERRORS_SETTING: "no alarm: alarm_names has no key "
            "lambda_errors:eduportal-pipeline-validate"
        },
        id="a function without its errors alarm in the outputs",
    ),
    pytest.param(
        _delete_alarm(VALIDATE_ERRORS),
        {
            VALIDATE_ERRORS_SETTING: "There is no CloudWatch alarm named "
            "eduportal-pipeline-validate-errors in eu-west-1."
        },
        id="a function's errors alarm deleted",
    ),
    pytest.param(
        lambda d: d.put_alarm(VALIDATE_ERRORS, ComparisonOperator="GreaterThanOrEqualToThreshold"),
        {VALIDATE_ERRORS_SETTING: "threshold 0 GreaterThanOrEqualToThreshold"},
        id="errors alarm always on",
    ),
    pytest.param(
        lambda d: d.put_alarm("cache_hit_rate", AlarmActions=[d.alerts_topic_arn]),
        {
            "cache hit rate alarm": "does not notify the us-east-1 alerts topic (actions: "
            f"arn:aws:sns:{REGION}:"
        },
        id="cache hit alarm on the regional topic",
    ),
    pytest.param(
        lambda d: d.put_alarm("bucket_quota", Threshold=0.9 * d.storage_quota_bytes),
        {"bucket quota alarm": "threshold 90000000000 GreaterThanThreshold"},
        id="quota alarm at 90 %",
    ),
    pytest.param(
        lambda d: setattr(d, "storage_quota_bytes", 50_000_000_000),
        {"bucket quota alarm": "threshold 80000000000 GreaterThanThreshold"},
        id="quota alarm on another quota than the servers'",
    ),
    pytest.param(
        lambda d: d.put_alarm(
            "bucket_quota",
            Metrics=None,
            Namespace="AWS/S3",
            MetricName="BucketSizeBytes",
            Dimensions=[
                {"Name": "BucketName", "Value": d.image_bucket},
                {"Name": "StorageType", "Value": "StandardStorage"},
            ],
            Statistic="Average",
            Period=86_400,
        ),
        {"bucket quota alarm": "threshold 80000000000 GreaterThanThreshold, period 86400 s;"},
        id="quota alarm on Standard storage alone",
    ),
    pytest.param(
        lambda d: d.put_alarm("cpu_high", AlarmActions=[d.alerts_topic_arn]),
        {
            "CPU high alarm": "runs no scaling policy of the group eduportal-",
            "scale-out policy": "no policy run by eduportal-",
        },
        id="CPU alarm notifying a topic instead of a policy",
    ),
    pytest.param(
        lambda d: d.put_alarm("cpu_low", AlarmActions=[_of_another_group(d.policy_arn("in"))]),
        {
            "CPU low alarm": "runs no scaling policy of the group eduportal-",
            "scale-in policy": "no policy run by eduportal-",
        },
        id="CPU alarm running another group's policy",
    ),
    pytest.param(
        lambda d: d.put_alarm("cpu_low", Threshold=30),
        {"CPU low alarm": "threshold 30 LessThanThreshold"},
        id="scale-in alarm at 30 %",
    ),
    pytest.param(
        lambda d: d.put_alarm("cpu_low", ComparisonOperator="LessThanOrEqualToThreshold"),
        {"CPU low alarm": "threshold 15 LessThanOrEqualToThreshold"},
        id="scale-in alarm at or below",
    ),
    pytest.param(
        lambda d: d.put_alarm("cpu_high", Period=300),
        {"CPU high alarm": "period 300 s"},
        id="CPU alarm over 5 minutes",
    ),
    pytest.param(
        lambda d: d.put_alarm("cpu_high", Threshold=80),
        {"CPU high alarm": "threshold 80 GreaterThanThreshold"},
        id="CPU alarm at 80",
    ),
    pytest.param(
        _delete_alarm("bucket_quota"),
        {"bucket quota alarm": "-bucket-quota in eu-west-1."},
        id="quota alarm missing",
    ),
    pytest.param(
        _delete_alarm("cpu_low"),
        {
            "CPU low alarm": "There is no CloudWatch alarm named eduportal-",
            "scale-in policy": "-cpu-low (policies: ",
        },
        id="scale-in alarm missing",
    ),
    # the Auto Scaling group
    pytest.param(
        lambda d: d.aws.autoscaling.delete_policy(
            AutoScalingGroupName=d.scaling_group, PolicyName=d.policy_name("out")
        ),
        {"scale-out policy": "-cpu-high (policies: eduportal-"},
        id="scale-out policy missing",
    ),
    pytest.param(
        lambda d: d.new_template_version(MetadataOptions={"HttpTokens": "optional"}),
        {"instance metadata IMDSv2": "HttpTokens optional in eduportal-"},
        id="IMDSv1 allowed",
    ),
    pytest.param(
        lambda d: d.new_template_version(
            BlockDeviceMappings=[{"DeviceName": "/dev/xvda", "Ebs": {"Encrypted": False}}]
        ),
        {"instance volume encryption": "not encrypted in eduportal-"},
        id="volume unencrypted",
    ),
    pytest.param(
        lambda d: d.new_template_version(BlockDeviceMappings=None),
        {
            "instance volume encryption": "no EBS volume, and the account does not encrypt "
            "new volumes by default"
        },
        id="volume left to an unencrypted default",
    ),
    # the pipeline
    pytest.param(
        _state_machine(loggingConfiguration={"level": "OFF"}),
        {"state machine logging": "OFF"},
        id="state machine logging off",
    ),
    pytest.param(
        _state_machine(tracingConfiguration={"enabled": False}),
        {"state machine tracing": "off"},
        id="state machine tracing off",
    ),
    pytest.param(
        lambda d: d.aws.sqs.set_queue_attributes(
            QueueUrl=d.queue_url, Attributes={"RedrivePolicy": redrive(d.dlq_arn, 3)}
        ),
        {"queue redrive policy": "after 3 receives"},
        id="queue maxReceiveCount 3",
    ),
    pytest.param(
        lambda d: d.aws.sqs.set_queue_attributes(
            QueueUrl=d.dlq_url, Attributes={"SqsManagedSseEnabled": "false"}
        ),
        {"dead-letter queue encryption": "none"},
        id="dead-letter queue unencrypted",
    ),
    pytest.param(
        lambda d: d.aws.dynamodb.update_continuous_backups(
            TableName=d.records_table,
            PointInTimeRecoverySpecification={"PointInTimeRecoveryEnabled": False},
        ),
        {"records table point-in-time recovery": "DISABLED"},
        id="PITR off",
    ),
    pytest.param(
        lambda d: d.aws.dynamodb.update_table(
            TableName=d.records_table,
            GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "by_status"}}],
        ),
        {"records table index by_status": "no index named by_status (indexes: by_key, by_day)"},
        id="status index missing",
    ),
    pytest.param(
        _table_as_first_described,
        TABLE_LAYOUT,
        id="table keyed on image_key",
    ),
    # resources gone: each of their settings fails with the sentence
    pytest.param(
        lambda d: d.aws.s3.delete_bucket(Bucket=d.archive_bucket),
        dict.fromkeys(
            (
                "archive bucket versioning",
                "archive bucket encryption",
                "archive bucket public access block",
            ),
            "There is no S3 bucket named archive-",
        ),
        id="archive bucket deleted",
    ),
    pytest.param(
        _delete_distribution,
        dict.fromkeys(
            (
                "CloudFront enabled",
                "CloudFront origin access control",
                "CloudFront legacy origin access identity",
                "CloudFront viewer protocol",
                "CloudFront allowed methods",
                "CloudFront compression",
                "CloudFront price class",
                "CloudFront cache TTLs",
                "CloudFront cache key",
            ),
            "There is no CloudFront distribution ",
        ),
        id="distribution deleted",
    ),
    pytest.param(
        lambda d: d.remove(),
        dict.fromkeys(
            (
                "scale-out policy",
                "scale-in policy",
                "instance metadata IMDSv2",
                "instance volume encryption",
            ),
            "There is no Auto Scaling group named eduportal-",
        ),
        id="group deleted",
    ),
    pytest.param(
        lambda d: d.aws.stepfunctions.delete_state_machine(stateMachineArn=d.state_machine_arn),
        dict.fromkeys(
            ("state machine logging", "state machine tracing"), "There is no state machine arn:"
        ),
        id="state machine deleted",
    ),
    pytest.param(
        lambda d: d.aws.sqs.delete_queue(QueueUrl=d.queue_url),
        dict.fromkeys(("queue redrive policy", "queue encryption"), "There is no queue at "),
        id="queue deleted",
    ),
    pytest.param(
        lambda d: d.aws.dynamodb.delete_table(TableName=d.records_table),
        dict.fromkeys(
            (
                "records table key",
                "records table index by_key",
                "records table index by_status",
                "records table index by_day",
                "records table point-in-time recovery",
                "records table encryption",
            ),
            "There is no DynamoDB table named image-records-",
        ),
        id="table deleted",
    ),
]


@pytest.mark.parametrize(("wreck", "fails"), BREAKS)
def test_a_wrong_setting_fails_by_name_and_the_others_still_pass(
    deployment: Deployment,
    moto_url: str,
    wreck: Break,
    fails: dict[str, str],
) -> None:
    """`fails`: each setting that must fail, and a part of the value it must report. The
    check runs in this process, as the command runs it (the command's own tests run it as a
    process): some sixty breaks, each a second less."""
    wreck(deployment)
    report: dict[str, dict[str, Any]] = {
        result.setting: result.as_dict()
        for result in check_deployment(
            build_deployment_reader(load_settings(aws_endpoint_url=moto_url), region=REGION),
            outputs_from_terraform(deployment.outputs()),
            max_receives=MAX_RECEIVES,
            pipeline_functions=[function.name for function in FUNCTIONS],
        )
    }

    assert failed(report) == set(MOTO_CANNOT_HOLD) | set(fails)
    for setting, found in fails.items():
        assert found in report[setting]["found"], report[setting]


def test_the_cache_hit_alarm_is_read_in_us_east_1_only(
    deployment: Deployment, tmp_path: Path, aws_env: dict[str, str]
) -> None:
    """The cache hit alarm is looked for in us-east-1 only: one in the stack's region is not
    CloudFront's."""
    deployment.alarm_client("cache_hit_rate").delete_alarms(
        AlarmNames=[deployment.alarms["cache_hit_rate"]]
    )
    deployment.put_alarm("dead_letters", AlarmName=deployment.alarms["cache_hit_rate"])

    _, report = check(deployment, tmp_path, aws_env)
    assert report["cache hit rate alarm"]["found"] == (
        f"There is no CloudWatch alarm named {deployment.alarms['cache_hit_rate']} in us-east-1."
    )


@pytest.mark.parametrize(
    ("write", "sentence"),
    [
        pytest.param(
            None, "There is no .deploy/outputs.json: scripts/deploy.sh writes it", id="missing"
        ),
        pytest.param("{not json", ".deploy/outputs.json is not JSON", id="not JSON"),
        pytest.param("[]", "This is not the JSON `terraform output -json` writes", id="a list"),
        pytest.param(
            json.dumps({"s3_bucket_name": {"value": "images"}}),
            "These outputs are missing or empty: alarm_names (a map with upload_failure_rate, "
            "bucket_quota, cache_hit_rate, s3_4xx, dead_letters, cpu_high, cpu_low, and "
            "lambda_errors:FUNCTION for each pipeline function), alerts_topic_arn, app_env (a "
            "map with EDUPORTAL_STORAGE_QUOTA_BYTES, a whole number of bytes), "
            "archive_bucket_name, autoscaling_group_name, cdn_alerts_topic_arn,",
            id="outputs missing",
        ),
    ],
)
def test_an_unusable_outputs_file_is_a_usage_error(
    tmp_path: Path, aws_env: dict[str, str], write: str | None, sentence: str
) -> None:
    if write is not None:
        (tmp_path / ".deploy").mkdir()
        (tmp_path / ".deploy" / "outputs.json").write_text(write)
    done = run_cli(["infra", "check"], aws_env, cwd=tmp_path)
    assert done.returncode == 2
    assert done.stderr.startswith(f"error: {sentence}" if write is None else "error: ")
    assert sentence in done.stderr
    assert "Traceback" not in done.stderr and done.stdout == ""


def test_an_alerts_topic_that_is_no_arn_is_a_usage_error(
    deployment: Deployment, tmp_path: Path, aws_env: dict[str, str]
) -> None:
    deployment.alerts_topic_arn = "alerts"
    outputs = deployment.write_outputs(tmp_path / "outputs.json")
    done = run_cli(["infra", "check", "--outputs", str(outputs)], aws_env)
    assert done.returncode == 2
    assert "The alerts_topic_arn output, 'alerts', is not an SNS topic's ARN" in done.stderr


def test_help_names_the_options_and_every_permission(aws_env: dict[str, str]) -> None:
    done = run_cli(["infra", "check", "--help"], aws_env)
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    for words in (
        "--outputs PATH",
        "--json",
        "default: .deploy/outputs.json",
        "exit status",
        "cdn_alerts_topic_arn",
        "80 % of app_env's EDUPORTAL_STORAGE_QUOTA_BYTES",
        "lambda_errors:FUNCTION",
        "above 70 % and below 15 %",
    ):
        assert words in text
    assert all(permission in text for permission in READ_PERMISSIONS)


def test_a_refused_read_fails_its_setting_alone(
    deployment: Deployment, fault_proxy: FaultProxy
) -> None:
    """AccessDenied on the wire, on the bucket's first read: that setting is unreadable with
    the sentence, the bucket's other settings are read."""
    settings = load_settings(aws_endpoint_url=fault_proxy.url)
    reader = build_deployment_reader(settings, region=REGION)
    fault_proxy.inject(ACCESS_DENIED)

    bucket = reader.bucket(deployment.image_bucket)

    assert fault_proxy.faults_served == 1
    assert bucket.versioning == Unreadable(
        f"AWS refused to let these credentials read the versioning of the bucket "
        f"{deployment.image_bucket}. Grant the read permissions `eduportal infra check "
        "--help` lists (all read-only)."
    )
    assert bucket.encryption == (EncryptionRule("AES256", None, bucket_key=True),)
    assert bucket.ownership == "BucketOwnerEnforced"


def test_the_check_calls_aws_for_the_listed_permissions_only(
    deployment: Deployment, moto_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every call a check makes, as botocore announces it, needs one of READ_PERMISSIONS, and
    every one listed is needed: all but reading an origin access control are reached here,
    on the deployment and then on its distribution with a cache policy (moto keeps no origin
    access control on an origin, so the reader never asks for one)."""
    calls: set[str] = set()
    _record_calls(monkeypatch, calls)
    settings = load_settings(aws_endpoint_url=moto_url)
    outputs = outputs_from_terraform(deployment.outputs())

    check_deployment(
        build_deployment_reader(settings, region=REGION),
        outputs,
        max_receives=MAX_RECEIVES,
        pipeline_functions=[function.name for function in FUNCTIONS],
    )
    _behaviour(CachePolicyId=CACHING_OPTIMIZED)(deployment)
    check_deployment(
        build_deployment_reader(settings, region=REGION),
        outputs,
        max_receives=MAX_RECEIVES,
        pipeline_functions=[function.name for function in FUNCTIONS],
    )

    assert calls <= set(READ_PERMISSIONS)
    assert set(READ_PERMISSIONS) - calls == {"cloudfront:GetOriginAccessControl"}


_IAM_ACTIONS = {
    "s3:GetBucketEncryption": "s3:GetEncryptionConfiguration",
    "s3:GetPublicAccessBlock": "s3:GetBucketPublicAccessBlock",
    "s3:GetBucketLifecycleConfiguration": "s3:GetLifecycleConfiguration",
    "s3:GetBucketNotificationConfiguration": "s3:GetBucketNotification",
}
"""The S3 operations whose IAM action has another name (the S3 API reference's
"Permissions" of each)."""
_IAM_PREFIXES = {"monitoring": "cloudwatch"}
"""Services whose IAM prefix is not their signing name."""


def _record_calls(monkeypatch: pytest.MonkeyPatch, calls: set[str]) -> None:
    """The IAM action of every call of every client made from now on: botocore announces
    each call once (`before-parameter-build`), whatever its retries."""
    make = boto3.session.Session.client

    def client(self: boto3.session.Session, *args: Any, **kwargs: Any) -> Any:
        made = make(self, *args, **kwargs)
        signing = made.meta.service_model.signing_name
        prefix = _IAM_PREFIXES.get(signing, signing)

        def announce(model: Any, **_: Any) -> None:
            name = f"{prefix}:{model.name}"
            calls.add(_IAM_ACTIONS.get(name, name))

        made.meta.events.register("before-parameter-build", announce)
        return made

    monkeypatch.setattr(boto3.session.Session, "client", client)
