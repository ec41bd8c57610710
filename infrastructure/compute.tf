# The portal's servers (requirement 10): an Auto Scaling group of instances behind an
# Application Load Balancer, each running `eduportal serve` (API on 8000, UI on 8501).
#
# Scaling on average CPU at 70 %, within the budgets of 10.2 (out within 5 minutes) and 10.3
# (back to the minimum within 10), as tests/infrastructure/test_scaling_model.py replays with
# these very values:
#   - Out: a step policy on a 2-of-2 one-minute alarm: 2 x 60 s + 60 s for the datapoint to
#     arrive + 90 s to start an instance = 270 s. Target tracking alone waits for its own
#     3-of-3 alarm: 3 x 60 + 60 + 90 = 330 s, over budget; it stays, scale-in disabled, to
#     size the group in proportion to the load.
#   - In: a step policy halving the group on a 3-of-3 alarm below 15 %: 3 x 60 + 60 = 240 s to
#     the first halving, 60 s to the next (4 -> 2 -> 1), 30 s deregistration, 30 s to stop:
#     360 s; 480 s at worst when the load ends just as an instance was launched (its warm-up
#     holds scale-in back). Target tracking's own scale-in alarm needs 15 of 15 minutes and
#     could not meet 10 minutes. The alarm invokes the policy every minute it stays in ALARM
#     and may halve twice before it sees the first halving, so its threshold is under a
#     quarter of 70 %: halving twice never sends CPU above the target (no flapping).

locals {
  vpc_id     = var.vpc_id != "" ? var.vpc_id : data.aws_vpc.default[0].id
  subnet_ids = length(var.subnet_ids) > 0 ? var.subnet_ids : data.aws_subnets.default[0].ids
  public_url = "http://${aws_lb.app.dns_name}"

  # What the application reads (src/eduportal/config.py); also the app_env output.
  app_env = merge(local.pipeline_names, {
    AWS_REGION                    = local.region
    CLOUDFRONT_DOMAIN             = aws_cloudfront_distribution.images.domain_name
    EDUPORTAL_PUBLIC_URL          = local.public_url
    EDUPORTAL_STORAGE_QUOTA_BYTES = tostring(var.bucket_quota_bytes)
    EDUPORTAL_EMF_ENDPOINT        = "tcp://127.0.0.1:25888"
    EDUPORTAL_EMF_LOG_GROUP       = aws_cloudwatch_log_group.app_metrics.name
    STATE_MACHINE_ARN             = aws_sfn_state_machine.pipeline.arn
  })
}

data "aws_vpc" "default" {
  count   = var.vpc_id == "" ? 1 : 0
  default = true
}

data "aws_subnets" "default" {
  count = length(var.subnet_ids) == 0 ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [local.vpc_id]
  }
}

# The portal's JSON log lines (every storage operation, with its correlation id: requirements
# 8.1 and 9.5), shipped by the CloudWatch agent so they outlive the instance.
resource "aws_cloudwatch_log_group" "app_logs" {
  # checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs by default; see the functions' log groups.
  # checkov:skip=CKV_AWS_338:30 days, as the other logs.
  name              = "${local.name}-app"
  retention_in_days = var.log_retention_days
}

resource "aws_cloudwatch_log_group" "app_metrics" {
  # checkov:skip=CKV_AWS_158:Encrypted by CloudWatch Logs by default; see the functions' log groups.
  # checkov:skip=CKV_AWS_338:30 days, as the other logs; the metrics themselves are kept by CloudWatch for 15 months.
  name              = "${local.name}-metrics"
  retention_in_days = var.log_retention_days
}

# --- network ----------------------------------------------------------------------------

resource "aws_security_group" "alb" {
  # checkov:skip=CKV_AWS_260:The portal is a public web site; port 80 is open to everyone by design (attach a certificate for 443, see README).
  name        = "${local.name}-alb"
  description = "The portal's load balancer: HTTP from anywhere, to the instances only"
  vpc_id      = local.vpc_id

  ingress {
    description = "HTTP from the internet"
    from_port   = 80
    to_port     = 80
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }

  egress {
    description     = "To the portal's API and UI on the instances"
    from_port       = 8000
    to_port         = 8501
    protocol        = "tcp"
    security_groups = [aws_security_group.app.id]
  }
}

resource "aws_security_group" "app" {
  # checkov:skip=CKV_AWS_382:Instances call AWS's public endpoints (S3, Bedrock, DynamoDB, SQS, CloudWatch, SSM) and PyPI at boot, over HTTPS anywhere.
  name        = "${local.name}-app"
  description = "The portal's instances: the API and UI from the load balancer only"
  vpc_id      = local.vpc_id

  egress {
    description = "HTTPS to AWS's APIs, MongoDB Atlas and PyPI"
    from_port   = 0
    to_port     = 65535
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}

resource "aws_vpc_security_group_ingress_rule" "app_from_alb" {
  for_each = toset(["8000", "8501"])

  security_group_id            = aws_security_group.app.id
  description                  = "eduportal on port ${each.value}, from the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  from_port                    = tonumber(each.value)
  to_port                      = tonumber(each.value)
  ip_protocol                  = "tcp"
}

# --- load balancer ---------------------------------------------------------------------

resource "aws_lb" "app" {
  # checkov:skip=CKV_AWS_91:Access logs need a log bucket; set one in the console or add access_logs when var.access_log_bucket is set.
  # checkov:skip=CKV_AWS_150:Deletion protection would make `terraform destroy` (README's tear-down) fail; the load balancer holds no data.
  # checkov:skip=CKV2_AWS_28:A WAF web ACL is a monthly cost; the portal rate-limits sign-ins and bounds every request itself.
  # checkov:skip=CKV2_AWS_20:No certificate without a domain; HTTP is redirected to HTTPS once one is attached (README).
  name                       = "${local.name}-app"
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = local.subnet_ids
  drop_invalid_header_fields = true
}

# The API, the image origin and the probes. /readyz writes, reads back and deletes a canary
# object, so a healthy target is one that can reach S3 (requirement 10.4, property 28).
resource "aws_lb_target_group" "app" {
  # checkov:skip=CKV_AWS_378:The load balancer talks to the instances inside the VPC, to security groups that admit only it; TLS belongs on the listener (README).
  name                 = "${local.name}-api"
  port                 = 8000
  protocol             = "HTTP"
  vpc_id               = local.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/readyz"
    matcher             = "200"
    interval            = 15
    timeout             = 10
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_target_group" "ui" {
  # checkov:skip=CKV_AWS_378:The load balancer talks to the instances inside the VPC, to security groups that admit only it; TLS belongs on the listener (README).
  name                 = "${local.name}-ui"
  port                 = 8501
  protocol             = "HTTP"
  vpc_id               = local.vpc_id
  deregistration_delay = 30

  stickiness {
    type    = "lb_cookie"
    enabled = true
  }

  health_check {
    path                = "/_stcore/health"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_lb_listener" "http" {
  # checkov:skip=CKV_AWS_2:No certificate without a domain: see README for adding an HTTPS listener.
  # checkov:skip=CKV_AWS_103:As CKV_AWS_2: TLS needs the HTTPS listener.
  load_balancer_arn = aws_lb.app.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.ui.arn
  }
}

resource "aws_lb_listener_rule" "api" {
  listener_arn = aws_lb_listener.http.arn
  priority     = 10

  action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.app.arn
  }

  condition {
    path_pattern {
      values = ["/api/*", "/images/*", "/healthz", "/readyz", "/docs*", "/openapi.json"]
    }
  }
}

# --- instances -------------------------------------------------------------------------

resource "aws_launch_template" "app" {
  name_prefix            = "${local.name}-app-"
  image_id               = "resolve:ssm:${var.ami_ssm_parameter}"
  instance_type          = var.instance_type
  vpc_security_group_ids = [aws_security_group.app.id]
  update_default_version = true

  iam_instance_profile {
    arn = aws_iam_instance_profile.app.arn
  }

  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  # One-minute CPU datapoints: the scaling budgets above are counted in minutes.
  monitoring {
    enabled = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_size           = 20
      volume_type           = "gp3"
      encrypted             = true
      delete_on_termination = true
    }
  }

  user_data = base64encode(templatefile("${path.module}/templates/user_data.sh.tftpl", {
    app_package           = var.app_package
    mongodb_uri_parameter = var.mongodb_uri_parameter
    app_log_group         = aws_cloudwatch_log_group.app_logs.name
    app_env               = local.app_env
  }))

  tag_specifications {
    resource_type = "instance"
    tags          = merge(local.tags, { Name = "${local.name}-app" })
  }
}

resource "aws_autoscaling_group" "app" {
  name                      = "${local.name}-app"
  min_size                  = var.asg_min_size
  max_size                  = var.asg_max_size
  vpc_zone_identifier       = local.subnet_ids
  target_group_arns         = [aws_lb_target_group.app.arn, aws_lb_target_group.ui.arn]
  health_check_type         = "ELB"
  health_check_grace_period = var.instance_warmup_seconds
  default_instance_warmup   = var.instance_warmup_seconds
  metrics_granularity       = "1Minute"
  enabled_metrics = [
    "GroupDesiredCapacity",
    "GroupInServiceInstances",
    "GroupMaxSize",
    "GroupMinSize",
    "GroupPendingInstances",
    "GroupTerminatingInstances",
  ]

  launch_template {
    id      = aws_launch_template.app.id
    version = aws_launch_template.app.latest_version
  }

  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 50
    }
  }

  tag {
    key                 = "Name"
    value               = "${local.name}-app"
    propagate_at_launch = true
  }

  # The policies move the desired capacity; an apply must not undo them (property 4).
  lifecycle {
    ignore_changes = [desired_capacity]
  }
}

# --- scaling policies (see the arithmetic at the top) ----------------------------------

resource "aws_autoscaling_policy" "cpu_tracking" {
  name                      = "${local.name}-cpu-tracking"
  autoscaling_group_name    = aws_autoscaling_group.app.name
  policy_type               = "TargetTrackingScaling"
  estimated_instance_warmup = var.instance_warmup_seconds

  target_tracking_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ASGAverageCPUUtilization"
    }
    target_value     = var.cpu_target_percent
    disable_scale_in = true
  }
}

resource "aws_autoscaling_policy" "scale_out" {
  name                      = "${local.name}-scale-out"
  autoscaling_group_name    = aws_autoscaling_group.app.name
  policy_type               = "StepScaling"
  adjustment_type           = "ChangeInCapacity"
  metric_aggregation_type   = "Average"
  estimated_instance_warmup = var.instance_warmup_seconds

  step_adjustment {
    scaling_adjustment          = 1
    metric_interval_lower_bound = 0
    metric_interval_upper_bound = 20
  }

  step_adjustment {
    scaling_adjustment          = 2
    metric_interval_lower_bound = 20
  }
}

resource "aws_autoscaling_policy" "scale_in" {
  name                     = "${local.name}-scale-in"
  autoscaling_group_name   = aws_autoscaling_group.app.name
  policy_type              = "StepScaling"
  adjustment_type          = "PercentChangeInCapacity"
  min_adjustment_magnitude = 1
  metric_aggregation_type  = "Average"

  step_adjustment {
    scaling_adjustment          = -50
    metric_interval_upper_bound = 0
  }
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  alarm_name          = "${local.name}-cpu-high"
  alarm_description   = "Average CPU of the group above ${var.cpu_target_percent} % for ${var.scale_out_evaluation_minutes} minutes: add an instance (requirement 10.2)"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.scale_out_evaluation_minutes
  datapoints_to_alarm = var.scale_out_evaluation_minutes
  threshold           = var.cpu_target_percent
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [aws_autoscaling_policy.scale_out.arn]

  dimensions = {
    AutoScalingGroupName = aws_autoscaling_group.app.name
  }
}

resource "aws_cloudwatch_metric_alarm" "cpu_low" {
  alarm_name          = "${local.name}-cpu-low"
  alarm_description   = "Average CPU of the group below ${var.scale_in_cpu_percent} % for ${var.scale_in_evaluation_minutes} minutes: halve the group (requirement 10.3)"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = var.scale_in_evaluation_minutes
  datapoints_to_alarm = var.scale_in_evaluation_minutes
  threshold           = var.scale_in_cpu_percent
  comparison_operator = "LessThanThreshold"
  alarm_actions       = [aws_autoscaling_policy.scale_in.arn]

  dimensions = {
    AutoScalingGroupName = aws_autoscaling_group.app.name
  }
}
