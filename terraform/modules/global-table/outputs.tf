output "deployment_yaml" {
  description = "The deployment file every daemon and globaltablectl reads (also written to /etc/globaltable/deployment.yaml on each instance). Save it for globaltablectl --config."
  value       = local.deployment_yaml

  precondition {
    condition     = contains(local.names, local.hub)
    error_message = "nats_hub_region ${local.hub} is not one of the regions (${join(", ", local.names)})."
  }
  precondition {
    condition     = length(setsubtract(keys(var.traffic_weights), local.names)) == 0
    error_message = "traffic_weights names regions that are not in var.regions."
  }
}

output "nats_configs" {
  description = "Each region's nats-server configuration (JSON syntax), keyed by region name. Sensitive: holds the NATS link password."
  value       = local.nats_config
  sensitive   = true
}

output "nats_hub_region" {
  description = "With the domains topology, the region every other region's leafnode connects to; null for a supercluster."
  value       = var.nats_topology == "domains" ? local.hub : null
}

output "regions" {
  description = "Per region: id, AWS region, Elastic IP, private IP, API and admin endpoints, instance, data volume and security group ids."
  value = {
    for n in local.names : n => {
      id                = var.regions[n].id
      aws_region        = var.regions[n].aws_region
      public_ip         = local.public_ip[n]
      private_ip        = local.region_modules[n].private_ip
      api_endpoint      = local.region_modules[n].api_endpoint
      admin_endpoint    = local.region_modules[n].admin_endpoint
      instance_id       = local.region_modules[n].instance_id
      data_volume_id    = local.region_modules[n].data_volume_id
      security_group_id = local.region_modules[n].security_group_id
    }
  }
}

output "api_endpoints" {
  description = "DynamoDB API endpoint of each region (aws dynamodb --endpoint-url), keyed by region name."
  value       = { for n in local.names : n => local.region_modules[n].api_endpoint }
}

output "admin_endpoints" {
  description = "Admin endpoint of each region (/metrics, admin API), keyed by region name."
  value       = { for n in local.names : n => local.region_modules[n].admin_endpoint }
}

output "global_api_endpoint" {
  description = "The weighted global DynamoDB API endpoint (Route 53), or null without dns."
  value       = var.dns == null ? null : try("http://${var.dns.global_name}.${var.dns.domain}:${var.ports.api}", null)
}

output "traffic_weights" {
  description = "Route 53 weight in force for each region, keyed by region name."
  value       = { for n in local.names : n => lookup(var.traffic_weights, n, 100) }
}

output "prometheus_scrape_config" {
  description = "Prometheus configuration (YAML) with one scrape job over every region's admin /metrics, labelled region, region_id and aws_region."
  value       = local.prometheus_scrape_config
}
