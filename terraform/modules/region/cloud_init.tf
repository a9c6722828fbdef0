# The instance's cloud-init user data: configuration files, systemd units and the provisioning
# script. The units and the script are plain files (files/) so CI can lint them; the values they
# need arrive in two environment files rendered here.

locals {
  data_mount = "/var/lib/globaltable"

  # The data directory the deployment file gives this region; the provisioning script creates it
  # on the data volume.
  deployment_regions = try(yamldecode(var.deployment_yaml).regions, [])
  self_entries       = [for r in local.deployment_regions : r if try(r.name, "") == var.name]
  data_dir           = try(local.self_entries[0].data_dir, "")

  # KEY='value' lines; values never hold a single quote (the variables' validations reject them
  # where a user supplies them).
  provision_env = join("", [for k, v in {
    GT_REGION             = var.name
    GT_DATA_VOLUME_ID     = aws_ebs_volume.data.id
    GT_DATA_MOUNT         = local.data_mount
    GT_DATA_DIR           = local.data_dir
    GT_NATS_STORE_DIR     = "${local.data_mount}/nats"
    GT_ARTIFACT_URL       = var.software.artifact_url
    GT_ARTIFACT_SHA256    = var.software.artifact_sha256
    GT_NATS_SERVER_URL    = coalesce(var.software.nats_server_url, "-")
    GT_NATS_SERVER_SHA256 = coalesce(var.software.nats_server_sha256, "-")
    GT_RUNTIME_PACKAGES   = join(" ", var.software.runtime_packages)
  } : "${k}='${v}'\n"])

  daemon_env = join("", [for k, v in {
    GT_REGION       = var.name
    GT_API_LISTEN   = "0.0.0.0:${var.ports.api}"
    GT_ADMIN_LISTEN = "0.0.0.0:${var.ports.admin}"
  } : "${k}=${v}\n"])

  cloud_config = {
    write_files = [
      {
        path        = "/etc/globaltable/deployment.yaml"
        permissions = "0644"
        content     = var.deployment_yaml
      },
      {
        # Holds the NATS link credentials: root only until the script hands it to nats.
        path        = "/etc/globaltable/nats.conf"
        permissions = "0600"
        content     = var.nats_config
      },
      {
        path        = "/etc/globaltable/provision.env"
        permissions = "0600"
        content     = local.provision_env
      },
      {
        path        = "/etc/globaltable/globaltabled.env"
        permissions = "0644"
        content     = local.daemon_env
      },
      {
        path        = "/etc/systemd/system/globaltable-nats.service"
        permissions = "0644"
        content     = file("${path.module}/files/globaltable-nats.service")
      },
      {
        path        = "/etc/systemd/system/globaltabled.service"
        permissions = "0644"
        content     = file("${path.module}/files/globaltabled.service")
      },
      {
        path        = "/usr/local/sbin/globaltable-provision"
        permissions = "0755"
        content     = file("${path.module}/files/provision.sh")
      },
    ]
    runcmd = [["/usr/local/sbin/globaltable-provision"]]
  }

  user_data = "#cloud-config\n${yamlencode(local.cloud_config)}"
}
