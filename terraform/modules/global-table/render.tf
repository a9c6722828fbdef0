# What this module renders: the one deployment file every daemon and globaltablectl reads, each
# region's nats-server configuration, and a Prometheus scrape configuration. Plain values only,
# so a reader can check a rendered file against these expressions line by line.

locals {
  names = keys(var.regions) # Terraform orders map keys lexically: the file's region order
  tags  = merge(var.tags, { "globaltable:deployment" = var.name })

  min_id = min([for r in values(var.regions) : r.id]...)
  hub    = coalesce(var.nats_hub_region, [for n in local.names : n if var.regions[n].id == local.min_id][0])

  # Where clients, globaltablectl and Prometheus reach each region.
  host = {
    for n in local.names : n => var.dns == null ? local.public_ip[n] : "${n}.${try(var.dns.domain, "")}"
  }

  # The deployment file (issue 5's format). yamlencode sorts keys and quotes strings; the
  # fixture tests/fixtures/deployment-three-regions.yaml is this for examples/three-regions.
  # Every daemon talks to the nats-server on its own host; the JetStream domain, the NATS
  # cluster and the gateway of a region are all named after the region.
  deployment = {
    nats = {
      topology = var.nats_topology
      urls     = ["nats://127.0.0.1:${var.ports.nats_client}"]
    }
    clock = {
      max_offset_ms = var.clock_max_offset_ms
    }
    replication = {
      outbox_max_age_s           = var.outbox_max_age_s
      outbox_max_bytes           = var.outbox_max_bytes
      tombstone_grace_s          = var.tombstone_grace_s
      tombstone_purge_interval_s = var.tombstone_purge_interval_s
    }
    regions = [
      for n in local.names : {
        name     = n
        id       = var.regions[n].id
        api      = "${local.host[n]}:${var.ports.api}"
        admin    = "${local.host[n]}:${var.ports.admin}"
        data_dir = "/var/lib/globaltable/${n}"
      }
    ]
  }
  deployment_yaml = yamlencode(local.deployment)

  # NATS: JSON is valid nats-server configuration syntax, and jsonencode quotes for us.
  nats_user = "globaltable"
  nats_cred = "${local.nats_user}:${random_password.nats.result}"

  nats_base = {
    for n in local.names : n => {
      server_name = "globaltable-${n}"
      listen      = "127.0.0.1:${var.ports.nats_client}"
      http        = "127.0.0.1:8222"
    }
  }

  nats_domains = {
    for n in local.names : n => merge(local.nats_base[n], {
      jetstream = { store_dir = "/var/lib/globaltable/nats", domain = n }
      # The hub accepts leafnodes, every other region solicits one to it. (Indexing a tuple,
      # not a conditional: the two objects have different attributes.)
      leafnodes = [
        {
          listen        = "0.0.0.0:${var.ports.leafnode}"
          advertise     = "${local.public_ip[n]}:${var.ports.leafnode}"
          authorization = { user = local.nats_user, password = random_password.nats.result }
        },
        {
          remotes = [{ urls = ["nats-leaf://${local.nats_cred}@${local.public_ip[local.hub]}:${var.ports.leafnode}"] }]
        },
      ][n == local.hub ? 0 : 1]
    })
  }

  nats_supercluster = {
    for n in local.names : n => merge(local.nats_base[n], {
      jetstream = { store_dir = "/var/lib/globaltable/nats" }
      # One server per region; JetStream needs the cluster to list a route to itself.
      cluster = {
        name   = n
        listen = "127.0.0.1:${var.ports.cluster}"
        routes = ["nats://127.0.0.1:${var.ports.cluster}"]
      }
      gateway = {
        name          = n
        listen        = "0.0.0.0:${var.ports.gateway}"
        advertise     = "${local.public_ip[n]}:${var.ports.gateway}"
        authorization = { user = local.nats_user, password = random_password.nats.result }
        gateways = [
          for m in local.names : { name = m, urls = ["nats://${local.nats_cred}@${local.public_ip[m]}:${var.ports.gateway}"] }
        ]
      }
    })
  }

  nats_config = {
    for n in local.names : n => (
      var.nats_topology == "domains" ? jsonencode(local.nats_domains[n]) : jsonencode(local.nats_supercluster[n])
    )
  }

  # Who may open a region's NATS peer port: with domains only the hub listens (for every other
  # region); in a supercluster every region listens to every other.
  peer_cidrs = {
    for n in local.names : n => merge(
      var.nats_topology == "domains" && n != local.hub ? {} : { for m in local.names : m => "${local.public_ip[m]}/32" if m != n },
      { for i, c in var.extra_peer_cidrs : "extra-${i}" => c },
    )
  }

  prometheus_scrape_config = yamlencode({
    scrape_configs = [{
      job_name        = var.prometheus_job_name
      metrics_path    = "/metrics"
      scrape_interval = "15s"
      static_configs = [
        for n in local.names : {
          targets = ["${local.host[n]}:${var.ports.admin}"]
          labels  = { region = n, region_id = tostring(var.regions[n].id), aws_region = var.regions[n].aws_region }
        }
      ]
    }]
  })
}

# Shared by the regions' NATS links (leafnode or gateway authorization). Letters and digits
# only: it is written into nats:// URLs.
resource "random_password" "nats" {
  length  = 40
  special = false
}
