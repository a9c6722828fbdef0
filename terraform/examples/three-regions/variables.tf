variable "dns_zone_id" {
  type        = string
  description = "Route 53 hosted zone that serves dns_domain."
}

variable "dns_domain" {
  type        = string
  description = "Domain under which the regions (<region>.<domain>) and the global API name (dynamodb.<domain>) are published, e.g. gt.example.com."
}

variable "client_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the DynamoDB API port of every region."
}

variable "monitoring_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the admin/metrics port (Prometheus, globaltablectl)."
}

variable "artifact_url" {
  type        = string
  description = "https URL of the globaltable release .tar.gz (bin/globaltabled, bin/globaltablectl, built on Debian 12 x86_64)."
}

variable "artifact_sha256" {
  type        = string
  description = "SHA-256 of the release .tar.gz."
}

variable "network" {
  type = map(object({
    vpc_id    = string
    subnet_id = string
  }))
  default     = {}
  description = "VPC and public subnet per region name; regions not listed use their default VPC's subnet in zone a."
}

variable "nats_topology" {
  type        = string
  default     = "domains"
  description = "\"domains\" (leafnodes to the hub region us-east-1) or \"supercluster\" (gateways)."
}

variable "instance_type" {
  type        = string
  default     = "m6i.large"
  description = "EC2 instance type of every region."
}

variable "data_volume_size_gb" {
  type        = number
  default     = 100
  description = "Size of each region's encrypted data volume (RocksDB and JetStream), in GiB."
}

variable "key_name" {
  type        = string
  default     = null
  description = "EC2 key pair name for SSH, present in all three regions; null for none."
}

variable "traffic_weights" {
  type        = map(number)
  default     = {}
  description = "Route 53 weights of the global API name per region (0..255, default 100). A drill from us-east-1 to eu-west-1: { \"us-east-1\" = 0, \"eu-west-1\" = 100, \"ap-southeast-1\" = 0 }."
}

variable "tags" {
  type        = map(string)
  default     = { project = "globaltable" }
  description = "Default tags of every resource in the three providers."
}
