# Three regions of one global table: us-east-1 (id 1, the NATS hub), eu-west-1 (id 2),
# ap-southeast-1 (id 3). tests/fixtures/deployment-three-regions.yaml is the deployment file
# this renders with terraform.tfvars.example.

locals {
  instance    = { type = var.instance_type, key_name = var.key_name }
  data_volume = { size_gb = var.data_volume_size_gb }
}

module "global_table" {
  source = "../../modules/global-table"

  providers = {
    aws.r1 = aws.us_east_1
    aws.r2 = aws.eu_west_1
    aws.r3 = aws.ap_southeast_1
    aws.r4 = aws.us_east_1 # unused slot
    aws.r5 = aws.us_east_1 # unused slot
  }

  name = "three-regions"
  regions = {
    "us-east-1" = {
      id          = 1
      aws_region  = "us-east-1"
      slot        = "r1"
      vpc_id      = local.network["us-east-1"].vpc_id
      subnet_id   = local.network["us-east-1"].subnet_id
      instance    = local.instance
      data_volume = local.data_volume
    }
    "eu-west-1" = {
      id          = 2
      aws_region  = "eu-west-1"
      slot        = "r2"
      vpc_id      = local.network["eu-west-1"].vpc_id
      subnet_id   = local.network["eu-west-1"].subnet_id
      instance    = local.instance
      data_volume = local.data_volume
    }
    "ap-southeast-1" = {
      id          = 3
      aws_region  = "ap-southeast-1"
      slot        = "r3"
      vpc_id      = local.network["ap-southeast-1"].vpc_id
      subnet_id   = local.network["ap-southeast-1"].subnet_id
      instance    = local.instance
      data_volume = local.data_volume
    }
  }

  nats_topology    = var.nats_topology
  nats_hub_region  = "us-east-1"
  client_cidrs     = var.client_cidrs
  monitoring_cidrs = var.monitoring_cidrs

  software = {
    artifact_url    = var.artifact_url
    artifact_sha256 = var.artifact_sha256
  }

  dns = {
    zone_id       = var.dns_zone_id
    domain        = var.dns_domain
    health_checks = true
  }
  traffic_weights = var.traffic_weights
}
