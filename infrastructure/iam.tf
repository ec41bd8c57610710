# The portal's servers (requirements 2.5 and 3.2, property 7): an instance role, never access
# keys, scoped to this stack's resources. The pipeline's roles are in pipeline.tf, built from
# eduportal's own list of what each function needs.

resource "aws_iam_role" "app" {
  name               = "${local.name}-app"
  description        = "eduportal's servers: the image bucket, Bedrock, their metrics"
  assume_role_policy = data.aws_iam_policy_document.trust["ec2"].json
}

# Who may take each kind of role: one trust policy per AWS service; Step Functions only on
# behalf of this account (its service passes aws:SourceAccount).
data "aws_iam_policy_document" "trust" {
  for_each = {
    ec2    = { service = "ec2.amazonaws.com", source_account = false }
    lambda = { service = "lambda.amazonaws.com", source_account = false }
    states = { service = "states.amazonaws.com", source_account = true }
  }

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = [each.value.service]
    }

    dynamic "condition" {
      for_each = each.value.source_account ? [local.account_id] : []

      content {
        test     = "StringEquals"
        variable = "aws:SourceAccount"
        values   = [condition.value]
      }
    }
  }
}

resource "aws_iam_instance_profile" "app" {
  name = "${local.name}-app"
  role = aws_iam_role.app.name
}

data "aws_iam_policy_document" "app" {
  statement {
    sid = "ImagesReadWriteAndTag"
    actions = [
      "s3:GetObject",
      "s3:PutObject",
      "s3:DeleteObject",
      "s3:GetObjectTagging",
      "s3:PutObjectTagging",
    ]
    resources = ["${aws_s3_bucket.this["images"].arn}/*"]
  }

  statement {
    sid       = "ImagesList"
    actions   = ["s3:ListBucket"]
    resources = [aws_s3_bucket.this["images"].arn]
  }

  statement {
    sid     = "GenerateWithBedrock"
    actions = ["bedrock:InvokeModel"]
    resources = [
      for model in var.bedrock_model_ids : "arn:${local.partition}:bedrock:${local.region}::foundation-model/${model}"
    ]
  }

  # The uploads page and `eduportal pipeline ...` read the records, the queue's depth and the
  # dead letters, and redrive them.
  statement {
    sid       = "ImageRecords"
    actions   = ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:Scan"]
    resources = [aws_dynamodb_table.image_records.arn, "${aws_dynamodb_table.image_records.arn}/index/*"]
  }

  statement {
    sid       = "QueueDepthAndRedrive"
    actions   = ["sqs:GetQueueAttributes", "sqs:SendMessage"]
    resources = [aws_sqs_queue.processing.arn]
  }

  statement {
    sid = "DeadLetters"
    actions = [
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:DeleteMessage",
      "sqs:ChangeMessageVisibility",
    ]
    resources = [aws_sqs_queue.dead_letters.arn]
  }

  statement {
    sid       = "MongoUriFromParameterStore"
    actions   = ["ssm:GetParameter"]
    resources = ["arn:${local.partition}:ssm:${local.region}:${local.account_id}:parameter${var.mongodb_uri_parameter}"]
  }

  # The CloudWatch agent ships the application's log lines and its embedded-metric-format
  # lines.
  statement {
    sid       = "MetricLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"]
    resources = ["${aws_cloudwatch_log_group.app_metrics.arn}:*", "${aws_cloudwatch_log_group.app_logs.arn}:*"]
  }

  # PutMetricData takes no resource ARN; the namespace condition is how it is scoped.
  statement {
    sid       = "MetricsInOwnNamespaceOnly"
    actions   = ["cloudwatch:PutMetricData"]
    resources = ["*"]

    condition {
      test     = "StringEquals"
      variable = "cloudwatch:namespace"
      values   = ["Eduportal", "CWAgent"]
    }
  }
}

resource "aws_iam_role_policy" "app" {
  name   = "eduportal-app"
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
}

# Session Manager instead of SSH: no inbound port, every session logged.
resource "aws_iam_role_policy_attachment" "app_ssm" {
  role       = aws_iam_role.app.name
  policy_arn = "arn:${local.partition}:iam::aws:policy/AmazonSSMManagedInstanceCore"
}
