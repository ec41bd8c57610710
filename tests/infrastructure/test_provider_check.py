"""The schema check can fail: small inline configurations, each with one mistake, are reported
precisely, and a correct one is not reported at all."""

from __future__ import annotations

import pytest

from tests.support.provider_check import Finding, check
from tests.support.provider_schema import schemas
from tests.support.terraform import Configuration, parse

PROVIDERS = "hashicorp/aws 6.25.0 or hashicorp/random 3.7.2"

CORRECT = """
provider "aws" {
  region = var.region
  default_tags {
    tags = { project = "eduportal" }
  }
}

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
}

resource "random_id" "suffix" {
  byte_length = 4
}

resource "aws_s3_bucket" "images" {
  bucket = "eduportal-${random_id.suffix.hex}"
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_s3_bucket_versioning" "images" {
  bucket = aws_s3_bucket.images.id
  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_versioning" "optional" {
  for_each = var.buckets
  bucket   = each.key
  dynamic "versioning_configuration" {
    for_each = [each.value]
    content {
      status = versioning_configuration.value
    }
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "images" {
  count      = 1
  bucket     = aws_s3_bucket.images.id
  depends_on = [aws_s3_bucket_versioning.images]
  dynamic "rule" {
    for_each = var.tiers
    iterator = tier
    content {
      id     = tier.key
      status = "Enabled"
      filter {
        tag {
          key   = "lifecycle"
          value = "auto"
        }
      }
      transition {
        days          = tier.value
        storage_class = "GLACIER_IR"
      }
    }
  }
}

data "aws_iam_policy_document" "read" {
  statement {
    actions   = ["s3:GetObject"]
    resources = ["${aws_s3_bucket.images.arn}/*"]
    principals {
      type        = "Service"
      identifiers = ["cloudfront.amazonaws.com"]
    }
  }
  statement {
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.images.arn]
  }
}
"""


def findings(text: str) -> list[Finding]:
    return check(Configuration({"inline.tf": parse(text)}), schemas())


def test_a_correct_configuration_has_no_finding() -> None:
    assert findings(CORRECT) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param(
            'resource "aws_s3_bucket" "images" {\n  bukcet = "x"\n}\n',
            [
                Finding(
                    "inline.tf", "aws_s3_bucket.images", "unknown attribute", "bukcet", ("bucket",)
                )
            ],
            id="misspelled attribute",
        ),
        pytest.param(
            'resource "aws_s3_bucket_versioning" "v" {\n'
            '  versioning_configuration {\n    status = "Enabled"\n  }\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_versioning.v",
                    "missing required attribute",
                    "bucket",
                )
            ],
            id="missing required attribute",
        ),
        pytest.param(
            'resource "random_id" "suffix" {\n  byte_length {\n    value = 4\n  }\n}\n',
            [
                Finding(
                    "inline.tf", "random_id.suffix", "attribute written as a block", "byte_length"
                )
            ],
            id="attribute used as a block",
        ),
        pytest.param(
            'resource "aws_s3_bukcet" "images" {\n  bucket = "x"\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bukcet.images",
                    f"resource type not in {PROVIDERS}",
                    "aws_s3_bukcet",
                    ("aws_s3_bucket", "aws_s3_bucket_acl", "aws_s3_bucket_abac"),
                )
            ],
            id="unknown resource type",
        ),
        pytest.param(
            'data "aws_iam_polcy_document" "read" {\n}\n',
            [
                Finding(
                    "inline.tf",
                    "data.aws_iam_polcy_document.read",
                    f"data source type not in {PROVIDERS}",
                    "aws_iam_polcy_document",
                    (
                        "aws_iam_policy_document",
                        "aws_ssm_document",
                        "aws_ecr_lifecycle_policy_document",
                    ),
                )
            ],
            id="unknown data source type",
        ),
        pytest.param(
            'resource "aws_s3_bucket_versioning" "v" {\n  bucket = "x"\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_versioning.v",
                    "missing required block",
                    "versioning_configuration",
                )
            ],
            id="missing required block",
        ),
        pytest.param(
            'resource "aws_s3_bucket_versioning" "v" {\n  bucket = "x"\n'
            '  versioning_configuration {\n    statsu = "Enabled"\n  }\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_versioning.v.versioning_configuration",
                    "unknown attribute",
                    "statsu",
                    ("status",),
                ),
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_versioning.v.versioning_configuration",
                    "missing required attribute",
                    "status",
                ),
            ],
            id="misspelled attribute in a nested block",
        ),
        pytest.param(
            'resource "aws_s3_bucket_versioning" "v" {\n  bucket = "x"\n'
            '  versioning_configuration = {\n    status = "Enabled"\n  }\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_versioning.v",
                    "block written as an attribute",
                    "versioning_configuration",
                )
            ],
            id="block used as an attribute",
        ),
        pytest.param(
            'resource "aws_s3_bucket_versioning" "v" {\n  bucket = "x"\n'
            '  versioning_configuration {\n    status = "Enabled"\n  }\n'
            '  versioning_configuration {\n    status = "Suspended"\n  }\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_versioning.v.versioning_configuration",
                    "block allowed once, given 2 times",
                    "versioning_configuration",
                )
            ],
            id="single block given twice",
        ),
        pytest.param(
            'resource "aws_s3_bucket_lifecycle_configuration" "l" {\n  bucket = "x"\n'
            '  dynamic "rule" {\n    for_each = var.tiers\n'
            '    content {\n      id = rule.key\n      stauts = "Enabled"\n    }\n  }\n}\n',
            [
                Finding(
                    "inline.tf",
                    'aws_s3_bucket_lifecycle_configuration.l.dynamic "rule".content',
                    "unknown attribute",
                    "stauts",
                    ("status",),
                ),
                Finding(
                    "inline.tf",
                    'aws_s3_bucket_lifecycle_configuration.l.dynamic "rule".content',
                    "missing required attribute",
                    "status",
                ),
            ],
            id="misspelled attribute in a dynamic block's content",
        ),
        pytest.param(
            'resource "aws_s3_bucket_lifecycle_configuration" "l" {\n  bucket = "x"\n'
            '  dynamic "rules" {\n    for_each = var.tiers\n    content {}\n  }\n}\n',
            [
                Finding(
                    "inline.tf",
                    "aws_s3_bucket_lifecycle_configuration.l",
                    "unknown dynamic block",
                    "rules",
                    ("rule",),
                )
            ],
            id="dynamic block of an unknown type",
        ),
        pytest.param(
            'provider "aws" {\n  regoin = "eu-west-1"\n}\n',
            [
                Finding(
                    "inline.tf",
                    "provider.aws",
                    "unknown attribute",
                    "regoin",
                    ("region", "sts_region"),
                )
            ],
            id="misspelled provider argument",
        ),
    ],
)
def test_each_mistake_is_reported(text: str, expected: list[Finding]) -> None:
    assert findings(text) == expected


def test_a_finding_names_file_address_name_and_close_matches() -> None:
    (finding,) = findings('resource "aws_s3_bucket" "images" {\n  bukcet = "x"\n}\n')
    assert (
        str(finding) == "inline.tf: aws_s3_bucket.images: unknown attribute: bukcet (close: bucket)"
    )
