"""Requirements 2, 4 and 5 on the parsed Terraform: the buckets (properties 5, 6 and 12 to 15)
and the distribution (properties 10 to 12), each figure against eduportal's own."""

from __future__ import annotations

from typing import Any

import pytest

from eduportal.domain import deployment_figures as figures
from eduportal.domain.keys import GENERATED_PREFIX, PROCESSED_PREFIX, THUMBNAILS_PREFIX
from tests.support.terraform import configuration, environment_names, one

BUCKETS = ("images", "archive")


def resource(type_: str, name: str) -> dict[str, Any]:
    return configuration().resource(type_, name)


def var(name: str) -> Any:
    return configuration().variables[name]["default"]


def test_the_bucket_name_is_the_prefix_and_a_random_suffix_kept_in_state() -> None:
    # Requirement 2.1: globally unique; property 4: the suffix does not change on re-apply.
    assert configuration().locals["buckets"]["images"] == (
        "${var.s3_bucket_prefix}-${random_id.bucket_suffix.hex}"
    )
    assert var("s3_bucket_prefix") == "education-portal-images"
    assert resource("random_id", "bucket_suffix")["byte_length"] >= 4
    assert configuration().locals["buckets"].keys() == set(BUCKETS)


@pytest.mark.parametrize(
    "type_",
    [
        "aws_s3_bucket_versioning",
        "aws_s3_bucket_server_side_encryption_configuration",
        "aws_s3_bucket_public_access_block",
        "aws_s3_bucket_ownership_controls",
        "aws_s3_bucket_lifecycle_configuration",
        "aws_s3_bucket_policy",
    ],
)
def test_every_bucket_control_applies_to_both_buckets(type_: str) -> None:
    """The archive bucket has the image bucket's controls (the issue: "the same controls")."""
    assert resource(type_, "this")["for_each"] == "${aws_s3_bucket.this}"


def test_versioning_is_on() -> None:
    # Requirement 2.2.
    body = resource("aws_s3_bucket_versioning", "this")
    assert one(body["versioning_configuration"])["status"] == "Enabled"


def test_objects_are_encrypted_with_aes256_and_a_bucket_key() -> None:
    # Requirement 2.3, property 5.
    rule = one(resource("aws_s3_bucket_server_side_encryption_configuration", "this")["rule"])
    default = one(rule["apply_server_side_encryption_by_default"])
    assert default["sse_algorithm"] == figures.ENCRYPTION_ALGORITHM
    assert rule["bucket_key_enabled"] is True


def test_all_four_public_access_blocks_are_on_and_acls_are_disabled() -> None:
    # Requirement 2.4, property 6.
    block = resource("aws_s3_bucket_public_access_block", "this")
    for flag in (
        "block_public_acls",
        "block_public_policy",
        "ignore_public_acls",
        "restrict_public_buckets",
    ):
        assert block[flag] is True, flag
    ownership = one(resource("aws_s3_bucket_ownership_controls", "this")["rule"])
    assert ownership["object_ownership"] == "BucketOwnerEnforced"


def lifecycle_rules() -> dict[str, dict[str, Any]]:
    rules = resource("aws_s3_bucket_lifecycle_configuration", "this")["rule"]
    return {rule["id"]: rule for rule in rules}


def test_images_age_to_ia_then_glacier_ir_then_expire_at_the_designs_days() -> None:
    # Requirements 5.1-5.3, properties 13-15: 90, 90 + 180, 90 + 180 + 365 days.
    rule = lifecycle_rules()["age-images"]
    assert rule["status"] == "Enabled"
    ia, glacier, expiry = (
        var("image_lifecycle_ia_days"),
        var("image_lifecycle_glacier_days"),
        var("image_lifecycle_expiration_days"),
    )
    assert (ia, ia + glacier, ia + glacier + expiry) == (
        figures.INFREQUENT_ACCESS_DAYS,
        figures.ARCHIVE_DAYS,
        figures.EXPIRATION_DAYS,
    )
    transitions = {t["storage_class"]: t["days"] for t in rule["transition"]}
    assert transitions == {
        figures.INFREQUENT_ACCESS_CLASS: "${var.image_lifecycle_ia_days}",
        figures.ARCHIVE_CLASS: "${var.image_lifecycle_ia_days + var.image_lifecycle_glacier_days}",
    }
    assert one(rule["expiration"])["days"] == (
        "${var.image_lifecycle_ia_days + var.image_lifecycle_glacier_days + "
        "var.image_lifecycle_expiration_days}"
    )


def test_the_lifecycle_acts_on_every_image_tagged_auto_and_only_those() -> None:
    # Requirement 5.5: images tagged lifecycle=permanent are never moved or deleted.
    both = one(one(lifecycle_rules()["age-images"]["filter"])["and"])
    assert both["tags"] == "${local.lifecycle_tags}"
    assert configuration().locals["lifecycle_tags"] == {
        figures.LIFECYCLE_TAG_KEY: figures.LIFECYCLE_TAG_VALUE
    }
    # S3 moves nothing under 128 KB without a size of the rule's own; requirement 5 names
    # every image, thumbnails included.
    assert both["object_size_greater_than"] == "${var.lifecycle_min_object_bytes}"
    assert configuration().variables["lifecycle_min_object_bytes"]["default"] == 0


def test_old_versions_expire_and_abandoned_multipart_uploads_are_aborted() -> None:
    rule = lifecycle_rules()["expire-old-versions-and-abandoned-uploads"]
    assert rule["status"] == "Enabled"
    assert rule["filter"] == [{}]
    assert one(rule["noncurrent_version_expiration"])["noncurrent_days"]
    assert one(rule["abort_incomplete_multipart_upload"])["days_after_initiation"] > 0


def policy_statements() -> dict[str, dict[str, Any]]:
    document = configuration().resources("aws_iam_policy_document", "data")["bucket"]
    statements = {s["sid"]: s for s in document.get("statement", [])}
    for dynamic in document.get("dynamic", []):
        content = one(dynamic["statement"]["content"])
        statements[content["sid"]] = content
    return statements


def test_both_buckets_refuse_requests_without_tls() -> None:
    # Pipeline requirement 7.4: encryption in transit.
    deny = policy_statements()["DenyInsecureTransport"]
    assert deny["effect"] == "Deny"
    assert deny["actions"] == ["s3:*"]
    condition = one(deny["condition"])
    assert (condition["variable"], condition["values"]) == ("aws:SecureTransport", ["false"])


def test_only_the_distribution_reads_and_only_what_the_portal_links_to() -> None:
    # Requirement 4.4, property 12: CloudFront's service principal, with aws:SourceArn.
    allow = policy_statements()["AllowCloudFrontToReadWhatThePortalShows"]
    assert allow["actions"] == ["s3:GetObject"]
    assert one(allow["principals"]) == {
        "type": "Service",
        "identifiers": ["cloudfront.amazonaws.com"],
    }
    condition = one(allow["condition"])
    assert condition["variable"] == "AWS:SourceArn"
    assert condition["values"] == ["${aws_cloudfront_distribution.images.arn}"]
    assert configuration().locals["cdn_prefixes"] == [
        GENERATED_PREFIX,
        PROCESSED_PREFIX,
        THUMBNAILS_PREFIX,
    ]


def test_the_image_bucket_announces_to_eventbridge_counts_requests_and_allows_the_portal() -> None:
    assert resource("aws_s3_bucket_notification", "images")["eventbridge"] is True
    assert resource("aws_s3_bucket_metric", "images")["name"] == "EntireBucket"
    cors = one(resource("aws_s3_bucket_cors_configuration", "images")["cors_rule"])
    assert cors["allowed_methods"] == ["GET", "HEAD"]
    assert cors["allowed_origins"] == "${local.portal_origins}"


def test_the_distribution_reaches_the_bucket_through_origin_access_control() -> None:
    # The refinement of ARCHITECTURE.md: OAC, SigV4 on every request, no legacy identity.
    oac = resource("aws_cloudfront_origin_access_control", "images")
    assert oac["origin_access_control_origin_type"] == "s3"
    assert oac["signing_behavior"] == "always"
    assert oac["signing_protocol"] == "sigv4"
    origins = resource("aws_cloudfront_distribution", "images")["origin"]
    origin = next(o for o in origins if o["origin_id"] == "images")
    assert origin["origin_access_control_id"] == "${aws_cloudfront_origin_access_control.images.id}"
    assert "s3_origin_config" not in origin
    assert not configuration().resources("aws_cloudfront_origin_access_identity")


def test_the_cache_behaviour_is_the_designs() -> None:
    # Requirements 4.1-4.3, properties 10 and 11.
    distribution = resource("aws_cloudfront_distribution", "images")
    assert distribution["enabled"] is True
    assert distribution["price_class"] == "${var.cloudfront_price_class}"
    assert var("cloudfront_price_class") == figures.CDN_PRICE_CLASS
    behaviour = one(distribution["default_cache_behavior"])
    assert behaviour["viewer_protocol_policy"] == "redirect-to-https"
    assert behaviour["allowed_methods"] == ["GET", "HEAD", "OPTIONS"]
    assert behaviour["cached_methods"] == ["GET", "HEAD"]
    assert behaviour["compress"] is True
    assert behaviour["cache_policy_id"] == "${aws_cloudfront_cache_policy.images.id}"
    assert behaviour["response_headers_policy_id"] == (
        "${aws_cloudfront_response_headers_policy.images.id}"
    )


def test_the_cache_policy_keeps_images_a_day_by_default_and_keys_on_the_version() -> None:
    policy = resource("aws_cloudfront_cache_policy", "images")
    assert policy["default_ttl"] == "${var.cloudfront_default_ttl}"
    assert policy["max_ttl"] == "${var.cloudfront_max_ttl}"
    assert var("cloudfront_default_ttl") == figures.CDN_DEFAULT_TTL_SECONDS
    assert var("cloudfront_max_ttl") == figures.CDN_MAX_TTL_SECONDS
    key = one(policy["parameters_in_cache_key_and_forwarded_to_origin"])
    query = one(key["query_strings_config"])
    assert query["query_string_behavior"] == "whitelist"
    assert one(query["query_strings"])["items"] == [figures.CDN_VERSION_QUERY]
    assert one(key["cookies_config"])["cookie_behavior"] == "none"


def test_security_headers_and_the_monitoring_subscription_are_on() -> None:
    headers = one(
        resource("aws_cloudfront_response_headers_policy", "images")["security_headers_config"]
    )
    assert one(headers["content_type_options"])["override"] is True
    assert one(headers["strict_transport_security"])["access_control_max_age_sec"] >= 31536000
    assert one(headers["frame_options"])["frame_option"] == "DENY"
    # CacheHitRate, which requirement 8.4's alarm reads, exists only with this subscription.
    subscription = one(
        resource("aws_cloudfront_monitoring_subscription", "images")["monitoring_subscription"]
    )
    config = one(subscription["realtime_metrics_subscription_config"])
    assert config["realtime_metrics_subscription_status"] == "Enabled"


def test_providers_pin_terraform_and_aws_6_with_a_us_east_1_alias_and_default_tags() -> None:
    terraform = one(configuration().files["versions.tf"]["terraform"])
    assert terraform["required_version"] == ">= 1.6"
    providers = one(terraform["required_providers"])
    assert providers["aws"]["version"] == "~> 6.0"
    assert "random" in providers
    aws = [block["aws"] for _, block in configuration().blocks("provider")]
    assert {p.get("alias") for p in aws} == {None, "us_east_1"}
    assert all(p.get("default_tags") for p in aws)
    assert [p["region"] for p in aws if p.get("alias")] == ["us-east-1"]


def test_the_outputs_give_the_application_what_it_reads() -> None:
    # Requirements 2.6 and 4.5, and the list.
    outputs = configuration().outputs
    for name in (
        "s3_bucket_name",
        "s3_bucket_arn",
        "s3_bucket_region",
        "cloudfront_distribution_id",
        "cloudfront_domain_name",
        "cloudfront_url",
        "cloudwatch_dashboard_name",
        "alerts_topic_arn",
        "pipeline_topic_arn",
        "alb_dns_name",
        "autoscaling_group_name",
        "state_machine_arn",
        "pipeline_queue_url",
        "pipeline_dlq_url",
        "image_records_table_name",
        "app_env",
    ):
        assert name in outputs, name
    env = environment_names("app_env")
    for name in ("S3_BUCKET_NAME", "CLOUDFRONT_DOMAIN", "AWS_REGION", "EDUPORTAL_STORAGE"):
        assert name in env, name
