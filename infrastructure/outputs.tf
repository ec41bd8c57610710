# What the application and the operator need. `scripts/deploy.sh` writes them all to
# .deploy/outputs.json (read by `eduportal infra check`) and app_env to .deploy/eduportal.env.

output "s3_bucket_name" {
  description = "The image bucket (S3_BUCKET_NAME, requirement 2.6)."
  value       = aws_s3_bucket.this["images"].bucket
}

output "s3_bucket_arn" {
  value = aws_s3_bucket.this["images"].arn
}

output "s3_bucket_region" {
  value = aws_s3_bucket.this["images"].region
}

output "archive_bucket_name" {
  value = aws_s3_bucket.this["archive"].bucket
}

output "cloudfront_distribution_id" {
  value = aws_cloudfront_distribution.images.id
}

output "cloudfront_domain_name" {
  description = "CLOUDFRONT_DOMAIN (requirement 4.5)."
  value       = aws_cloudfront_distribution.images.domain_name
}

output "cloudfront_url" {
  value = "https://${aws_cloudfront_distribution.images.domain_name}"
}

output "cloudwatch_dashboard_name" {
  value = aws_cloudwatch_dashboard.main.dashboard_name
}

output "alerts_topic_arn" {
  value = aws_sns_topic.alerts.arn
}

output "cdn_alerts_topic_arn" {
  description = "The topic of CloudFront's alarm, in us-east-1."
  value       = aws_sns_topic.cdn_alerts.arn
}

output "pipeline_topic_arn" {
  value = aws_sns_topic.pipeline.arn
}

output "alb_dns_name" {
  description = "The portal: http://ALB_DNS_NAME."
  value       = aws_lb.app.dns_name
}

output "autoscaling_group_name" {
  description = "For `eduportal loadtest --watch-asg` and `eduportal scaling watch`."
  value       = aws_autoscaling_group.app.name
}

output "state_machine_arn" {
  value = aws_sfn_state_machine.pipeline.arn
}

output "pipeline_queue_url" {
  value = aws_sqs_queue.processing.url
}

output "pipeline_dlq_url" {
  value = aws_sqs_queue.dead_letters.url
}

output "image_records_table_name" {
  value = aws_dynamodb_table.image_records.name
}

output "alarm_names" {
  description = "Each alarm's name, by what it watches."
  value = merge(
    {
      upload_failure_rate = aws_cloudwatch_metric_alarm.upload_failure_rate.alarm_name
      bucket_quota        = aws_cloudwatch_metric_alarm.bucket_quota.alarm_name
      cache_hit_rate      = aws_cloudwatch_metric_alarm.cache_hit_rate.alarm_name
      s3_4xx              = aws_cloudwatch_metric_alarm.s3_4xx.alarm_name
      dead_letters        = aws_cloudwatch_metric_alarm.dead_letters["dead_letters"].alarm_name
      cpu_high            = aws_cloudwatch_metric_alarm.cpu_high.alarm_name
      cpu_low             = aws_cloudwatch_metric_alarm.cpu_low.alarm_name
    },
    { for name, alarm in aws_cloudwatch_metric_alarm.lambda_errors : "lambda_errors:${name}" => alarm.alarm_name },
  )
}

output "app_env" {
  description = "The environment the portal reads (src/eduportal/config.py), without MONGODB_URI, which instances read from Parameter Store."
  value       = local.app_env
}
