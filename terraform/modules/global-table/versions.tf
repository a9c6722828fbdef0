terraform {
  required_version = ">= 1.5.0"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.40, < 6.0"
      # One slot per region. Terraform cannot for_each over provider configurations, so the
      # caller passes one aws provider per slot (unused slots may reuse any provider) and
      # each entry of var.regions names its slot. Route 53 goes through slot r1.
      configuration_aliases = [aws.r1, aws.r2, aws.r3, aws.r4, aws.r5]
    }
    random = {
      source  = "hashicorp/random"
      version = ">= 3.5"
    }
  }
}
