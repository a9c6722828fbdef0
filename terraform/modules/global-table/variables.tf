# Inputs of a whole globaltable deployment: up to five regions, each in its own provider slot.

variable "name" {
  type        = string
  description = "Name of the deployment, used in tags (globaltable:deployment)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,38}[a-z0-9]$", var.name))
    error_message = "name must be 2-40 characters of lower-case letters, digits and '-'."
  }
}

variable "regions" {
  type = map(object({
    id         = number
    aws_region = string
    slot       = string
    vpc_id     = string
    subnet_id  = string
    instance = optional(object({
      type                    = optional(string, "m6i.large")
      architecture            = optional(string, "x86_64")
      ami_id                  = optional(string)
      key_name                = optional(string)
      iam_instance_profile    = optional(string)
      root_volume_size_gb     = optional(number, 20)
      disable_api_termination = optional(bool, false)
    }), {})
    data_volume = optional(object({
      size_gb        = optional(number, 100)
      type           = optional(string, "gp3")
      iops           = optional(number)
      throughput     = optional(number)
      kms_key_id     = optional(string)
      final_snapshot = optional(bool, true)
    }), {})
  }))
  description = "The regions, keyed by region name (the name in the deployment file, e.g. \"us-east-1\"): region id (1..65535, unique, never reused), AWS region, provider slot (r1..r5, unique: the aws provider the caller passed as aws.<slot> must be for that AWS region), VPC and public subnet, and optionally the instance and data volume settings of modules/region."

  validation {
    condition     = length(var.regions) >= 1 && length(var.regions) <= 5
    error_message = "regions must hold 1 to 5 regions (one per provider slot)."
  }
  validation {
    condition     = alltrue([for n in keys(var.regions) : can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", n))])
    error_message = "region names (the map keys) must be 2-32 characters of lower-case letters, digits and '-'."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : r.id == floor(r.id) && r.id >= 1 && r.id <= 65535])
    error_message = "every region id must be an integer in 1..65535."
  }
  validation {
    condition     = length(distinct([for r in values(var.regions) : r.id])) == length(var.regions)
    error_message = "region ids must be unique."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : contains(["r1", "r2", "r3", "r4", "r5"], r.slot)])
    error_message = "every region's slot must be one of r1, r2, r3, r4, r5."
  }
  validation {
    condition     = length(distinct([for r in values(var.regions) : r.slot])) == length(var.regions)
    error_message = "each region needs its own provider slot."
  }
  validation {
    condition     = alltrue([for r in values(var.regions) : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", r.aws_region))])
    error_message = "every aws_region must look like an AWS region code, e.g. eu-west-1."
  }
}

variable "nats_topology" {
  type        = string
  default     = "domains"
  description = "How the regions' nats-servers are joined: \"domains\" (default: one JetStream domain per region, leafnodes from every region to the hub region, so each region keeps its own JetStream control plane when others are down) or \"supercluster\" (one cluster per region joined by a full mesh of gateways: one JetStream meta group, which needs a majority of regions up to create streams)."

  validation {
    condition     = contains(["domains", "supercluster"], var.nats_topology)
    error_message = "nats_topology must be \"domains\" or \"supercluster\"."
  }
}

variable "clock_max_offset_ms" {
  type        = number
  default     = 500
  description = "Maximum clock offset between regions, in milliseconds (rendered as clock.max_offset_ms in the deployment file): a region refuses, and holds until its own clock catches up, replicated writes stamped further ahead of its clock than this. Keep it above the worst skew NTP leaves between the instances."

  validation {
    condition     = var.clock_max_offset_ms == floor(var.clock_max_offset_ms) && var.clock_max_offset_ms >= 1 && var.clock_max_offset_ms <= 60000
    error_message = "clock_max_offset_ms must be an integer in 1..60000 (globaltabled's limits)."
  }
}

variable "outbox_max_age_s" {
  type        = number
  default     = 86400
  description = "How long each region's outbox stream keeps mutations a peer has not applied, in seconds (rendered as replication.outbox_max_age_s in the deployment file; 24 hours by default, like DynamoDB Streams). A peer down for longer needs a resync."

  validation {
    condition     = var.outbox_max_age_s == floor(var.outbox_max_age_s) && var.outbox_max_age_s >= 1 && var.outbox_max_age_s <= 31622400
    error_message = "outbox_max_age_s must be an integer in 1..31622400 (globaltabled's limits)."
  }
}

variable "outbox_max_bytes" {
  type        = number
  default     = 0
  description = "Size bound of each region's outbox stream in bytes (rendered as replication.outbox_max_bytes); 0: no bound but the disk. Size it for the longest peer outage to ride out: a peer that falls behind it needs a resync."

  validation {
    condition     = var.outbox_max_bytes == floor(var.outbox_max_bytes) && (var.outbox_max_bytes == 0 || (var.outbox_max_bytes >= 1048576 && var.outbox_max_bytes <= 1125899906842624))
    error_message = "outbox_max_bytes must be 0 or an integer in 1048576..1125899906842624 (globaltabled's limits)."
  }
}

variable "tombstone_grace_s" {
  type        = number
  default     = 86400
  description = "Minimum time a deleted item's tombstone is kept, in seconds (rendered as replication.tombstone_grace_s). A region purges a tombstone only after every other region has closed past it, so the grace is a floor, not what keeps deletes correct."

  validation {
    condition     = var.tombstone_grace_s == floor(var.tombstone_grace_s) && var.tombstone_grace_s >= 0 && var.tombstone_grace_s <= 31622400
    error_message = "tombstone_grace_s must be an integer in 0..31622400 (globaltabled's limits)."
  }
}

variable "tombstone_purge_interval_s" {
  type        = number
  default     = 600
  description = "How often each region looks for tombstones to purge, in seconds (rendered as replication.tombstone_purge_interval_s). Each look scans every table's items."

  validation {
    condition     = var.tombstone_purge_interval_s == floor(var.tombstone_purge_interval_s) && var.tombstone_purge_interval_s >= 1 && var.tombstone_purge_interval_s <= 86400
    error_message = "tombstone_purge_interval_s must be an integer in 1..86400 (globaltabled's limits)."
  }
}

variable "nats_hub_region" {
  type        = string
  default     = null
  description = "With the domains topology: the region whose nats-server accepts the other regions' leafnode connections (leafnodes form a tree; a triangle is a loop NATS refuses). Default: the region with the lowest id."
}

variable "client_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach every region's DynamoDB API port."

  validation {
    condition     = alltrue([for c in var.client_cidrs : can(cidrhost(c, 0)) && !can(regex(":", c))])
    error_message = "client_cidrs must be IPv4 CIDR blocks."
  }
}

variable "monitoring_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach every region's admin port (Prometheus, globaltablectl)."

  validation {
    condition     = alltrue([for c in var.monitoring_cidrs : can(cidrhost(c, 0)) && !can(regex(":", c))]) && !contains(var.monitoring_cidrs, "0.0.0.0/0")
    error_message = "monitoring_cidrs must be IPv4 CIDR blocks, and not 0.0.0.0/0 (the admin API can fence a region)."
  }
}

variable "extra_peer_cidrs" {
  type        = list(string)
  default     = []
  description = "More IPv4 CIDRs allowed on the NATS leafnode/gateway port besides the regions' own Elastic IPs (e.g. a NATS hub run elsewhere)."

  validation {
    condition     = alltrue([for c in var.extra_peer_cidrs : can(cidrhost(c, 0)) && !can(regex(":", c))]) && !contains(var.extra_peer_cidrs, "0.0.0.0/0")
    error_message = "extra_peer_cidrs must be IPv4 CIDR blocks, and not 0.0.0.0/0."
  }
}

variable "ports" {
  type = object({
    api         = optional(number, 8000)
    admin       = optional(number, 9464)
    nats_client = optional(number, 4222)
    leafnode    = optional(number, 7422)
    gateway     = optional(number, 7222)
    cluster     = optional(number, 6222)
  })
  default     = {}
  description = "TCP ports, the same in every region: DynamoDB API, admin/metrics, NATS client (loopback), leafnode, gateway, cluster (loopback)."

  validation {
    condition     = alltrue([for p in values(var.ports) : p == floor(p) && p >= 1 && p <= 65535])
    error_message = "every port must be an integer in 1..65535."
  }
  validation {
    condition     = length(distinct(values(var.ports))) == length(values(var.ports))
    error_message = "ports must be distinct."
  }
}

variable "software" {
  type = object({
    artifact_url       = string
    artifact_sha256    = string
    nats_server_url    = optional(string)
    nats_server_sha256 = optional(string)
    runtime_packages = optional(list(string), [
      "ca-certificates", "curl", "e2fsprogs",
      "librocksdb7.8", "libnats3.4", "libprotobuf32", "libabsl20220623",
      "libprometheus-cpp-core1.0", "libprometheus-cpp-pull1.0", "libyaml-cpp0.7",
    ])
  })
  description = "Where every region gets its software (the project ships no AMI): an https URL and SHA-256 of a .tar.gz holding bin/globaltabled and bin/globaltablectl built on Debian 12; optionally a nats-server release .tar.gz and its SHA-256 (default: Debian's nats-server package); the Debian runtime packages. See modules/region."

  validation {
    condition     = can(regex("^https://[^'\"\\s]+$", var.software.artifact_url)) && can(regex("^[0-9a-f]{64}$", var.software.artifact_sha256))
    error_message = "software.artifact_url must be an https:// URL and software.artifact_sha256 64 lower-case hex digits."
  }
}

variable "dns" {
  type = object({
    zone_id       = string
    domain        = string
    global_name   = optional(string, "dynamodb")
    ttl           = optional(number, 30)
    health_checks = optional(bool, false)
  })
  default     = null
  description = "Route 53: a hosted zone and the domain it serves. Each region gets <region>.<domain> (used in the deployment file and endpoints) and a weighted record <global_name>.<domain> (weights from traffic_weights). health_checks adds a TCP health check on each region's API port (and opens that port to Route 53's checkers). Null: no DNS, endpoints use the Elastic IPs."

  validation {
    condition     = var.dns == null || can(regex("^Z[0-9A-Z]{4,32}$", try(var.dns.zone_id, "")))
    error_message = "dns.zone_id must be a Route 53 hosted zone id (Z...)."
  }
  validation {
    condition     = var.dns == null || can(regex("^([a-z0-9]([a-z0-9-]*[a-z0-9])?\\.)+[a-z]{2,}$", try(var.dns.domain, "")))
    error_message = "dns.domain must be a lower-case DNS name without a trailing dot, e.g. gt.example.com."
  }
  validation {
    condition     = var.dns == null || can(regex("^[a-z0-9]([a-z0-9-]*[a-z0-9])?$", try(var.dns.global_name, "")))
    error_message = "dns.global_name must be one DNS label."
  }
  validation {
    condition     = var.dns == null || (try(var.dns.ttl, 0) >= 5 && try(var.dns.ttl, 0) <= 3600)
    error_message = "dns.ttl must be in 5..3600 seconds (keep it short: drills move traffic by changing weights)."
  }
}

variable "traffic_weights" {
  type        = map(number)
  default     = {}
  description = "Route 53 weight (0..255) of each region in the global API record, keyed by region name; regions not listed get 100. A drill moves traffic by setting the source region to 0 and the target to 100. Changing weights touches only DNS records, never the instances."

  validation {
    condition     = alltrue([for w in values(var.traffic_weights) : w == floor(w) && w >= 0 && w <= 255])
    error_message = "traffic weights must be integers in 0..255."
  }
}

variable "prometheus_job_name" {
  type        = string
  default     = "globaltable"
  description = "job_name of the rendered Prometheus scrape configuration."

  validation {
    condition     = can(regex("^[a-zA-Z_][a-zA-Z0-9_-]*$", var.prometheus_job_name))
    error_message = "prometheus_job_name must be a plain identifier."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags added to every resource."
}
