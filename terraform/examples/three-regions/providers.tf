# One aws provider per AWS region. The global-table module has five provider slots; this example
# fills r1..r3 and hands r4 and r5 a provider that no region uses (Terraform requires every
# declared slot to be passed).

provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"
  default_tags { tags = var.tags }
}

provider "aws" {
  alias  = "eu_west_1"
  region = "eu-west-1"
  default_tags { tags = var.tags }
}

provider "aws" {
  alias  = "ap_southeast_1"
  region = "ap-southeast-1"
  default_tags { tags = var.tags }
}
