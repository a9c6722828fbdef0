#!/usr/bin/env bash
# Provisions one globaltable region on a fresh Debian 12 instance; cloud-init runs it once per
# instance (runcmd). Safe to run again by hand: every step checks before it acts, and the data
# volume is formatted only when it holds no file system at all.
#
# Reads /etc/globaltable/provision.env (written by Terraform):
#   GT_REGION GT_DATA_VOLUME_ID GT_DATA_MOUNT GT_DATA_DIR GT_NATS_STORE_DIR
#   GT_ARTIFACT_URL GT_ARTIFACT_SHA256 GT_NATS_SERVER_URL GT_NATS_SERVER_SHA256 ("-": Debian's)
#   GT_RUNTIME_PACKAGES
set -euo pipefail

# GT_ROOT prefixes every system path; tests set it (tests/terraform/provision_test.sh). On an
# instance it is empty.
ROOT="${GT_ROOT:-}"
ENV_FILE="$ROOT/etc/globaltable/provision.env"
ATTACH_TIMEOUT="${GT_ATTACH_TIMEOUT:-900}"
# shellcheck source=/dev/null
source "$ENV_FILE"

log() { echo "globaltable-provision: $*" >&2; }
die() {
  log "error: $*"
  exit 1
}

for v in GT_REGION GT_DATA_VOLUME_ID GT_DATA_MOUNT GT_DATA_DIR GT_NATS_STORE_DIR \
  GT_ARTIFACT_URL GT_ARTIFACT_SHA256 GT_NATS_SERVER_URL GT_NATS_SERVER_SHA256 GT_RUNTIME_PACKAGES; do
  [[ -n "${!v:-}" ]] || die "$ENV_FILE does not set $v"
done
case "$GT_DATA_DIR" in
  "$GT_DATA_MOUNT"/*) ;;
  *) die "data dir $GT_DATA_DIR is not on the data volume ($GT_DATA_MOUNT)" ;;
esac

# Downloads $1 to $2 and checks its SHA-256 against $3.
fetch_verified() {
  local url="$1" out="$2" want="$3" got
  curl --fail --silent --show-error --location --retry 10 --retry-delay 3 --retry-all-errors \
    --output "$out" "$url"
  got="$(sha256sum "$out" | cut -d' ' -f1)"
  [[ "$got" == "$want" ]] || die "$url: sha256 $got, expected $want"
}

install_packages() {
  local packages
  read -r -a packages <<<"$GT_RUNTIME_PACKAGES"
  packages+=(chrony)
  if [[ "$GT_NATS_SERVER_URL" == "-" ]]; then packages+=(nats-server); fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${packages[@]}"
}

# Replication orders writes by a hybrid logical clock: keep the physical clock on the Amazon
# Time Sync Service (link-local, in every region) rather than public pools.
configure_time() {
  install -d "$ROOT/etc/chrony/sources.d"
  echo "server 169.254.169.123 prefer iburst minpoll 4 maxpoll 4" >"$ROOT/etc/chrony/sources.d/aws.sources"
  systemctl restart chrony
}

install_software() {
  local work
  work="$(mktemp -d)"
  fetch_verified "$GT_ARTIFACT_URL" "$work/globaltable.tar.gz" "$GT_ARTIFACT_SHA256"
  tar -xzf "$work/globaltable.tar.gz" -C "$work"
  for b in globaltabled globaltablectl; do
    [[ -f "$work/bin/$b" ]] || die "artifact has no bin/$b"
    install -m 0755 "$work/bin/$b" "$ROOT/usr/local/bin/$b"
  done

  if [[ "$GT_NATS_SERVER_URL" == "-" ]]; then
    ln -sf /usr/sbin/nats-server "$ROOT/usr/local/bin/nats-server"
  else
    fetch_verified "$GT_NATS_SERVER_URL" "$work/nats-server.tar.gz" "$GT_NATS_SERVER_SHA256"
    tar -xzf "$work/nats-server.tar.gz" -C "$work" --wildcards '*nats-server'
    local bin
    bin="$(find "$work" -type f -name nats-server | head -n1)"
    [[ -n "$bin" ]] || die "nats-server release archive has no nats-server binary"
    install -m 0755 "$bin" "$ROOT/usr/local/bin/nats-server"
  fi
  rm -rf "$work"

  # Debian's package starts its own nats-server on 4222 with /etc/nats-server.conf.
  if systemctl list-unit-files nats-server.service >/dev/null 2>&1; then
    systemctl disable --now nats-server.service || true
    systemctl mask nats-server.service
  fi
}

create_users() {
  getent group nats >/dev/null || groupadd --system nats
  id nats >/dev/null 2>&1 ||
    useradd --system --gid nats --home-dir "$GT_NATS_STORE_DIR" --shell /usr/sbin/nologin nats
  getent group globaltable >/dev/null || groupadd --system globaltable
  id globaltable >/dev/null 2>&1 ||
    useradd --system --gid globaltable --home-dir "$GT_DATA_DIR" --shell /usr/sbin/nologin globaltable
}

# Prints the block device of the data volume once it is attached. Terraform attaches it after
# the instance exists, so it may appear a minute after boot. Nitro instances show EBS volumes
# as NVMe devices named by volume id; Xen instances use the requested name.
find_data_device() {
  local by_id="$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${GT_DATA_VOLUME_ID//-/}"
  local deadline=$((SECONDS + ATTACH_TIMEOUT))
  while true; do
    for dev in "$by_id" "$ROOT/dev/xvdf" "$ROOT/dev/sdf"; do
      # Under GT_ROOT (tests) a regular file stands for the device.
      if [[ -b "$dev" ]] || [[ -n "$ROOT" && -f "$dev" ]]; then
        readlink -f "$dev"
        return 0
      fi
    done
    ((SECONDS < deadline)) || break
    sleep 5
  done
  die "data volume $GT_DATA_VOLUME_ID not attached after $ATTACH_TIMEOUT seconds"
}

mount_data_volume() {
  local dev uuid
  local probe rc=0
  dev="$(find_data_device)"
  # Format only a volume on which a low-level probe finds no signature at all (blkid exit 2).
  # Anything else (a file system: keep it; a partition table or a probe error: stop) must never
  # reach mkfs: this volume holds the region's data across instance replacements.
  probe="$(blkid -p -o export "$dev")" || rc=$?
  if ((rc == 2)); then
    log "formatting new data volume $GT_DATA_VOLUME_ID ($dev)"
    mkfs.ext4 -q -L gtdata "$dev"
  elif ((rc != 0)); then
    die "blkid -p $dev failed (exit $rc); not touching the data volume"
  elif ! grep -q '^TYPE=ext4$' <<<"$probe"; then
    die "data volume $dev holds something other than ext4 ($(tr '\n' ' ' <<<"$probe")); not touching it"
  else
    log "data volume $GT_DATA_VOLUME_ID ($dev) already has a file system: keeping its data"
  fi
  uuid="$(blkid -p -o value -s UUID "$dev")"
  [[ -n "$uuid" ]] || die "no file system UUID on $dev"
  install -d -m 0755 "$ROOT$GT_DATA_MOUNT"
  if ! grep -q "^UUID=$uuid " "$ROOT/etc/fstab"; then
    sed -i "\# $GT_DATA_MOUNT #d" "$ROOT/etc/fstab"
    echo "UUID=$uuid $GT_DATA_MOUNT ext4 defaults,noatime,nofail,x-systemd.device-timeout=5min 0 2" >>"$ROOT/etc/fstab"
    systemctl daemon-reload
  fi
  mountpoint -q "$ROOT$GT_DATA_MOUNT" || mount "$ROOT$GT_DATA_MOUNT"
  # The volume may have been grown since it was formatted.
  resize2fs "$dev" >/dev/null 2>&1 || log "resize2fs $dev failed; continuing at the current size"

  install -d -o globaltable -g globaltable -m 0750 "$ROOT$GT_DATA_DIR"
  install -d -o nats -g nats -m 0750 "$ROOT$GT_NATS_STORE_DIR"
  chown root:nats "$ROOT/etc/globaltable/nats.conf"
  chmod 0640 "$ROOT/etc/globaltable/nats.conf"
}

start_services() {
  systemctl daemon-reload
  systemctl enable --now globaltable-nats.service
  systemctl enable --now globaltabled.service
  log "region $GT_REGION provisioned"
}

install_packages
configure_time
install_software
create_users
mount_data_volume
start_services
