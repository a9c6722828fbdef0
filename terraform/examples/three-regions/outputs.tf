output "deployment_yaml" {
  description = "The deployment file; save it for globaltablectl: terraform output -raw deployment_yaml > deployment.yaml"
  value       = module.global_table.deployment_yaml
}

output "api_endpoints" {
  description = "DynamoDB API endpoint of each region."
  value       = module.global_table.api_endpoints
}

output "admin_endpoints" {
  description = "Admin/metrics endpoint of each region."
  value       = module.global_table.admin_endpoints
}

output "global_api_endpoint" {
  description = "The weighted global DynamoDB API endpoint."
  value       = module.global_table.global_api_endpoint
}

output "regions" {
  description = "Per-region details: ids, addresses, instance and volume ids."
  value       = module.global_table.regions
}

output "traffic_weights" {
  description = "Route 53 weights in force."
  value       = module.global_table.traffic_weights
}

output "prometheus_scrape_config" {
  description = "Prometheus scrape configuration for all three regions: terraform output -raw prometheus_scrape_config"
  value       = module.global_table.prometheus_scrape_config
}

output "nats_hub_region" {
  description = "Region whose nats-server the others' leafnodes connect to (domains topology)."
  value       = module.global_table.nats_hub_region
}
