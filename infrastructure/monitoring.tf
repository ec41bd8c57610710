# Requirement 8: alarms to an SNS topic, and one dashboard. The application's own metrics
# reach CloudWatch under the Eduportal namespace in the embedded metric format
# (docs/metrics.md names each one and the expressions read here).

locals {
  storage_classes = ["StandardStorage", "StandardIAStorage", "StandardIASizeOverhead", "GlacierInstantRetrievalStorage", "GlacierIRSizeOverhead"]
  alarm_window    = 300
}

resource "aws_sns_topic" "alerts" {
  # checkov:skip=CKV_AWS_26:CloudWatch alarms cannot publish to a topic encrypted with the AWS-managed SNS key; alerts carry alarm names and figures, no personal data.
  name = "${local.name}-alerts"
}

# CloudWatch alarms notify topics in their own region, and CloudFront's alarm lives in
# us-east-1.
resource "aws_sns_topic" "cdn_alerts" {
  # checkov:skip=CKV_AWS_26:As the alerts topic.
  provider = aws.us_east_1
  name     = "${local.name}-cdn-alerts"
}

resource "aws_sns_topic_subscription" "alerts_email" {
  count     = var.alarm_email == "" ? 0 : 1
  topic_arn = aws_sns_topic.alerts.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

resource "aws_sns_topic_subscription" "cdn_alerts_email" {
  count     = var.alarm_email == "" ? 0 : 1
  provider  = aws.us_east_1
  topic_arn = aws_sns_topic.cdn_alerts.arn
  protocol  = "email"
  endpoint  = var.alarm_email
}

# 8.2: upload failures above 5 % of uploads over 5 minutes (property 24).
resource "aws_cloudwatch_metric_alarm" "upload_failure_rate" {
  alarm_name          = "${local.name}-upload-failure-rate"
  alarm_description   = "S3 upload failures above 5 % of uploads over 5 minutes (requirement 8.2)"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 5
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
  ok_actions          = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "rate"
    expression  = "100 * FILL(failures, 0) / writes"
    label       = "Upload failure rate (%)"
    return_data = true
  }

  metric_query {
    id = "failures"

    metric {
      namespace   = "Eduportal"
      metric_name = "image_upload_failures_total"
      dimensions  = { backend = "s3" }
      stat        = "Sum"
      period      = local.alarm_window
    }
  }

  metric_query {
    id = "writes"

    metric {
      namespace   = "Eduportal"
      metric_name = "image_upload_seconds"
      dimensions  = { backend = "s3" }
      stat        = "SampleCount"
      period      = local.alarm_window
    }
  }
}

# 8.3: the image bucket above 80 % of its quota, every storage class it uses added up. S3
# publishes sizes once a day.
resource "aws_cloudwatch_metric_alarm" "bucket_quota" {
  alarm_name          = "${local.name}-bucket-quota"
  alarm_description   = "The image bucket above 80 % of var.bucket_quota_bytes (requirement 8.3)"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0.8 * var.bucket_quota_bytes
  evaluation_periods  = 1
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]

  metric_query {
    id          = "total"
    expression  = join(" + ", [for index, _ in local.storage_classes : "FILL(class${index}, 0)"])
    label       = "Bytes in the image bucket"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = local.storage_classes

    content {
      id = "class${metric_query.key}"

      metric {
        namespace   = "AWS/S3"
        metric_name = "BucketSizeBytes"
        dimensions  = { BucketName = aws_s3_bucket.this["images"].bucket, StorageType = metric_query.value }
        stat        = "Average"
        period      = 86400
      }
    }
  }
}

# 8.4: CloudFront's cache hit rate below 70 % (us-east-1, with the monitoring subscription).
resource "aws_cloudwatch_metric_alarm" "cache_hit_rate" {
  provider            = aws.us_east_1
  alarm_name          = "${local.name}-cache-hit-rate"
  alarm_description   = "CloudFront cache hit rate below 70 % (requirement 8.4)"
  namespace           = "AWS/CloudFront"
  metric_name         = "CacheHitRate"
  dimensions          = { DistributionId = aws_cloudfront_distribution.images.id, Region = "Global" }
  statistic           = "Average"
  period              = local.alarm_window
  evaluation_periods  = 2
  datapoints_to_alarm = 2
  threshold           = 70
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.cdn_alerts.arn]

  depends_on = [aws_cloudfront_monitoring_subscription.images]
}

resource "aws_cloudwatch_metric_alarm" "s3_4xx" {
  alarm_name          = "${local.name}-s3-4xx"
  alarm_description   = "More than 10 S3 client errors in 5 minutes: permissions, missing keys or bad requests"
  namespace           = "AWS/S3"
  metric_name         = "4xxErrors"
  dimensions          = { BucketName = aws_s3_bucket.this["images"].bucket, FilterId = aws_s3_bucket_metric.images.name }
  statistic           = "Sum"
  period              = local.alarm_window
  evaluation_periods  = 1
  threshold           = 10
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# A message in a dead-letter queue is an image an operator must look at
# (`eduportal pipeline dlq list`).
resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  for_each = {
    dead_letters               = aws_sqs_queue.dead_letters.name
    record_writer_dead_letters = aws_sqs_queue.record_writer_dead_letters.name
  }

  alarm_name          = "${local.name}-${replace(each.key, "_", "-")}"
  alarm_description   = "Messages in ${each.value}: images the pipeline gave up on"
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = each.value }
  statistic           = "Maximum"
  period              = local.alarm_window
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

# Errors of any pipeline function: one alarm each, as an alarm's math reads at most ten metrics.
resource "aws_cloudwatch_metric_alarm" "lambda_errors" {
  for_each = aws_lambda_function.pipeline

  alarm_name          = "${each.key}-errors"
  alarm_description   = "${each.key} raised errors (Step Functions retries a Task; the queue redelivers)"
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = each.value.function_name }
  statistic           = "Sum"
  period              = local.alarm_window
  evaluation_periods  = 1
  threshold           = 0
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alerts.arn]
}

resource "aws_cloudwatch_dashboard" "main" {
  dashboard_name = local.name
  dashboard_body = templatefile("${path.module}/templates/dashboard.json.tftpl", {
    region          = local.region
    bucket          = aws_s3_bucket.this["images"].bucket
    filter_id       = aws_s3_bucket_metric.images.name
    storage_classes = local.storage_classes
    distribution_id = aws_cloudfront_distribution.images.id
    queue           = aws_sqs_queue.processing.name
    dead_letters    = aws_sqs_queue.dead_letters.name
    state_machine   = aws_sfn_state_machine.pipeline.arn
    functions       = keys(local.pipeline_functions)
    asg             = aws_autoscaling_group.app.name
  })
}
