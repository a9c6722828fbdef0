# A globaltable deployment: one modules/region per entry of var.regions, each through the aws
# provider of its slot, plus the Elastic IPs every region needs to know about every other.
#
# Terraform cannot for_each over provider configurations, so each of the five slots has its own
# EIP and module block; a slot's for_each holds the one region that names it, or nothing.
# Everything a region's instance needs (the deployment file, its NATS config, its peers'
# addresses) derives from the Elastic IPs, which exist before any instance: no region waits on
# another region's instance, and there is no dependency cycle between regions.

locals {
  by_slot = {
    for s in ["r1", "r2", "r3", "r4", "r5"] : s => { for n, r in var.regions : n => r if r.slot == s }
  }

  eips      = merge(aws_eip.r1, aws_eip.r2, aws_eip.r3, aws_eip.r4, aws_eip.r5)
  public_ip = { for n, e in local.eips : n => e.public_ip }

  # Route 53 health checkers must reach the API port when health checks are on.
  client_cidrs = distinct(concat(var.client_cidrs, try(data.aws_ip_ranges.route53_health_checks[0].cidr_blocks, [])))

  region_modules = merge(module.region_r1, module.region_r2, module.region_r3, module.region_r4, module.region_r5)
}

data "aws_ip_ranges" "route53_health_checks" {
  provider = aws.r1
  count    = try(var.dns.health_checks, false) ? 1 : 0
  services = ["route53_healthchecks"]
}

resource "aws_eip" "r1" {
  provider = aws.r1
  for_each = local.by_slot["r1"]
  domain   = "vpc"
  tags     = merge(local.tags, { Name = "globaltable-${each.key}", "globaltable:region" = each.key })
}

resource "aws_eip" "r2" {
  provider = aws.r2
  for_each = local.by_slot["r2"]
  domain   = "vpc"
  tags     = merge(local.tags, { Name = "globaltable-${each.key}", "globaltable:region" = each.key })
}

resource "aws_eip" "r3" {
  provider = aws.r3
  for_each = local.by_slot["r3"]
  domain   = "vpc"
  tags     = merge(local.tags, { Name = "globaltable-${each.key}", "globaltable:region" = each.key })
}

resource "aws_eip" "r4" {
  provider = aws.r4
  for_each = local.by_slot["r4"]
  domain   = "vpc"
  tags     = merge(local.tags, { Name = "globaltable-${each.key}", "globaltable:region" = each.key })
}

resource "aws_eip" "r5" {
  provider = aws.r5
  for_each = local.by_slot["r5"]
  domain   = "vpc"
  tags     = merge(local.tags, { Name = "globaltable-${each.key}", "globaltable:region" = each.key })
}

module "region_r1" {
  source    = "../region"
  for_each  = local.by_slot["r1"]
  providers = { aws = aws.r1 }

  name              = each.key
  region_id         = each.value.id
  aws_region        = each.value.aws_region
  vpc_id            = each.value.vpc_id
  subnet_id         = each.value.subnet_id
  instance          = each.value.instance
  data_volume       = each.value.data_volume
  eip_allocation_id = local.eips[each.key].allocation_id
  endpoint_host     = local.host[each.key]
  client_cidrs      = local.client_cidrs
  monitoring_cidrs  = var.monitoring_cidrs
  peer_cidrs        = local.peer_cidrs[each.key]
  ports             = var.ports
  nats_topology     = var.nats_topology
  deployment_yaml   = local.deployment_yaml
  nats_config       = local.nats_config[each.key]
  software          = var.software
  tags              = local.tags
}

module "region_r2" {
  source    = "../region"
  for_each  = local.by_slot["r2"]
  providers = { aws = aws.r2 }

  name              = each.key
  region_id         = each.value.id
  aws_region        = each.value.aws_region
  vpc_id            = each.value.vpc_id
  subnet_id         = each.value.subnet_id
  instance          = each.value.instance
  data_volume       = each.value.data_volume
  eip_allocation_id = local.eips[each.key].allocation_id
  endpoint_host     = local.host[each.key]
  client_cidrs      = local.client_cidrs
  monitoring_cidrs  = var.monitoring_cidrs
  peer_cidrs        = local.peer_cidrs[each.key]
  ports             = var.ports
  nats_topology     = var.nats_topology
  deployment_yaml   = local.deployment_yaml
  nats_config       = local.nats_config[each.key]
  software          = var.software
  tags              = local.tags
}

module "region_r3" {
  source    = "../region"
  for_each  = local.by_slot["r3"]
  providers = { aws = aws.r3 }

  name              = each.key
  region_id         = each.value.id
  aws_region        = each.value.aws_region
  vpc_id            = each.value.vpc_id
  subnet_id         = each.value.subnet_id
  instance          = each.value.instance
  data_volume       = each.value.data_volume
  eip_allocation_id = local.eips[each.key].allocation_id
  endpoint_host     = local.host[each.key]
  client_cidrs      = local.client_cidrs
  monitoring_cidrs  = var.monitoring_cidrs
  peer_cidrs        = local.peer_cidrs[each.key]
  ports             = var.ports
  nats_topology     = var.nats_topology
  deployment_yaml   = local.deployment_yaml
  nats_config       = local.nats_config[each.key]
  software          = var.software
  tags              = local.tags
}

module "region_r4" {
  source    = "../region"
  for_each  = local.by_slot["r4"]
  providers = { aws = aws.r4 }

  name              = each.key
  region_id         = each.value.id
  aws_region        = each.value.aws_region
  vpc_id            = each.value.vpc_id
  subnet_id         = each.value.subnet_id
  instance          = each.value.instance
  data_volume       = each.value.data_volume
  eip_allocation_id = local.eips[each.key].allocation_id
  endpoint_host     = local.host[each.key]
  client_cidrs      = local.client_cidrs
  monitoring_cidrs  = var.monitoring_cidrs
  peer_cidrs        = local.peer_cidrs[each.key]
  ports             = var.ports
  nats_topology     = var.nats_topology
  deployment_yaml   = local.deployment_yaml
  nats_config       = local.nats_config[each.key]
  software          = var.software
  tags              = local.tags
}

module "region_r5" {
  source    = "../region"
  for_each  = local.by_slot["r5"]
  providers = { aws = aws.r5 }

  name              = each.key
  region_id         = each.value.id
  aws_region        = each.value.aws_region
  vpc_id            = each.value.vpc_id
  subnet_id         = each.value.subnet_id
  instance          = each.value.instance
  data_volume       = each.value.data_volume
  eip_allocation_id = local.eips[each.key].allocation_id
  endpoint_host     = local.host[each.key]
  client_cidrs      = local.client_cidrs
  monitoring_cidrs  = var.monitoring_cidrs
  peer_cidrs        = local.peer_cidrs[each.key]
  ports             = var.ports
  nats_topology     = var.nats_topology
  deployment_yaml   = local.deployment_yaml
  nats_config       = local.nats_config[each.key]
  software          = var.software
  tags              = local.tags
}
