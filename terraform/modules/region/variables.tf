# Inputs of one region of a globaltable deployment. The global-table module fills them; the
# module also works alone (one region, nats.topology "single") given a deployment file.

variable "name" {
  type        = string
  description = "Region name as written in the deployment file (e.g. \"us-east-1\"). Also the JetStream domain, the NATS cluster and gateway name, and the prefix of resource names."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9-]{0,30}[a-z0-9]$", var.name))
    error_message = "name must be 2-32 characters of lower-case letters, digits and '-', starting and ending with a letter or digit."
  }
}

variable "region_id" {
  type        = number
  description = "Region id in the deployment file: 1..65535, unique across the deployment (it breaks last-writer-wins ties)."

  validation {
    condition     = var.region_id == floor(var.region_id) && var.region_id >= 1 && var.region_id <= 65535
    error_message = "region_id must be an integer in 1..65535."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region this module's aws provider is configured for (e.g. \"eu-west-1\"). Checked against the provider so a mis-wired provider alias fails at plan time."

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must look like an AWS region code, e.g. us-east-1."
  }
}

variable "vpc_id" {
  type        = string
  description = "VPC that holds the region's instance and security group."

  validation {
    condition     = can(regex("^vpc-[0-9a-f]{8,17}$", var.vpc_id))
    error_message = "vpc_id must be a VPC id (vpc-...)."
  }
}

variable "subnet_id" {
  type        = string
  description = "Public subnet (route to an internet gateway) for the instance. The data volume is created in this subnet's availability zone."

  validation {
    condition     = can(regex("^subnet-[0-9a-f]{8,17}$", var.subnet_id))
    error_message = "subnet_id must be a subnet id (subnet-...)."
  }
}

variable "instance" {
  type = object({
    type                    = optional(string, "m6i.large")
    architecture            = optional(string, "x86_64")
    ami_id                  = optional(string)
    key_name                = optional(string)
    iam_instance_profile    = optional(string)
    root_volume_size_gb     = optional(number, 20)
    disable_api_termination = optional(bool, false)
  })
  default     = {}
  description = "The EC2 instance: type, CPU architecture (must match the artifact), AMI (default: the newest official Debian 12 AMI for the architecture), optional SSH key pair and instance profile, root volume size, and termination protection."

  validation {
    condition     = contains(["x86_64", "arm64"], var.instance.architecture)
    error_message = "instance.architecture must be \"x86_64\" or \"arm64\"."
  }
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]*\\.[a-z0-9]+$", var.instance.type))
    error_message = "instance.type must be an EC2 instance type such as m6i.large."
  }
  validation {
    condition     = var.instance.ami_id == null || can(regex("^ami-[0-9a-f]{8,17}$", coalesce(var.instance.ami_id, "x")))
    error_message = "instance.ami_id must be null or an AMI id (ami-...)."
  }
  validation {
    condition     = var.instance.root_volume_size_gb >= 8 && var.instance.root_volume_size_gb <= 1024
    error_message = "instance.root_volume_size_gb must be in 8..1024."
  }
}

variable "data_volume" {
  type = object({
    size_gb        = optional(number, 100)
    type           = optional(string, "gp3")
    iops           = optional(number)
    throughput     = optional(number)
    kms_key_id     = optional(string)
    final_snapshot = optional(bool, true)
  })
  default     = {}
  description = "The encrypted EBS volume that holds RocksDB and JetStream, kept across instance replacement: size, type (gp3 or io2), optional IOPS and throughput, optional KMS key (default: the account's EBS key), and whether deleting it takes a final snapshot."

  validation {
    condition     = var.data_volume.size_gb >= 10 && var.data_volume.size_gb <= 16384
    error_message = "data_volume.size_gb must be in 10..16384."
  }
  validation {
    condition     = contains(["gp3", "io2", "io1"], var.data_volume.type)
    error_message = "data_volume.type must be gp3, io2 or io1 (SSD: RocksDB and JetStream fsync often)."
  }
}

variable "eip_allocation_id" {
  type        = string
  description = "Allocation id of the Elastic IP the instance gets. Allocated outside this module so every region can know every other region's address before any instance exists."

  validation {
    condition     = can(regex("^eipalloc-[0-9a-f]{8,17}$", var.eip_allocation_id))
    error_message = "eip_allocation_id must be an EIP allocation id (eipalloc-...)."
  }
}

variable "endpoint_host" {
  type        = string
  description = "Host name or address that clients and monitoring use to reach this region (the DNS name or the Elastic IP); used in the endpoint outputs."

  validation {
    condition     = length(var.endpoint_host) > 0 && !can(regex("[\\s:/]", var.endpoint_host))
    error_message = "endpoint_host must be a bare host name or IPv4 address (no scheme, port or spaces)."
  }
}

variable "client_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the DynamoDB API port."

  validation {
    condition     = alltrue([for c in var.client_cidrs : can(cidrhost(c, 0)) && !can(regex(":", c))])
    error_message = "client_cidrs must be IPv4 CIDR blocks such as 10.0.0.0/8."
  }
}

variable "monitoring_cidrs" {
  type        = list(string)
  description = "IPv4 CIDRs allowed to reach the admin port (/metrics, admin API, globaltablectl)."

  validation {
    condition     = alltrue([for c in var.monitoring_cidrs : can(cidrhost(c, 0)) && !can(regex(":", c))])
    error_message = "monitoring_cidrs must be IPv4 CIDR blocks such as 192.0.2.0/24."
  }
  validation {
    condition     = !contains(var.monitoring_cidrs, "0.0.0.0/0")
    error_message = "monitoring_cidrs must not contain 0.0.0.0/0: the admin API can fence the region."
  }
}

variable "peer_cidrs" {
  type        = map(string)
  description = "IPv4 CIDRs of the other regions (their Elastic IPs as /32), keyed by a name known at plan time (the peer region's name): the addresses themselves may be known only after apply. Only these reach the NATS leafnode or gateway port."

  validation {
    condition     = alltrue([for c in values(var.peer_cidrs) : can(cidrhost(c, 0)) && !can(regex(":", c))])
    error_message = "peer_cidrs values must be IPv4 CIDR blocks such as 203.0.113.7/32."
  }
  validation {
    condition     = !contains(values(var.peer_cidrs), "0.0.0.0/0")
    error_message = "peer_cidrs must not contain 0.0.0.0/0: the NATS ports are for the other regions only."
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
  description = "TCP ports: DynamoDB API, admin/metrics, NATS client (loopback only), leafnode, gateway and cluster (loopback only)."

  validation {
    condition     = alltrue([for p in values(var.ports) : p == floor(p) && p >= 1 && p <= 65535])
    error_message = "every port must be an integer in 1..65535."
  }
  validation {
    condition     = length(distinct(values(var.ports))) == length(values(var.ports))
    error_message = "ports must be distinct."
  }
}

variable "nats_topology" {
  type        = string
  description = "NATS topology the nats_config implements: \"domains\" opens the leafnode port to peers, \"supercluster\" the gateway port, \"single\" neither."

  validation {
    condition     = contains(["single", "domains", "supercluster"], var.nats_topology)
    error_message = "nats_topology must be single, domains or supercluster."
  }
}

variable "deployment_yaml" {
  type        = string
  description = "The deployment file (YAML) every daemon and globaltablectl reads; written to /etc/globaltable/deployment.yaml."

  validation {
    condition     = can(yamldecode(var.deployment_yaml)) && can(yamldecode(var.deployment_yaml).regions)
    error_message = "deployment_yaml must be YAML with a regions list."
  }
}

variable "nats_config" {
  type        = string
  description = "This region's nats-server configuration (JSON is valid NATS config syntax); written to /etc/globaltable/nats.conf."
  sensitive   = true

  validation {
    condition     = length(trimspace(var.nats_config)) > 0
    error_message = "nats_config must not be empty."
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
  description = "Where the software comes from (the project ships no AMI): artifact_url is an https URL of a .tar.gz holding bin/globaltabled and bin/globaltablectl built for Debian 12 and the instance's architecture, checked against artifact_sha256; nats-server comes from Debian's package unless nats_server_url (a release .tar.gz) and its sha256 are given; runtime_packages are the Debian packages the binaries need."

  validation {
    condition     = can(regex("^https://[^'\"\\s]+$", var.software.artifact_url))
    error_message = "software.artifact_url must be an https:// URL without quotes or spaces."
  }
  validation {
    condition     = can(regex("^[0-9a-f]{64}$", var.software.artifact_sha256))
    error_message = "software.artifact_sha256 must be 64 lower-case hex digits."
  }
  validation {
    condition = (var.software.nats_server_url == null) == (var.software.nats_server_sha256 == null) && (
      var.software.nats_server_url == null || (
        can(regex("^https://[^'\"\\s]+$", coalesce(var.software.nats_server_url, "x"))) &&
        can(regex("^[0-9a-f]{64}$", coalesce(var.software.nats_server_sha256, "x")))
      )
    )
    error_message = "software.nats_server_url (https://) and software.nats_server_sha256 (64 hex digits) go together."
  }
  validation {
    condition     = alltrue([for p in var.software.runtime_packages : can(regex("^[a-z0-9][a-z0-9.+-]+$", p))])
    error_message = "software.runtime_packages must be Debian package names."
  }
}

variable "tags" {
  type        = map(string)
  default     = {}
  description = "Tags added to every resource."
}
