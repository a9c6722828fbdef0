# Each region's VPC and public subnet: the ones given in var.network, else the region's default
# VPC and its subnet in the first availability zone (default VPCs' subnets are public).

data "aws_vpc" "default_us_east_1" {
  provider = aws.us_east_1
  count    = contains(keys(var.network), "us-east-1") ? 0 : 1
  default  = true
}

data "aws_vpc" "default_eu_west_1" {
  provider = aws.eu_west_1
  count    = contains(keys(var.network), "eu-west-1") ? 0 : 1
  default  = true
}

data "aws_vpc" "default_ap_southeast_1" {
  provider = aws.ap_southeast_1
  count    = contains(keys(var.network), "ap-southeast-1") ? 0 : 1
  default  = true
}

data "aws_subnet" "default_us_east_1" {
  provider          = aws.us_east_1
  count             = length(data.aws_vpc.default_us_east_1)
  vpc_id            = data.aws_vpc.default_us_east_1[0].id
  availability_zone = "us-east-1a"
  default_for_az    = true
}

data "aws_subnet" "default_eu_west_1" {
  provider          = aws.eu_west_1
  count             = length(data.aws_vpc.default_eu_west_1)
  vpc_id            = data.aws_vpc.default_eu_west_1[0].id
  availability_zone = "eu-west-1a"
  default_for_az    = true
}

data "aws_subnet" "default_ap_southeast_1" {
  provider          = aws.ap_southeast_1
  count             = length(data.aws_vpc.default_ap_southeast_1)
  vpc_id            = data.aws_vpc.default_ap_southeast_1[0].id
  availability_zone = "ap-southeast-1a"
  default_for_az    = true
}

locals {
  network = merge({
    "us-east-1" = {
      vpc_id    = try(data.aws_vpc.default_us_east_1[0].id, null)
      subnet_id = try(data.aws_subnet.default_us_east_1[0].id, null)
    }
    "eu-west-1" = {
      vpc_id    = try(data.aws_vpc.default_eu_west_1[0].id, null)
      subnet_id = try(data.aws_subnet.default_eu_west_1[0].id, null)
    }
    "ap-southeast-1" = {
      vpc_id    = try(data.aws_vpc.default_ap_southeast_1[0].id, null)
      subnet_id = try(data.aws_subnet.default_ap_southeast_1[0].id, null)
    }
  }, var.network)
}
