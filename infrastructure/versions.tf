# Terraform and the providers this configuration is written for. No provider could be
# downloaded where it was written, so it was checked by parsing, by checkov and against the
# AWS provider's 6.25 schema (tests/infrastructure/); a first real `terraform plan` is the
# remaining check (README, "Deploying to AWS").
terraform {
  required_version = ">= 1.6"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 6.0"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.6"
    }
  }
}

provider "aws" {
  region = var.aws_region

  default_tags {
    tags = local.tags
  }
}

# CloudFront publishes its metrics in us-east-1 only, so the cache hit rate alarm and the
# CloudFront widgets' data live there whatever region the rest of the stack is in.
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  default_tags {
    tags = local.tags
  }
}
