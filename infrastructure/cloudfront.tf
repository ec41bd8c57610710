# Requirement 4: the distribution in front of the image bucket. It reaches S3 through Origin
# Access Control (SigV4 on every request), the bucket admits only it (s3.tf), and it caches
# for a day by default, up to a year: the portal's image URLs carry ?v=ETAG, which is in the
# cache key, so a replaced image is a new URL and never a stale hit.
#
# Issue 11: each viewer gets the best format it decodes. The viewer-request function rewrites
# x.webp to x.avif or x.jpg by the viewer's Accept (the URI being the cache key, AVIF is never
# served from cache to a viewer that did not ask for it), and a variant not made yet (403 from
# the bucket under OAC) fails over to the portal's own origin, which answers the best
# representation it has with a short max-age, so the CDN asks again soon.

resource "aws_cloudfront_function" "image_format" {
  name    = "${local.name}-image-format"
  runtime = "cloudfront-js-2.0"
  comment = "Rewrites image URIs to the AVIF or JPEG variant by the viewer's Accept"
  publish = true
  code    = file("${path.module}/functions/image_format.js")
}

resource "aws_cloudfront_origin_access_control" "images" {
  name                              = "${local.name}-images"
  description                       = "eduportal's distribution reading the image bucket"
  origin_access_control_origin_type = "s3"
  signing_behavior                  = "always"
  signing_protocol                  = "sigv4"
}

resource "aws_cloudfront_cache_policy" "images" {
  name        = "${local.name}-images"
  comment     = "Images: a day by default (requirement 4.2), keyed by the ?v= version"
  default_ttl = var.cloudfront_default_ttl
  max_ttl     = var.cloudfront_max_ttl
  min_ttl     = 0

  parameters_in_cache_key_and_forwarded_to_origin {
    enable_accept_encoding_brotli = true
    enable_accept_encoding_gzip   = true

    cookies_config {
      cookie_behavior = "none"
    }

    headers_config {
      header_behavior = "none"
    }

    query_strings_config {
      query_string_behavior = "whitelist"

      query_strings {
        items = ["v"]
      }
    }
  }
}

resource "aws_cloudfront_response_headers_policy" "images" {
  name    = "${local.name}-images-security"
  comment = "Security headers on every image response"

  security_headers_config {
    content_type_options {
      override = true
    }

    frame_options {
      frame_option = "DENY"
      override     = true
    }

    referrer_policy {
      referrer_policy = "strict-origin-when-cross-origin"
      override        = true
    }

    strict_transport_security {
      access_control_max_age_sec = 31536000
      include_subdomains         = true
      preload                    = true
      override                   = true
    }

    content_security_policy {
      content_security_policy = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"
      override                = true
    }
  }

  # The same URL answers AVIF, WebP or JPEG by Accept: caches between here and the viewer
  # must key on it too.
  custom_headers_config {
    items {
      header   = "Vary"
      value    = "Accept"
      override = true
    }
  }
}

resource "aws_cloudfront_distribution" "images" {
  # checkov:skip=CKV_AWS_68:A WAF web ACL costs a monthly fee per ACL and rule; the distribution serves public, immutable images by GET only. Attach one with web_acl_id if needed.
  # checkov:skip=CKV2_AWS_47:Same as CKV_AWS_68: no WAF, so no Log4j rule; the origin is S3, which runs no Java.
  # checkov:skip=CKV_AWS_86:Access logs need a log bucket: set var.access_log_bucket to enable them (logging_config below).
  # checkov:skip=CKV_AWS_174:The default *.cloudfront.net certificate fixes the minimum TLS version; a custom domain with an ACM certificate (TLSv1.2_2021) is the operator's choice.
  # checkov:skip=CKV2_AWS_42:A custom certificate needs a domain the project does not have; the default certificate serves HTTPS.
  # checkov:skip=CKV_AWS_305:The distribution serves images by key; there is no page at its root, and a request for / is refused by the bucket.
  # checkov:skip=CKV_AWS_374:Students anywhere may open an assignment; no country is refused.
  enabled         = true
  is_ipv6_enabled = true
  http_version    = "http2and3"
  comment         = "${local.name} images"
  price_class     = var.cloudfront_price_class

  origin {
    origin_id                = "images"
    domain_name              = aws_s3_bucket.this["images"].bucket_regional_domain_name
    origin_access_control_id = aws_cloudfront_origin_access_control.images.id
  }

  # The portal's image origin (GET /images/{key}), for variants not made yet: it answers the
  # best representation it has. Plain HTTP as the load balancer's listener is (compute.tf).
  origin {
    origin_id   = "portal"
    domain_name = aws_lb.app.dns_name
    origin_path = "/images"

    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "http-only"
      origin_ssl_protocols   = ["TLSv1.2"]
    }
  }

  # S3 under OAC answers 403 for a missing key, 404 with ListBucket.
  origin_group {
    origin_id = "images-or-portal"

    failover_criteria {
      status_codes = [403, 404, 500, 502, 503, 504]
    }

    member {
      origin_id = "images"
    }

    member {
      origin_id = "portal"
    }
  }

  default_cache_behavior {
    target_origin_id           = "images-or-portal"
    viewer_protocol_policy     = "redirect-to-https"
    allowed_methods            = ["GET", "HEAD", "OPTIONS"]
    cached_methods             = ["GET", "HEAD"]
    compress                   = true
    cache_policy_id            = aws_cloudfront_cache_policy.images.id
    response_headers_policy_id = aws_cloudfront_response_headers_policy.images.id

    function_association {
      event_type   = "viewer-request"
      function_arn = aws_cloudfront_function.image_format.arn
    }
  }

  dynamic "logging_config" {
    for_each = var.access_log_bucket == "" ? [] : [var.access_log_bucket]

    content {
      bucket = logging_config.value
      prefix = "cloudfront/"
    }
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# CloudFront's additional metrics, without which CacheHitRate (requirement 8.4) does not exist.
resource "aws_cloudfront_monitoring_subscription" "images" {
  distribution_id = aws_cloudfront_distribution.images.id

  monitoring_subscription {
    realtime_metrics_subscription_config {
      realtime_metrics_subscription_status = "Enabled"
    }
  }
}
