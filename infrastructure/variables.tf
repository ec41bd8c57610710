# Every figure a requirement fixes has its variable here, with the requirement's value as the
# default; tests/infrastructure/ asserts the defaults against eduportal's own figures
# (src/eduportal/domain/deployment_figures.py).

variable "aws_region" {
  description = "Region of the stack (CloudFront's metrics and alarm are in us-east-1 regardless)."
  type        = string
  default     = "eu-west-1"
}

variable "project_name" {
  description = "Prefix of every resource name; also the Project tag."
  type        = string
  default     = "eduportal"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,30}$", var.project_name))
    error_message = "project_name: 2 to 31 lower-case letters, digits and hyphens, starting with a letter."
  }
}

variable "environment" {
  description = "The Environment tag: production, staging, ..."
  type        = string
  default     = "production"
}

variable "extra_tags" {
  description = "More tags for every resource (cost centre, owner)."
  type        = map(string)
  default     = {}
}

# --- storage (requirements 2 and 5) ---------------------------------------------------------

variable "s3_bucket_prefix" {
  description = "Prefix of the image bucket's name; a random suffix makes it globally unique."
  type        = string
  default     = "education-portal-images"
}

variable "image_lifecycle_ia_days" {
  description = "Days after writing before an image moves to Standard-IA (requirement 5.1)."
  type        = number
  default     = 90
}

variable "image_lifecycle_glacier_days" {
  description = "Days in Standard-IA before Glacier Instant Retrieval (requirement 5.2)."
  type        = number
  default     = 180
}

variable "image_lifecycle_expiration_days" {
  description = "Days in Glacier Instant Retrieval before deletion (requirement 5.3)."
  type        = number
  default     = 365
}

variable "lifecycle_min_object_bytes" {
  description = "Objects larger than this many bytes follow the lifecycle tiers. S3's own default leaves objects under 128 KB in Standard, where they cost less than Standard-IA's 128 KB minimum charge; 0 moves every image, as requirement 5 says."
  type        = number
  default     = 0
}

variable "noncurrent_version_expiration_days" {
  description = "Days an overwritten or deleted version is kept before it expires."
  type        = number
  default     = 30
}

variable "bucket_quota_bytes" {
  description = "The storage quota the bucket-size alarm measures against (requirement 8.3); also EDUPORTAL_STORAGE_QUOTA_BYTES."
  type        = number
  default     = 100000000000
}

variable "portal_origins" {
  description = "Origins allowed by the bucket's CORS rule: the portal's public URL(s). Empty: the load balancer's URL."
  type        = list(string)
  default     = []
}

variable "access_log_bucket" {
  description = "A bucket for S3 and CloudFront access logs (domain name for CloudFront); empty disables access logging."
  type        = string
  default     = ""
}

# --- delivery (requirement 4) ------------------------------------------------------------------

variable "cloudfront_price_class" {
  description = "CloudFront price class: PriceClass_100 serves from North America and Europe."
  type        = string
  default     = "PriceClass_100"
}

variable "cloudfront_default_ttl" {
  description = "Seconds an image is cached at the edge by default (requirement 4.2)."
  type        = number
  default     = 86400
}

variable "cloudfront_max_ttl" {
  description = "The longest an edge may cache an image; the portal's images are immutable per ?v=."
  type        = number
  default     = 31536000
}

# --- compute and scaling (requirement 10) --------------------------------------------------

variable "instance_type" {
  description = "EC2 instance type of the portal's servers."
  type        = string
  default     = "t3.medium"
}

variable "ami_ssm_parameter" {
  description = "SSM public parameter naming the AMI (Amazon Linux 2023, x86_64)."
  type        = string
  default     = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

variable "vpc_id" {
  description = "VPC of the load balancer and the instances; empty: the account's default VPC."
  type        = string
  default     = ""
}

variable "subnet_ids" {
  description = "Subnets (at least two zones) for the load balancer and the instances; empty: the default VPC's."
  type        = list(string)
  default     = []
}

variable "app_package" {
  description = "What pip installs on each instance: a wheel's URL, `eduportal==X.Y` from your package index, or git+https://HOST/ORG/eduportal@TAG (eduportal is not on PyPI)."
  type        = string

  validation {
    condition     = length(trimspace(var.app_package)) > 0
    error_message = "app_package: say where the instances install eduportal from (README, Deploying to AWS)."
  }
}

variable "asg_min_size" {
  description = "Instances the group keeps at least (requirement 10.3 returns to it)."
  type        = number
  default     = 1
}

variable "asg_max_size" {
  description = "Instances the group may grow to."
  type        = number
  default     = 4
}

variable "cpu_target_percent" {
  description = "Average CPU above which the group scales out (requirement 10.2)."
  type        = number
  default     = 70
}

variable "scale_out_evaluation_minutes" {
  description = "One-minute periods above the target before the step scale-out adds an instance."
  type        = number
  default     = 2
}

variable "scale_in_cpu_percent" {
  description = "Average CPU below which the group halves. The alarm may halve twice before it sees the first halving, so this is under a quarter of the target: halving twice cannot push CPU over it."
  type        = number
  default     = 15
}

variable "scale_in_evaluation_minutes" {
  description = "One-minute periods below scale_in_cpu_percent before the group halves."
  type        = number
  default     = 3
}

variable "instance_warmup_seconds" {
  description = "Seconds a new instance needs before its CPU counts in the group's average."
  type        = number
  default     = 180
}

variable "mongodb_uri_parameter" {
  description = "Name of the SSM SecureString parameter holding MONGODB_URI (created outside Terraform, so the secret is never in state)."
  type        = string
  default     = "/eduportal/mongodb-uri"
}

# --- generation ----------------------------------------------------------------------------

variable "bedrock_model_ids" {
  description = "Bedrock models the portal invokes: questions, illustrations, answer scoring."
  type        = list(string)
  default     = ["amazon.nova-pro-v1:0", "amazon.nova-canvas-v1:0", "amazon.titan-embed-text-v2:0"]
}

# --- pipeline (pipeline requirements) ------------------------------------------------------

variable "lambda_zip_path" {
  description = "The pipeline's deployment package, built by `make lambda-zip`."
  type        = string
  default     = "../build/lambda/eduportal-lambda.zip"
}

variable "lambda_runtime" {
  description = "Python runtime of the pipeline's functions; the package is built for it."
  type        = string
  default     = "python3.12"
}

variable "lambda_architecture" {
  description = "Instruction set of the pipeline's functions; the package's compiled wheels are built for it."
  type        = string
  default     = "x86_64"
}

variable "queue_max_receives" {
  description = "Deliveries before a message goes to the dead-letter queue (EDUPORTAL_QUEUE_MAX_RECEIVES's default)."
  type        = number
  default     = 5
}

variable "queue_visibility_seconds" {
  description = "The processing queue's visibility timeout: six times the functions' 120 s timeout, as AWS advises for a queue a Lambda function polls."
  type        = number
  default     = 720
}

variable "log_retention_days" {
  description = "Days the functions' and the state machine's logs are kept."
  type        = number
  default     = 30
}

# --- monitoring (requirement 8) -------------------------------------------------------------

variable "alarm_email" {
  description = "An address subscribed to the alarms' topic; empty: no subscription (subscribe later)."
  type        = string
  default     = ""
}
