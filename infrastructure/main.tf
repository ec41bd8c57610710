data "aws_caller_identity" "current" {}

data "aws_partition" "current" {}

# A globally unique bucket name (requirement 2.1): the prefix and 4 random bytes, kept for
# the life of the state so repeated applies change nothing (property 4).
resource "random_id" "bucket_suffix" {
  byte_length = 4
}

locals {
  name       = var.project_name
  account_id = data.aws_caller_identity.current.account_id
  partition  = data.aws_partition.current.partition
  region     = var.aws_region

  tags = merge(
    {
      Project     = var.project_name
      Environment = var.environment
      ManagedBy   = "terraform"
    },
    var.extra_tags,
  )

  # Objects the portal writes carry this tag; the lifecycle rules act on it alone, because
  # S3 lifecycle filters cannot exclude a tag (images tagged lifecycle=permanent are kept).
  lifecycle_tags = {
    lifecycle = "auto"
  }
}
