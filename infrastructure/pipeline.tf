# The event-driven pipeline (pipeline requirements 1-7): S3 announces an upload to
# EventBridge; one rule sends it both to the record writer (the image's record, UPLOADED) and
# to the processing queue; the queue consumer starts one execution of the state machine per
# upload; each Task is a Lambda function of its own, with a role of its own.
#
# What each function may do is not written here: it is eduportal's own list
# (`eduportal pipeline permissions`, pipeline/permissions.json), which a test keeps equal to
# the code's, and the state machine is `eduportal pipeline asl` (pipeline/state_machine.asl.json)
# with the functions' ARNs filled in.

locals {
  pipeline_permissions = jsondecode(file("${path.module}/pipeline/permissions.json"))

  # Function name => its handler and its statements, each statement with the same attributes
  # (an empty `objects` when the grant is on the whole resource), so for_each gets one type.
  pipeline_functions = {
    for function in local.pipeline_permissions.functions : function.name => {
      handler = function.handler
      statements = tolist([
        for statement in function.statements : {
          actions  = tolist(statement.actions)
          resource = statement.resource
          objects  = try(statement.objects, "")
        }
      ])
    }
  }

  # The two functions work is handed to from outside the state machine; every other
  # function is one of its Tasks.
  entry_functions = [local.record_writer, local.queue_consumer]
  record_writer   = "eduportal-pipeline-record-writer"
  queue_consumer  = "eduportal-pipeline-queue-consumer"

  state_machine_name = "${local.name}-pipeline"
  # Built, not read from the resource: the queue consumer needs it and the state machine
  # names the functions, so a reference would be a cycle.
  state_machine_arn = "arn:${local.partition}:states:${local.region}:${local.account_id}:stateMachine:${local.state_machine_name}"
  lambda_arn_prefix = "arn:${local.partition}:lambda:${local.region}:${local.account_id}:function:"

  # The logical resources of permissions.json, by ARN.
  pipeline_resource_arns = {
    upload_bucket     = aws_s3_bucket.this["images"].arn
    archive_bucket    = aws_s3_bucket.this["archive"].arn
    records_table     = aws_dynamodb_table.image_records.arn
    queue             = aws_sqs_queue.processing.arn
    dead_letter_queue = aws_sqs_queue.dead_letters.arn
    topic             = aws_sns_topic.pipeline.arn
    event_bus         = aws_cloudwatch_event_bus.pipeline.arn
    state_machine     = local.state_machine_arn
    executions        = "arn:${local.partition}:states:${local.region}:${local.account_id}:execution:${local.state_machine_name}:*"
  }

  # What moves the pipeline to AWS (src/eduportal/config.py), for the functions and the
  # servers alike; STATE_MACHINE_ARN is added by each, as the functions cannot reference it.
  pipeline_names = {
    EDUPORTAL_STORAGE   = "s3"
    EDUPORTAL_METRICS   = "emf"
    S3_BUCKET_NAME      = aws_s3_bucket.this["images"].bucket
    ARCHIVE_BUCKET_NAME = aws_s3_bucket.this["archive"].bucket
    IMAGE_RECORDS_TABLE = aws_dynamodb_table.image_records.name
    PIPELINE_QUEUE_URL  = aws_sqs_queue.processing.url
    PIPELINE_DLQ_URL    = aws_sqs_queue.dead_letters.url
    PIPELINE_TOPIC_ARN  = aws_sns_topic.pipeline.arn
    EVENT_BUS_NAME      = aws_cloudwatch_event_bus.pipeline.name
  }

  pipeline_environment = merge(local.pipeline_names, {
    STATE_MACHINE_ARN    = local.state_machine_arn
    EDUPORTAL_LOG_LEVEL  = "INFO"
    EDUPORTAL_GENERATORS = "offline"
  })
}

# --- the image records (pipeline requirement 5) ------------------------------------------

resource "aws_dynamodb_table" "image_records" {
  # checkov:skip=CKV_AWS_119:Encrypted at rest with the AWS-owned key (server_side_encryption below uses the AWS-managed KMS key); a customer-managed key adds cost and a key policy for no requirement.
  name                        = "${local.name}-image-records"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = "image_id"
  deletion_protection_enabled = true

  attribute {
    name = "image_id"
    type = "S"
  }

  attribute {
    name = "key"
    type = "S"
  }

  attribute {
    name = "status"
    type = "S"
  }

  attribute {
    name = "uploaded_day"
    type = "S"
  }

  attribute {
    name = "uploaded_at"
    type = "N"
  }

  # The queries of adapters/aws/dynamodb_image_records.py: by object key, by status, by day.
  global_secondary_index {
    name            = "by_key"
    hash_key        = "key"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "by_status"
    hash_key        = "status"
    range_key       = "uploaded_at"
    projection_type = "ALL"
  }

  global_secondary_index {
    name            = "by_day"
    hash_key        = "uploaded_day"
    range_key       = "uploaded_at"
    projection_type = "ALL"
  }

  point_in_time_recovery {
    enabled = true
  }

  server_side_encryption {
    enabled = true
  }
}

# --- the queue and its dead letters (pipeline requirement 6) -----------------------------

resource "aws_sqs_queue" "dead_letters" {
  name                      = "${local.name}-pipeline-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

resource "aws_sqs_queue" "processing" {
  name                       = "${local.name}-pipeline"
  visibility_timeout_seconds = var.queue_visibility_seconds
  sqs_managed_sse_enabled    = true

  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letters.arn
    maxReceiveCount     = var.queue_max_receives
  })
}

# Only the processing queue may send its messages here (and have them redriven back).
resource "aws_sqs_queue_redrive_allow_policy" "dead_letters" {
  queue_url = aws_sqs_queue.dead_letters.id

  redrive_allow_policy = jsonencode({
    redrivePermission = "byQueue"
    sourceQueueArns   = [aws_sqs_queue.processing.arn]
  })
}

# The record writer is invoked asynchronously by EventBridge: an event it could not take
# after EventBridge's retries is kept here, apart from the processing jobs.
resource "aws_sqs_queue" "record_writer_dead_letters" {
  name                      = "${local.name}-record-writer-dead-letters"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Events from the uploads rule, and nothing else, may be sent to the processing queue and to
# the record writer's dead letters; neither takes plain HTTP.
resource "aws_sqs_queue_policy" "from_uploads_rule" {
  for_each = {
    processing                 = aws_sqs_queue.processing
    record_writer_dead_letters = aws_sqs_queue.record_writer_dead_letters
  }

  queue_url = each.value.id
  policy    = data.aws_iam_policy_document.from_uploads_rule[each.key].json
}

data "aws_iam_policy_document" "from_uploads_rule" {
  for_each = {
    processing                 = aws_sqs_queue.processing.arn
    record_writer_dead_letters = aws_sqs_queue.record_writer_dead_letters.arn
  }

  statement {
    sid       = "EventBridgeUploadsRuleOnly"
    effect    = "Allow"
    actions   = ["sqs:SendMessage"]
    resources = [each.value]

    principals {
      type        = "Service"
      identifiers = ["events.amazonaws.com"]
    }

    condition {
      test     = "ArnEquals"
      variable = "aws:SourceArn"
      values   = [aws_cloudwatch_event_rule.uploads.arn]
    }
  }

  statement {
    sid       = "DenyInsecureTransport"
    effect    = "Deny"
    actions   = ["sqs:*"]
    resources = [each.value]

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
}

# --- events (pipeline requirements 1, 2 and 4) -------------------------------------------

# The bus the pipeline publishes its own events on (EVENT_BUS_NAME).
resource "aws_cloudwatch_event_bus" "pipeline" {
  name = "${local.name}-pipeline"
}

# S3 sends "Object Created" to the account's default bus only.
resource "aws_cloudwatch_event_rule" "uploads" {
  name        = "${local.name}-uploads"
  description = "An object created under uploads/ in the image bucket"

  event_pattern = jsonencode({
    source        = ["aws.s3"]
    "detail-type" = ["Object Created"]
    detail = {
      bucket = { name = [aws_s3_bucket.this["images"].bucket] }
      object = { key = [{ prefix = "uploads/" }] }
    }
  })
}

resource "aws_cloudwatch_event_target" "uploads_to_record_writer" {
  rule      = aws_cloudwatch_event_rule.uploads.name
  target_id = "record-writer"
  arn       = aws_lambda_function.pipeline[local.record_writer].arn

  retry_policy {
    maximum_event_age_in_seconds = 3600
    maximum_retry_attempts       = 10
  }

  dead_letter_config {
    arn = aws_sqs_queue.record_writer_dead_letters.arn
  }
}

resource "aws_cloudwatch_event_target" "uploads_to_queue" {
  rule      = aws_cloudwatch_event_rule.uploads.name
  target_id = "processing-queue"
  arn       = aws_sqs_queue.processing.arn
}

resource "aws_lambda_permission" "record_writer_from_events" {
  statement_id  = "AllowUploadsRule"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.pipeline[local.record_writer].function_name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.uploads.arn
}

resource "aws_sns_topic" "pipeline" {
  name              = "${local.name}-pipeline"
  kms_master_key_id = "alias/aws/sns"
}

# --- the functions (pipeline requirements 3 and 7) ----------------------------------------

resource "aws_cloudwatch_log_group" "pipeline" {
  # checkov:skip=CKV_AWS_158:Log groups are encrypted by CloudWatch Logs by default; a KMS key adds cost and a key policy for no requirement.
  # checkov:skip=CKV_AWS_338:30 days (var.log_retention_days) is what an operator needs to trace a failed upload; a year of logs is a cost choice.
  for_each = local.pipeline_functions

  name              = "/aws/lambda/${each.key}"
  retention_in_days = var.log_retention_days
}

resource "aws_iam_role" "pipeline" {
  for_each = local.pipeline_functions

  name               = each.key
  description        = "Least privilege of ${each.key} (eduportal pipeline permissions)"
  assume_role_policy = data.aws_iam_policy_document.trust["lambda"].json
}

# Each statement of the function's list, on the ARN of its logical resource: an object grant
# on BUCKET_ARN/PREFIX*, the log grant on the function's own log group.
data "aws_iam_policy_document" "pipeline" {
  for_each = local.pipeline_functions

  dynamic "statement" {
    for_each = each.value.statements

    content {
      sid     = "Grant${statement.key}"
      effect  = "Allow"
      actions = statement.value.actions
      resources = (
        statement.value.resource == "own_log_group" ? ["${aws_cloudwatch_log_group.pipeline[each.key].arn}:*"] :
        statement.value.objects != "" ? ["${local.pipeline_resource_arns[statement.value.resource]}/${statement.value.objects}"] :
        [local.pipeline_resource_arns[statement.value.resource]]
      )
    }
  }
}

resource "aws_iam_role_policy" "pipeline" {
  for_each = local.pipeline_functions

  name   = "least-privilege"
  role   = aws_iam_role.pipeline[each.key].id
  policy = data.aws_iam_policy_document.pipeline[each.key].json
}

resource "aws_lambda_function" "pipeline" {
  # checkov:skip=CKV_AWS_50:X-Ray on the functions needs xray:PutTraceSegments on "*", which the roles' exact grants leave out; the state machine traces each execution.
  # checkov:skip=CKV_AWS_115:Concurrency is bounded where work enters: the event source mapping's maximum_concurrency and the state machine's executions.
  # checkov:skip=CKV_AWS_116:Only the record writer is invoked asynchronously, and its EventBridge target has a dead-letter queue; Tasks are synchronous and the queue has its own.
  # checkov:skip=CKV_AWS_117:The functions reach only AWS's public endpoints (S3, DynamoDB, SQS, SNS, EventBridge, Step Functions); a VPC would need NAT or endpoints for nothing.
  # checkov:skip=CKV_AWS_173:The environment holds names and ARNs, no secrets; Lambda encrypts it at rest with its own key.
  # checkov:skip=CKV_AWS_272:Code signing needs a signing profile; the package is built and hashed by `make lambda-zip` and pinned by source_code_hash.
  for_each = local.pipeline_functions

  function_name    = each.key
  description      = "eduportal pipeline: ${each.value.handler}"
  role             = aws_iam_role.pipeline[each.key].arn
  handler          = each.value.handler
  runtime          = var.lambda_runtime
  architectures    = [var.lambda_architecture]
  filename         = var.lambda_zip_path
  source_code_hash = filebase64sha256(var.lambda_zip_path)
  memory_size      = 1024
  timeout          = 120

  environment {
    variables = local.pipeline_environment
  }

  depends_on = [aws_cloudwatch_log_group.pipeline, aws_iam_role_policy.pipeline]
}

resource "aws_lambda_event_source_mapping" "processing" {
  event_source_arn        = aws_sqs_queue.processing.arn
  function_name           = aws_lambda_function.pipeline[local.queue_consumer].arn
  batch_size              = 10
  function_response_types = ["ReportBatchItemFailures"]

  scaling_config {
    maximum_concurrency = 10
  }
}

# --- the state machine (pipeline requirement 3) -------------------------------------------

resource "aws_cloudwatch_log_group" "state_machine" {
  # checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs by default; see the functions' log groups.
  # checkov:skip=CKV_AWS_338:30 days, as the functions' logs.
  name              = "/aws/vendedlogs/states/${local.state_machine_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_sfn_state_machine" "pipeline" {
  name     = local.state_machine_name
  role_arn = aws_iam_role.state_machine.arn
  type     = "STANDARD"

  definition = templatefile("${path.module}/pipeline/state_machine.asl.json", {
    lambda_arn_prefix = local.lambda_arn_prefix
  })

  logging_configuration {
    log_destination        = "${aws_cloudwatch_log_group.state_machine.arn}:*"
    include_execution_data = true
    level                  = "ALL"
  }

  tracing_configuration {
    enabled = true
  }

  depends_on = [aws_iam_role_policy.state_machine, aws_lambda_function.pipeline]
}

resource "aws_iam_role" "state_machine" {
  name               = local.state_machine_name
  description        = "Step Functions: invoke the pipeline's functions, log and trace"
  assume_role_policy = data.aws_iam_policy_document.trust["states"].json
}

data "aws_iam_policy_document" "state_machine" {
  # The state machine's own list (permissions.json, roles.state_machine): the Tasks' functions.
  dynamic "statement" {
    for_each = local.pipeline_permissions.roles.state_machine.statements

    content {
      sid       = "Grant${statement.key}"
      effect    = "Allow"
      actions   = statement.value.actions
      resources = flatten([for name, function in aws_lambda_function.pipeline : [function.arn, "${function.arn}:*"] if !contains(local.entry_functions, name)])
    }
  }

  # Logging to CloudWatch Logs and tracing with X-Ray: these APIs take no resource ARN, so
  # AWS's documentation for Step Functions grants them on "*"; they are the only such grants.
  # checkov:skip=CKV_AWS_111:Log delivery and X-Ray APIs support no resource-level permissions (AWS Step Functions developer guide).
  # checkov:skip=CKV_AWS_356:As above: these actions accept only "*".
  statement {
    sid = "LogDeliveryAcceptsNoResource"
    actions = [
      "logs:CreateLogDelivery",
      "logs:GetLogDelivery",
      "logs:UpdateLogDelivery",
      "logs:DeleteLogDelivery",
      "logs:ListLogDeliveries",
      "logs:PutResourcePolicy",
      "logs:DescribeResourcePolicies",
      "logs:DescribeLogGroups",
    ]
    resources = ["*"]
  }

  statement {
    sid = "TracingAcceptsNoResource"
    actions = [
      "xray:PutTraceSegments",
      "xray:PutTelemetryRecords",
      "xray:GetSamplingRules",
      "xray:GetSamplingTargets",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "state_machine" {
  name   = "invoke-log-trace"
  role   = aws_iam_role.state_machine.id
  policy = data.aws_iam_policy_document.state_machine.json
}
