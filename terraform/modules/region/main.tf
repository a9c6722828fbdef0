# One region of a globaltable deployment on AWS: one EC2 instance running nats-server and
# globaltabled, an encrypted EBS data volume that outlives the instance, an Elastic IP (allocated
# by the caller), and a security group.
#
# Why an instance and a separate volume rather than an auto-scaling group of one: the region's
# state (RocksDB and the JetStream store) lives on one EBS volume in one availability zone. As
# its own resource, the volume is detached (after a clean stop of the instance) and re-attached
# when Terraform replaces the instance (new AMI, new software, new instance type), so the region
# restarts with its data and resumes replication from its watermarks instead of resyncing.
# Hardware failures are covered by EC2 automatic recovery, which keeps the instance id, the
# volume and the address. An ASG of one would replace a failed instance by itself, but the new
# instance would have to find, wait for and attach the volume and the EIP at boot (an IAM role,
# AZ pinning, races with the old instance's detach), none of which Terraform could see or plan.

locals {
  name_prefix = "globaltable-${var.name}"
  tags        = merge(var.tags, { "globaltable:region" = var.name })
  # Route 53 health checkers and clients share the API rule; the leafnode or gateway port
  # is opened to the peers only for the topology that uses it.
  peer_port = {
    single       = null
    domains      = var.ports.leafnode
    supercluster = var.ports.gateway
  }[var.nats_topology]
}

data "aws_region" "current" {}

data "aws_subnet" "this" {
  id = var.subnet_id
}

data "aws_ami" "debian" {
  count       = var.instance.ami_id == null ? 1 : 0
  most_recent = true
  owners      = ["136693071363"] # Debian's official AWS account

  filter {
    name   = "name"
    values = ["debian-12-${var.instance.architecture == "arm64" ? "arm64" : "amd64"}-*"]
  }
  filter {
    name   = "architecture"
    values = [var.instance.architecture]
  }
  filter {
    name   = "virtualization-type"
    values = ["hvm"]
  }
}

resource "aws_security_group" "this" {
  name_prefix = "${local.name_prefix}-"
  description = "globaltable region ${var.name}: API, admin, NATS peers"
  vpc_id      = var.vpc_id
  tags        = merge(local.tags, { Name = local.name_prefix })

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_vpc_security_group_ingress_rule" "api" {
  for_each          = toset(var.client_cidrs)
  security_group_id = aws_security_group.this.id
  description       = "DynamoDB API from clients"
  ip_protocol       = "tcp"
  from_port         = var.ports.api
  to_port           = var.ports.api
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "admin" {
  for_each          = toset(var.monitoring_cidrs)
  security_group_id = aws_security_group.this.id
  description       = "admin API and /metrics from monitoring"
  ip_protocol       = "tcp"
  from_port         = var.ports.admin
  to_port           = var.ports.admin
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_vpc_security_group_ingress_rule" "nats_peer" {
  # Keyed by peer name: the addresses may be unknown until the Elastic IPs exist.
  for_each          = local.peer_port == null ? {} : var.peer_cidrs
  security_group_id = aws_security_group.this.id
  description       = "NATS ${var.nats_topology == "domains" ? "leafnode" : "gateway"} from peer regions"
  ip_protocol       = "tcp"
  from_port         = local.peer_port
  to_port           = local.peer_port
  cidr_ipv4         = each.value
  tags              = local.tags
}

resource "aws_vpc_security_group_egress_rule" "all" {
  security_group_id = aws_security_group.this.id
  description       = "packages, artifacts, peer regions"
  ip_protocol       = "-1"
  cidr_ipv4         = "0.0.0.0/0"
  tags              = local.tags
}

resource "aws_ebs_volume" "data" {
  availability_zone = data.aws_subnet.this.availability_zone
  size              = var.data_volume.size_gb
  type              = var.data_volume.type
  iops              = var.data_volume.iops
  throughput        = var.data_volume.throughput
  encrypted         = true
  kms_key_id        = var.data_volume.kms_key_id
  final_snapshot    = var.data_volume.final_snapshot
  tags              = merge(local.tags, { Name = "${local.name_prefix}-data" })
}

resource "aws_instance" "this" {
  ami                         = coalesce(var.instance.ami_id, try(data.aws_ami.debian[0].id, null))
  instance_type               = var.instance.type
  subnet_id                   = var.subnet_id
  vpc_security_group_ids      = [aws_security_group.this.id]
  key_name                    = var.instance.key_name
  iam_instance_profile        = var.instance.iam_instance_profile
  disable_api_termination     = var.instance.disable_api_termination
  user_data_base64            = base64gzip(local.user_data)
  user_data_replace_on_change = true
  tags                        = merge(local.tags, { Name = local.name_prefix })

  root_block_device {
    volume_type = "gp3"
    volume_size = var.instance.root_volume_size_gb
    encrypted   = true
    # Tags on the root device only: instance-level volume_tags would also fight over the data
    # volume's tags, which its own resource manages.
    tags = merge(local.tags, { Name = "${local.name_prefix}-root" })
  }

  metadata_options {
    http_tokens   = "required"
    http_endpoint = "enabled"
  }

  maintenance_options {
    auto_recovery = "default"
  }

  lifecycle {
    precondition {
      condition     = data.aws_region.current.name == var.aws_region
      error_message = "region ${var.name}: the aws provider passed to this module is for ${data.aws_region.current.name}, but aws_region is ${var.aws_region}."
    }
    precondition {
      condition     = length(local.self_entries) == 1 && try(local.self_entries[0].id, 0) == var.region_id
      error_message = "the deployment file must list region ${var.name} exactly once, with id ${var.region_id}."
    }
    precondition {
      condition     = startswith(local.data_dir, "${local.data_mount}/")
      error_message = "region ${var.name}: data_dir in the deployment file must be under ${local.data_mount}/ (the data volume)."
    }
    # Leave the AMI alone once running: a newer Debian AMI must not replace a live region.
    ignore_changes = [ami]
  }
}

resource "aws_volume_attachment" "data" {
  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data.id
  instance_id = aws_instance.this.id
  # Stop the instance (systemd stops globaltabled and nats-server cleanly) before detaching.
  stop_instance_before_detaching = true
}

resource "aws_eip_association" "this" {
  allocation_id = var.eip_allocation_id
  instance_id   = aws_instance.this.id
}
