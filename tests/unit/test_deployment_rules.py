"""The deployment check's rules on plain readings: what moto's server cannot hold (an origin
access control on an origin, a cache policy, a bucket's EventBridge notifications, a table on a
KMS key), the spellings IAM allows in a bucket policy, the alarms' actions in each form AWS
writes them; and the outputs contract. Over the wire, on moto:
tests/integration/test_infra_check.py."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

import pytest

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
    ScalingGroupSettings,
    TableSettings,
    Transition,
    Unreadable,
)
from eduportal.domain.deployment_check import CheckResult, all_passed
from eduportal.domain.deployment_outputs import (
    ALARM_KEYS,
    LAMBDA_ERRORS_KEY,
    DeploymentOutputs,
    outputs_from_terraform,
)
from eduportal.domain.errors import NotFoundError, ValidationError
from eduportal.domain.records_table import INDEXES
from eduportal.services.deployment_check.buckets import image_bucket_rules
from eduportal.services.deployment_check.cdn import distribution_rules
from eduportal.services.deployment_check.compute import scaling_rules
from eduportal.services.deployment_check.monitoring import (
    alarm_requirement,
    alarm_rules,
    unalarmed_functions,
)
from eduportal.services.deployment_check.pipeline import table_rules
from eduportal.services.deployment_check.rules import Finding, Rule

R = TypeVar("R")

FUNCTION_NAMES = ("eduportal-pipeline-resize", "eduportal-pipeline-validate")
OUTPUTS = DeploymentOutputs(
    region="eu-west-1",
    image_bucket="images",
    archive_bucket="archive",
    distribution_id="E1ABC",
    alerts_topic_arn="arn:aws:sns:eu-west-1:123456789012:alerts",
    cdn_alerts_topic_arn="arn:aws:sns:us-east-1:123456789012:cdn-alerts",
    scaling_group="web",
    state_machine_arn="arn:aws:states:eu-west-1:123456789012:stateMachine:pipeline",
    queue_url="https://sqs.eu-west-1.amazonaws.com/123456789012/pipeline",
    dlq_url="https://sqs.eu-west-1.amazonaws.com/123456789012/pipeline-dlq",
    records_table="image-records",
    storage_quota_bytes=123_456_789,
    alarms={
        **{key: key.replace("_", "-") for key in ALARM_KEYS},
        **{f"{LAMBDA_ERRORS_KEY}{name}": f"{name}-errors" for name in FUNCTION_NAMES},
    },
)
SOURCE = "arn:aws:cloudfront::123456789012:distribution/E1ABC"
CONTROL = OriginAccessControl("OAC1", "sigv4", "always", "s3")
ORIGIN = Origin("images", "images.s3.eu-west-1.amazonaws.com", "OAC1", "", CONTROL)
POLICY_CACHE = CacheSettings(
    "cache policy eduportal-images", 86_400, 31_536_000, "whitelist", ("v",)
)
DISTRIBUTION = DistributionSettings(
    distribution_id="E1ABC",
    enabled=True,
    price_class="PriceClass_100",
    origins=(ORIGIN,),
    viewer_protocol="redirect-to-https",
    allowed_methods=("GET", "HEAD", "OPTIONS"),
    cached_methods=("GET", "HEAD"),
    compress=True,
    cache=POLICY_CACHE,
)


def judged(rules: Sequence[Rule[R]], reading: R) -> dict[str, Finding]:
    return {rule.setting: rule.judge(reading) for rule in rules}


def failing(rules: Sequence[Rule[R]], reading: R) -> dict[str, str]:
    return {setting: f.found for setting, f in judged(rules, reading).items() if not f.passed}


def test_a_distribution_behind_an_origin_access_control_with_a_cache_policy_passes() -> None:
    assert failing(distribution_rules(OUTPUTS), DISTRIBUTION) == {}
    found = judged(distribution_rules(OUTPUTS), DISTRIBUTION)
    assert (
        found["CloudFront origin access control"].found == "origin images: OAC1, sigv4, always, s3"
    )
    assert found["CloudFront cache TTLs"].found == (
        "default 86400 s, maximum 31536000 s (cache policy eduportal-images)"
    )


@pytest.mark.parametrize(
    ("origin", "fails"),
    [
        pytest.param(
            replace(ORIGIN, access_control=replace(CONTROL, signing_behavior="no-override")),
            {"CloudFront origin access control": "origin images: OAC1, sigv4, no-override, s3"},
            id="signs only when the viewer does not",
        ),
        pytest.param(
            replace(
                ORIGIN,
                access_control_id="",
                access_control=None,
                access_identity="origin-access-identity/cloudfront/E2Q",
            ),
            {
                "CloudFront origin access control": "origin images has no origin access control",
                "CloudFront legacy origin access identity": (
                    "origin images: origin-access-identity/cloudfront/E2Q"
                ),
            },
            id="legacy origin access identity",
        ),
        pytest.param(
            replace(ORIGIN, access_control=Unreadable("AWS refused to let these credentials read")),
            {"CloudFront origin access control": "AWS refused to let these credentials read"},
            id="origin access control unreadable",
        ),
        pytest.param(
            replace(ORIGIN, domain_name="other.s3.amazonaws.com"),
            {
                "CloudFront origin access control": "no origin serves the bucket images "
                "(origins: other.s3.amazonaws.com)",
                "CloudFront legacy origin access identity": "no origin serves the bucket images",
            },
            id="no origin serves the bucket",
        ),
    ],
)
def test_the_bucket_origin_must_sign_with_an_origin_access_control(
    origin: Origin, fails: dict[str, str]
) -> None:
    reading = replace(DISTRIBUTION, origins=(origin,))
    found = failing(distribution_rules(OUTPUTS), reading)
    assert set(found) == set(fails)
    for setting, text in fails.items():
        assert text in found[setting]


def test_the_global_s3_domain_serves_the_bucket_too() -> None:
    reading = replace(
        DISTRIBUTION, origins=(replace(ORIGIN, domain_name="images.s3.amazonaws.com"),)
    )
    assert failing(distribution_rules(OUTPUTS), reading) == {}


@pytest.mark.parametrize(
    ("strings", "names", "passed", "found"),
    [
        ("whitelist", ("v", "w"), True, "query strings in the key: v, w"),
        ("all", (), True, "every query string"),
        ("allExcept", ("w",), True, "every query string but w"),
        ("allExcept", ("v",), False, "every query string but v"),
        ("none", (), False, "no query string"),
    ],
)
def test_the_cache_key_holds_v_under_each_query_string_behaviour(
    strings: str, names: tuple[str, ...], passed: bool, found: str
) -> None:
    cache = replace(POLICY_CACHE, query_strings=strings, query_string_names=names)
    finding = judged(distribution_rules(OUTPUTS), replace(DISTRIBUTION, cache=cache))
    assert finding["CloudFront cache key"] == Finding(
        passed, f"{found} (cache policy eduportal-images)"
    )


def policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


TLS = {
    "Effect": "Deny",
    "Principal": {"AWS": "*"},
    "Action": ["s3:*"],
    "Resource": ["arn:aws:s3:::images", "arn:aws:s3:::images/*"],
    "Condition": {"Bool": {"aws:securetransport": False}},
}
READS = {
    "Effect": "Allow",
    "Principal": {"Service": ["cloudfront.amazonaws.com"]},
    "Action": "s3:GetObject",
    "Resource": "arn:aws:s3:::images/*",
    "Condition": {"ArnEquals": {"aws:SourceArn": [SOURCE]}},
}
BUCKET = BucketSettings(
    name="images",
    versioning="Enabled",
    encryption=(EncryptionRule("AES256", None, bucket_key=True),),
    public_access_block=PublicAccessBlock(True, True, True, True),
    ownership="BucketOwnerEnforced",
    lifecycle=(
        LifecycleRule(
            "age-auto",
            enabled=True,
            prefix="",
            tags={"lifecycle": "auto"},
            transitions=(Transition(90, "STANDARD_IA"), Transition(270, "GLACIER_IR")),
            expiration_days=635,
            noncurrent_expiration_days=30,
            abort_multipart_days=None,
        ),
        LifecycleRule("clean-up", True, "", {}, (), None, None, abort_multipart_days=7),
    ),
    policy=policy(TLS, READS),
    eventbridge=True,
)
POLICY_RULES = ("image bucket policy: TLS only", "image bucket policy: CloudFront reads")


def test_a_policy_in_other_spellings_iam_allows_passes() -> None:
    """`{"AWS": "*"}` for everyone, lists for single values, a boolean false, condition keys
    in any case, ArnEquals for the source."""
    assert failing(image_bucket_rules(OUTPUTS), BUCKET) == {}
    found = judged(image_bucket_rules(OUTPUTS), BUCKET)
    assert found["image bucket policy: CloudFront reads"].found == (
        f"only cloudfront.amazonaws.com, on AWS:SourceArn {SOURCE}"
    )
    assert found["image bucket EventBridge notifications"] == Finding(True, "on")


@pytest.mark.parametrize(
    ("statements", "setting", "found"),
    [
        pytest.param(
            (TLS, READS, {**READS, "Principal": {"AWS": "arn:aws:iam::123456789012:root"}}),
            "image bucket policy: CloudFront reads",
            "s3:GetObject is also allowed to AWS:arn:aws:iam::123456789012:root",
            id="the account may read too",
        ),
        pytest.param(
            (TLS, {**READS, "Action": "s3:Get*", "Condition": {}}),
            "image bucket policy: CloudFront reads",
            "on AWS:SourceArn (no condition)",
            id="any distribution may read",
        ),
        pytest.param(
            (TLS, {**READS, "Condition": {"StringLike": {"AWS:SourceArn": SOURCE[:-3] + "*"}}}),
            "image bucket policy: CloudFront reads",
            "on AWS:SourceArn arn:aws:cloudfront::123456789012:distribution/E1*",
            id="a wildcard source",
        ),
        pytest.param(
            (TLS, READS, {"Effect": "Allow", "NotPrincipal": {"AWS": "x"}, "Action": "s3:*"}),
            "image bucket policy: CloudFront reads",
            "also allowed to (a NotPrincipal, NotAction or NotResource)",
            id="an allow written with NotPrincipal",
        ),
        pytest.param(
            ({**TLS, "Resource": "arn:aws:s3:::images/*"}, READS),
            "image bucket policy: TLS only",
            "no statement denies every request without TLS",
            id="TLS demanded of the objects only",
        ),
        pytest.param(
            ({**TLS, "Action": "s3:GetObject"}, READS),
            "image bucket policy: TLS only",
            "no statement denies every request without TLS",
            id="TLS demanded of reads only",
        ),
    ],
)
def test_a_policy_that_opens_the_bucket_fails(
    statements: tuple[dict[str, Any], ...], setting: str, found: str
) -> None:
    fails = failing(image_bucket_rules(OUTPUTS), replace(BUCKET, policy=policy(*statements)))
    assert set(fails) == {setting}
    assert found in fails[setting]


def test_a_policy_that_is_not_json_fails_with_the_reason() -> None:
    found = failing(image_bucket_rules(OUTPUTS), replace(BUCKET, policy="{"))
    assert set(found) == set(POLICY_RULES)
    assert found["image bucket policy: TLS only"].startswith("the policy is not JSON")


TABLE = TableSettings(
    name="image-records",
    key=(("image_id", "HASH"),),
    indexes=INDEXES,
    encryption_status="ENABLED",
    encryption_key="arn:aws:kms:eu-west-1:123456789012:key/k1",
    key_inaccessible=False,
    point_in_time_recovery="ENABLED",
)


def test_a_table_on_a_kms_key_passes_until_the_key_cannot_be_used() -> None:
    """DynamoDB encrypts every table; only a key it can no longer use fails."""
    assert failing(table_rules(), TABLE) == {}
    assert judged(table_rules(), TABLE)["records table encryption"].found == (
        "KMS key arn:aws:kms:eu-west-1:123456789012:key/k1 (ENABLED)"
    )
    assert failing(table_rules(), replace(TABLE, key_inaccessible=True)) == {
        "records table encryption": "the KMS key arn:aws:kms:eu-west-1:123456789012:key/k1 "
        "cannot be used: the table cannot be read"
    }
    owned = replace(TABLE, encryption_status="DISABLED", encryption_key=None)
    assert judged(table_rules(), owned)["records table encryption"] == Finding(
        True, "DynamoDB's own key (its default)"
    )


def test_an_index_projecting_keys_only_fails_the_portal_reads_records_from_it() -> None:
    keys_only = tuple(replace(index, projection="KEYS_ONLY") for index in INDEXES)
    assert failing(table_rules(), replace(TABLE, indexes=keys_only)) == {
        f"records table index {index.name}": f"{index.name} on "
        + ", ".join(f"{a} ({r})" for a, r in index.key)
        + ", projecting KEYS_ONLY"
        for index in INDEXES
    }


TEMPLATE = LaunchTemplateSettings("web", "3", "required", (), encryption_by_default=True)


@pytest.mark.parametrize(
    ("template", "passed", "found"),
    [
        (TEMPLATE, True, "no EBS volume, but the account encrypts every new volume"),
        (
            replace(TEMPLATE, encryption_by_default=Unreadable("AWS refused")),
            False,
            "AWS refused",
        ),
    ],
)
def test_volumes_the_template_leaves_to_the_account_default(
    template: LaunchTemplateSettings, passed: bool, found: str
) -> None:
    group = ScalingGroupSettings("web", policies=(), launch_template=template)
    rules = scaling_rules(OUTPUTS, cpu_high=_no_alarm(), cpu_low=_no_alarm())
    assert judged(rules, group)["instance volume encryption"] == Finding(passed, found)


def test_a_group_on_a_launch_configuration_fails_the_template_settings() -> None:
    group = ScalingGroupSettings("web", policies=(), launch_template=None)
    rules = scaling_rules(OUTPUTS, cpu_high=_no_alarm(), cpu_low=_no_alarm())
    found = failing(rules, group)
    assert found["instance metadata IMDSv2"] == "the group launches from a launch configuration"
    assert found["scale-out policy"].endswith("; the alarm could not be read: There is no alarm.")


def _no_alarm() -> NotFoundError:
    return NotFoundError("There is no alarm.")


def test_every_alarm_of_the_outputs_has_its_rule() -> None:
    settings = {alarm_requirement(key, OUTPUTS).setting for key in OUTPUTS.alarms}
    assert len(settings) == len(OUTPUTS.alarms)
    assert "Lambda errors alarm (eduportal-pipeline-resize)" in settings


POLICY_ARN = (
    "arn:aws:autoscaling:eu-west-1:123456789012:scalingPolicy:c322761b-3172-4d56-9a21-"
    "0ed9d6161d67:autoScalingGroupName/web:policyName/web-scale-in"
)
CPU_LOW = AlarmSettings("cpu-low", "eu-west-1", 15.0, "LessThanThreshold", (60,), False, ())


@pytest.mark.parametrize(
    ("actions", "passed", "found"),
    [
        pytest.param(
            (POLICY_ARN,), True, "runs the policy web-scale-in of the group web", id="policy"
        ),
        pytest.param(
            (POLICY_ARN.replace(":aws:", ":aws-cn:"), OUTPUTS.alerts_topic_arn),
            True,
            "runs the policy web-scale-in of the group web",
            id="another partition, and a topic besides",
        ),
        pytest.param(
            (OUTPUTS.alerts_topic_arn,),
            False,
            "runs no scaling policy of the group web (actions: arn:aws:sns:",
            id="a topic instead",
        ),
        pytest.param(
            (POLICY_ARN.replace("autoScalingGroupName/web:", "autoScalingGroupName/web2:"),),
            False,
            "runs no scaling policy of the group web (actions: ",
            id="another group's policy",
        ),
    ],
)
def test_a_cpu_alarm_runs_a_scaling_policy_of_the_group(
    actions: tuple[str, ...], passed: bool, found: str
) -> None:
    finding = judged(alarm_rules("cpu_low", OUTPUTS), replace(CPU_LOW, actions=actions))
    assert finding["CPU low alarm"].passed is passed
    assert found in finding["CPU low alarm"].found


def test_the_quota_alarm_is_at_80_percent_of_the_servers_quota() -> None:
    """0.8 x 123456789 is no whole number: the double CloudWatch stores may differ from the
    product in its last bits."""
    quota = AlarmSettings(
        "bucket-quota",
        "eu-west-1",
        98_765_431.2 * (1 + 1e-15),
        "GreaterThanThreshold",
        (86_400,) * 5,
        True,
        (OUTPUTS.alerts_topic_arn,),
    )
    rule = alarm_rules("bucket_quota", OUTPUTS)[0]
    assert rule.expected == (
        "threshold 98765431.2 (80 % of EDUPORTAL_STORAGE_QUOTA_BYTES 123456789) "
        "GreaterThanOrEqualToThreshold or GreaterThanThreshold, period 86400 s, metric math; "
        f"notifies {OUTPUTS.alerts_topic_arn}"
    )
    assert rule.judge(quota).passed
    assert not rule.judge(replace(quota, threshold=80_000_000.0)).passed
    assert not rule.judge(replace(quota, metric_math=False)).passed


def test_the_cache_hit_alarm_notifies_the_us_east_1_topic() -> None:
    hits = AlarmSettings(
        "cache-hit-rate",
        "us-east-1",
        70.0,
        "LessThanThreshold",
        (300,),
        False,
        (OUTPUTS.cdn_alerts_topic_arn,),
    )
    rule = alarm_rules("cache_hit_rate", OUTPUTS)[0]
    assert rule.judge(hits).passed
    assert rule.expected.endswith(f"; notifies {OUTPUTS.cdn_alerts_topic_arn}")
    regional = rule.judge(replace(hits, actions=(OUTPUTS.alerts_topic_arn,)))
    assert not regional.passed
    assert "does not notify the us-east-1 alerts topic" in regional.found


def test_each_pipeline_function_without_an_errors_alarm_fails() -> None:
    functions = (*FUNCTION_NAMES, "eduportal-pipeline-thumbnails")
    assert [r.as_dict() for r in unalarmed_functions(OUTPUTS, functions)] == [
        {
            "setting": "Lambda errors alarm (eduportal-pipeline-thumbnails)",
            "resource": "alarm_names output",
            "passed": False,
            "found": "no alarm: alarm_names has no key lambda_errors:eduportal-pipeline-thumbnails",
            "expected": f"threshold 0 GreaterThanThreshold; notifies {OUTPUTS.alerts_topic_arn}",
        }
    ]
    assert unalarmed_functions(OUTPUTS, FUNCTION_NAMES) == []


def _terraform(**values: Any) -> dict[str, Any]:
    """`terraform output -json` of OUTPUTS, with `values` instead (None leaves one out)."""
    written: dict[str, Any] = {
        "s3_bucket_region": OUTPUTS.region,
        "s3_bucket_name": OUTPUTS.image_bucket,
        "archive_bucket_name": OUTPUTS.archive_bucket,
        "cloudfront_distribution_id": OUTPUTS.distribution_id,
        "alerts_topic_arn": OUTPUTS.alerts_topic_arn,
        "cdn_alerts_topic_arn": OUTPUTS.cdn_alerts_topic_arn,
        "autoscaling_group_name": OUTPUTS.scaling_group,
        "state_machine_arn": OUTPUTS.state_machine_arn,
        "pipeline_queue_url": OUTPUTS.queue_url,
        "pipeline_dlq_url": OUTPUTS.dlq_url,
        "image_records_table_name": OUTPUTS.records_table,
        "alarm_names": dict(reversed(list(OUTPUTS.alarms.items()))),
        "app_env": {"EDUPORTAL_STORAGE": "s3", "EDUPORTAL_STORAGE_QUOTA_BYTES": "123456789"},
        **values,
    }
    return {name: {"value": value} for name, value in written.items() if value is not None}


def test_the_outputs_hold_each_function_alarm_the_cdn_topic_and_the_quota() -> None:
    """Keys of neither kind are not read; the alarms come in one order, whatever the file's."""
    alarms = {**OUTPUTS.alarms, "record_writer_dead_letters": "x"}
    found = outputs_from_terraform(_terraform(alarm_names=alarms))
    assert found == OUTPUTS
    assert list(found.alarms) == list(OUTPUTS.alarms)
    assert found.lambda_error_alarms == {name: f"{name}-errors" for name in FUNCTION_NAMES}


@pytest.mark.parametrize(
    ("values", "named"),
    [
        pytest.param(
            {"alarm_names": {**dict.fromkeys(ALARM_KEYS, "a"), "lambda_errors": "errors"}},
            "alarm_names (a map with",
            id="one errors alarm for every function, as before",
        ),
        pytest.param(
            {"alarm_names": {**OUTPUTS.alarms, "lambda_errors:": "errors"}},
            None,
            id="a key with no function is not read",
        ),
        pytest.param(
            {"alarm_names": {**OUTPUTS.alarms, f"{LAMBDA_ERRORS_KEY}x": ""}},
            "alarm_names (a map with",
            id="a function's alarm unnamed",
        ),
        pytest.param({"cdn_alerts_topic_arn": None}, "cdn_alerts_topic_arn", id="no CDN topic"),
        pytest.param({"app_env": {"EDUPORTAL_STORAGE": "s3"}}, "app_env (a map", id="no quota"),
        pytest.param(
            {"app_env": {"EDUPORTAL_STORAGE_QUOTA_BYTES": "1e11"}}, "app_env", id="quota 1e11"
        ),
        pytest.param({"app_env": {"EDUPORTAL_STORAGE_QUOTA_BYTES": "0"}}, "app_env", id="quota 0"),
    ],
)
def test_outputs_without_what_the_check_reads_are_refused(
    values: dict[str, Any], named: str | None
) -> None:
    if named is None:
        assert outputs_from_terraform(_terraform(**values)) == OUTPUTS
        return
    with pytest.raises(ValidationError) as raised:
        outputs_from_terraform(_terraform(**values))
    assert raised.value.user_message.startswith(f"These outputs are missing or empty: {named}")


def test_a_cdn_topic_that_is_no_arn_is_refused() -> None:
    with pytest.raises(ValidationError, match="The cdn_alerts_topic_arn output, 'cdn'"):
        outputs_from_terraform(_terraform(cdn_alerts_topic_arn="cdn"))


def test_the_outputs_give_the_distribution_arn_in_the_topics_partition() -> None:
    china = replace(OUTPUTS, alerts_topic_arn="arn:aws-cn:sns:cn-north-1:123456789012:alerts")
    assert china.distribution_arn == "arn:aws-cn:cloudfront::123456789012:distribution/E1ABC"
    assert china.bucket_arn("images") == "arn:aws-cn:s3:::images"


def test_a_report_passes_only_when_it_has_results_and_all_pass() -> None:
    passed = CheckResult("s", "r", True, "f", "e")
    assert (
        all_passed([passed])
        and not all_passed([])
        and not all_passed([passed, replace(passed, passed=False)])
    )
