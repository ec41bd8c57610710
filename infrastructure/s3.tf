# The image bucket and the pipeline's archive bucket (requirements 2 and 5): both versioned,
# encrypted with AES-256, private, owner-enforced, TLS-only, and aged by the same lifecycle
# rules. The image bucket also announces uploads to EventBridge, counts its requests (so 4xx
# and 5xx metrics exist) and lets only the CloudFront distribution read what the portal shows.

locals {
  buckets = {
    images  = "${var.s3_bucket_prefix}-${random_id.bucket_suffix.hex}"
    archive = "${var.s3_bucket_prefix}-archive-${random_id.bucket_suffix.hex}"
  }

  # The prefixes the portal links to through the CDN; uploads, drafts and health canaries
  # are never served by CloudFront.
  cdn_prefixes = ["generated_images/", "processed/", "thumbnails/"]

  portal_origins = length(var.portal_origins) > 0 ? var.portal_origins : ["http://${aws_lb.app.dns_name}"]
}

resource "aws_s3_bucket" "this" {
  for_each = local.buckets

  bucket = each.value

  # checkov:skip=CKV_AWS_144:Cross-region replication doubles storage cost; versioning and the lifecycle rules protect against deletion, and a replica region is a choice for the operator.
  # checkov:skip=CKV_AWS_145:Requirement 2.3 asks for AES-256 (SSE-S3); a customer-managed KMS key adds a per-request cost and a key policy to manage.
  # checkov:skip=CKV_AWS_18:Access logs need a separate log bucket; set var.access_log_bucket to enable them (aws_s3_bucket_logging below).
  # checkov:skip=CKV2_AWS_62:The image bucket sends every event to EventBridge (aws_s3_bucket_notification.images); the archive bucket has nothing to announce.
}

resource "aws_s3_bucket_versioning" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  versioning_configuration {
    status = "Enabled"
  }
}

resource "aws_s3_bucket_server_side_encryption_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    apply_server_side_encryption_by_default {
      sse_algorithm = "AES256"
    }
    bucket_key_enabled = true
  }
}

resource "aws_s3_bucket_public_access_block" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  block_public_acls       = true
  block_public_policy     = true
  ignore_public_acls      = true
  restrict_public_buckets = true
}

resource "aws_s3_bucket_ownership_controls" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  rule {
    object_ownership = "BucketOwnerEnforced"
  }
}

resource "aws_s3_bucket_lifecycle_configuration" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id

  # Requirement 5: Standard-IA at 90 days, Glacier Instant Retrieval 180 days later (still
  # readable through the portal, 5.4), deleted 365 days after that; only objects tagged
  # lifecycle=auto, so images marked permanent stay (5.5).
  rule {
    id     = "age-images"
    status = "Enabled"

    # S3 moves no object under 128 KB unless a rule sets its own minimum size: the portal's
    # thumbnails and many of its WebP images are smaller, and requirement 5 names every image.
    filter {
      and {
        tags                     = local.lifecycle_tags
        object_size_greater_than = var.lifecycle_min_object_bytes
      }
    }

    transition {
      days          = var.image_lifecycle_ia_days
      storage_class = "STANDARD_IA"
    }

    transition {
      days          = var.image_lifecycle_ia_days + var.image_lifecycle_glacier_days
      storage_class = "GLACIER_IR"
    }

    expiration {
      days = var.image_lifecycle_ia_days + var.image_lifecycle_glacier_days + var.image_lifecycle_expiration_days
    }
  }

  # Versioning keeps what is overwritten or deleted; this keeps it for a while, not forever.
  rule {
    id     = "expire-old-versions-and-abandoned-uploads"
    status = "Enabled"

    filter {}

    noncurrent_version_expiration {
      noncurrent_days = var.noncurrent_version_expiration_days
    }

    abort_incomplete_multipart_upload {
      days_after_initiation = 7
    }
  }

  depends_on = [aws_s3_bucket_versioning.this]
}

resource "aws_s3_bucket_logging" "this" {
  for_each = var.access_log_bucket == "" ? {} : aws_s3_bucket.this

  bucket        = each.value.id
  target_bucket = var.access_log_bucket
  target_prefix = "s3/${each.key}/"
}

resource "aws_s3_bucket_policy" "this" {
  for_each = aws_s3_bucket.this

  bucket = each.value.id
  policy = data.aws_iam_policy_document.bucket[each.key].json

  depends_on = [aws_s3_bucket_public_access_block.this]
}

data "aws_iam_policy_document" "bucket" {
  for_each = aws_s3_bucket.this

  # Both buckets refuse plain HTTP (pipeline requirement 7.4: encryption in transit).
  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["s3:*"]
    resources = [each.value.arn, "${each.value.arn}/*"]

    principals {
      type        = "*"
      identifiers = ["*"]
    }

    condition {
      test     = "Bool"
      variable = "aws:SecureTransport"
      values   = ["false"]
    }
  }

  # Requirement 4.4: the image bucket is read directly only by this distribution, through
  # Origin Access Control, and only where the portal links; the public access block refuses
  # everyone else.
  dynamic "statement" {
    for_each = each.key == "images" ? [local.cdn_prefixes] : []

    content {
      sid       = "AllowCloudFrontToReadWhatThePortalShows"
      effect    = "Allow"
      actions   = ["s3:GetObject"]
      resources = [for prefix in statement.value : "${each.value.arn}/${prefix}*"]

      principals {
        type        = "Service"
        identifiers = ["cloudfront.amazonaws.com"]
      }

      condition {
        test     = "StringEquals"
        variable = "AWS:SourceArn"
        values   = [aws_cloudfront_distribution.images.arn]
      }
    }
  }
}

resource "aws_s3_bucket_cors_configuration" "images" {
  bucket = aws_s3_bucket.this["images"].id

  cors_rule {
    allowed_methods = ["GET", "HEAD"]
    allowed_origins = local.portal_origins
    allowed_headers = ["*"]
    expose_headers  = ["ETag"]
    max_age_seconds = 3600
  }
}

# Uploads become "Object Created" events on the default bus; the pipeline's rules take them.
resource "aws_s3_bucket_notification" "images" {
  bucket      = aws_s3_bucket.this["images"].id
  eventbridge = true
}

# Request metrics, so 4xxErrors and 5xxErrors exist for the alarm and the dashboard.
resource "aws_s3_bucket_metric" "images" {
  bucket = aws_s3_bucket.this["images"].id
  name   = "EntireBucket"
}
