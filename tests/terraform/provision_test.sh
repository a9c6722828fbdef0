#!/usr/bin/env bash
# Runs the instances' provisioning script (terraform/modules/region/files/provision.sh) under a
# temporary GT_ROOT, with a sparse file as the EBS data volume and real blkid, mkfs.ext4 and
# resize2fs on it. Only what would change this machine is faked on PATH (apt-get, systemctl,
# mount, user and ownership commands); each fake logs its arguments.
#
# Cases: a new volume is formatted and mounted through one fstab entry and the software is
# installed and started; a second run formats nothing and adds no entry; a volume that already
# has a file system (a replacement instance) is kept and a stale fstab entry replaced; a volume
# with another file system, a wrong artifact checksum, a data dir off the volume, or a volume
# that never attaches stop the script with a clear error and no formatting; a nats-server
# release URL replaces Debian's package.
#
# Usage: provision_test.sh SOURCE_DIR
set -euo pipefail

SRC="$(cd "${1:?usage: provision_test.sh SOURCE_DIR}" && pwd)"
SCRIPT="$SRC/terraform/modules/region/files/provision.sh"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
VOL_ID="vol-0123456789abcdef0"
PASSED=0

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
pass() {
  echo "ok: $*"
  PASSED=$((PASSED + 1))
}

# Fakes for the commands that would change this machine.
FAKES="$WORK/fakes"
mkdir -p "$FAKES"
# shellcheck disable=SC2016 # the fakes expand $* and $GT_FAKE_LOG when they run
for cmd in apt-get systemctl mount useradd groupadd chown; do
  printf '#!/bin/sh\necho "%s $*" >>"$GT_FAKE_LOG"\nexit 0\n' "$cmd" >"$FAKES/$cmd"
done
# shellcheck disable=SC2016
for cmd in mountpoint getent id; do # "not mounted", "no such user or group"
  printf '#!/bin/sh\necho "%s $*" >>"$GT_FAKE_LOG"\nexit 2\n' "$cmd" >"$FAKES/$cmd"
done
cat >"$FAKES/install" <<'EOF'
#!/bin/sh
# install without -o/-g: the users exist only on a real instance.
echo "install $*" >>"$GT_FAKE_LOG"
args=""
while [ $# -gt 0 ]; do
  case "$1" in
    -o | -g) shift 2 ;;
    *) args="$args '$1'"; shift ;;
  esac
done
eval exec /usr/bin/install "$args"
EOF
chmod +x "$FAKES"/*

# Release artifacts served from file:// URLs.
ART="$WORK/artifacts"
mkdir -p "$ART/pkg/bin" "$ART/nats/nats-server-v2.10.0-linux-amd64"
printf '#!/bin/sh\necho globaltabled\n' >"$ART/pkg/bin/globaltabled"
printf '#!/bin/sh\necho globaltablectl\n' >"$ART/pkg/bin/globaltablectl"
printf '#!/bin/sh\necho nats-server\n' >"$ART/nats/nats-server-v2.10.0-linux-amd64/nats-server"
chmod +x "$ART"/pkg/bin/* "$ART"/nats/*/nats-server
tar -czf "$ART/globaltable.tar.gz" -C "$ART/pkg" bin
tar -czf "$ART/nats.tar.gz" -C "$ART/nats" nats-server-v2.10.0-linux-amd64
ART_SHA="$(sha256sum "$ART/globaltable.tar.gz" | cut -d' ' -f1)"
NATS_SHA="$(sha256sum "$ART/nats.tar.gz" | cut -d' ' -f1)"

# new_root NAME: a fresh GT_ROOT with the files cloud-init writes, and a 32 MiB unformatted
# volume attached as an NVMe device named by volume id. Sets ROOT, DEV, LOG.
new_root() {
  ROOT="$WORK/$1"
  LOG="$ROOT/fake.log"
  mkdir -p "$ROOT/etc/globaltable" "$ROOT/dev/disk/by-id" "$ROOT/usr/local/bin"
  : >"$ROOT/etc/fstab"
  : >"$LOG"
  echo '{}' >"$ROOT/etc/globaltable/nats.conf"
  DEV="$ROOT/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${VOL_ID//-/}"
  truncate -s 32M "$DEV"
  write_env
}

# write_env [KEY=VALUE...]: provision.env as Terraform renders it, with overrides.
write_env() {
  local -A env=(
    [GT_REGION]=eu-west-1 [GT_DATA_VOLUME_ID]="$VOL_ID" [GT_DATA_MOUNT]=/var/lib/globaltable
    [GT_DATA_DIR]=/var/lib/globaltable/eu-west-1 [GT_NATS_STORE_DIR]=/var/lib/globaltable/nats
    [GT_ARTIFACT_URL]="file://$ART/globaltable.tar.gz" [GT_ARTIFACT_SHA256]="$ART_SHA"
    [GT_NATS_SERVER_URL]=- [GT_NATS_SERVER_SHA256]=- [GT_RUNTIME_PACKAGES]="librocksdb7.8 libnats3.4"
  )
  local kv
  for kv in "$@"; do env[${kv%%=*}]="${kv#*=}"; done
  : >"$ROOT/etc/globaltable/provision.env"
  for kv in "${!env[@]}"; do echo "$kv='${env[$kv]}'" >>"$ROOT/etc/globaltable/provision.env"; done
}

# run: the script under $ROOT; its output in $ROOT/out.log; returns its exit status.
run() {
  GT_ROOT="$ROOT" GT_FAKE_LOG="$LOG" GT_ATTACH_TIMEOUT="${ATTACH_TIMEOUT:-0}" PATH="$FAKES:$PATH" \
    bash "$SCRIPT" >"$ROOT/out.log" 2>&1
}

fs_uuid() { blkid -p -o value -s UUID "$DEV"; }
fstab_entries() { grep -c " /var/lib/globaltable " "$ROOT/etc/fstab" || true; }

# 1. A new volume.
new_root fresh
run || fail "fresh volume: exit $?: $(cat "$ROOT/out.log")"
[[ "$(blkid -p -o value -s TYPE "$DEV")" == ext4 ]] || fail "fresh volume: not formatted ext4"
UUID1="$(fs_uuid)"
grep -qx "UUID=$UUID1 /var/lib/globaltable ext4 defaults,noatime,nofail,x-systemd.device-timeout=5min 0 2" \
  "$ROOT/etc/fstab" || fail "fresh volume: fstab: $(cat "$ROOT/etc/fstab")"
[[ "$(fstab_entries)" == 1 ]] || fail "fresh volume: $(fstab_entries) fstab entries"
grep -q "^mount $ROOT/var/lib/globaltable$" "$LOG" || fail "fresh volume: not mounted"
for b in globaltabled globaltablectl; do
  [[ -x "$ROOT/usr/local/bin/$b" ]] || fail "fresh volume: $b not installed"
done
[[ "$(readlink "$ROOT/usr/local/bin/nats-server")" == /usr/sbin/nats-server ]] ||
  fail "fresh volume: nats-server is not Debian's"
grep -q "^apt-get install .*librocksdb7.8 libnats3.4 chrony nats-server$" "$LOG" ||
  fail "fresh volume: packages: $(grep apt-get "$LOG")"
grep -q "169.254.169.123" "$ROOT/etc/chrony/sources.d/aws.sources" || fail "fresh volume: chrony source"
[[ -d "$ROOT/var/lib/globaltable/eu-west-1" && -d "$ROOT/var/lib/globaltable/nats" ]] ||
  fail "fresh volume: data dirs missing"
grep -q "^systemctl mask nats-server.service$" "$LOG" || fail "fresh volume: Debian's nats-server not masked"
for unit in globaltable-nats globaltabled; do
  grep -q "^systemctl enable --now $unit.service$" "$LOG" || fail "fresh volume: $unit not started"
done
pass "a new volume is formatted, mounted through one fstab entry, software installed and started"

# 2. Run again on the same instance.
: >"$LOG"
echo "canary" >"$WORK/canary"
debugfs -w -R "write $WORK/canary canary" "$DEV" >/dev/null 2>&1
debugfs -R "cat canary" "$DEV" 2>/dev/null | grep -q canary || fail "could not plant a file on the volume"
run || fail "second run: exit $?: $(cat "$ROOT/out.log")"
[[ "$(fs_uuid)" == "$UUID1" ]] || fail "second run: the volume was reformatted"
debugfs -R "cat canary" "$DEV" 2>/dev/null | grep -q canary || fail "second run: data lost"
[[ "$(fstab_entries)" == 1 ]] || fail "second run: $(fstab_entries) fstab entries"
grep -q "keeping its data" "$ROOT/out.log" || fail "second run: no 'keeping its data' message"
pass "a second run keeps the file system and its data, and adds no fstab entry"

# 3. A replacement instance: the volume has data, the new root's fstab has a stale entry.
OLD_DEV="$DEV"
new_root replacement
cp "$OLD_DEV" "$DEV"
echo "UUID=0000-stale /var/lib/globaltable ext4 defaults 0 2" >>"$ROOT/etc/fstab"
run || fail "replacement: exit $?: $(cat "$ROOT/out.log")"
[[ "$(fs_uuid)" == "$UUID1" ]] || fail "replacement: the volume was reformatted"
debugfs -R "cat canary" "$DEV" 2>/dev/null | grep -q canary || fail "replacement: data lost"
if [[ "$(fstab_entries)" != 1 ]] || ! grep -q "^UUID=$UUID1 " "$ROOT/etc/fstab"; then
  fail "replacement: fstab: $(cat "$ROOT/etc/fstab")"
fi
pass "a replacement instance keeps the volume's data and replaces the stale fstab entry"

# 4. A volume holding another file system is never formatted.
new_root foreign
mkfs.ext2 -q "$DEV"
UUID_FOREIGN="$(fs_uuid)"
if run; then fail "foreign file system: exit 0"; fi
grep -q "holds something other than ext4" "$ROOT/out.log" || fail "foreign: $(cat "$ROOT/out.log")"
[[ "$(fs_uuid)" == "$UUID_FOREIGN" ]] || fail "foreign: the volume was reformatted"
pass "a volume with another file system stops the script untouched"

# 5. A wrong artifact checksum installs nothing.
new_root checksum
write_env GT_ARTIFACT_SHA256="$(printf '0%.0s' {1..64})"
if run; then fail "wrong checksum: exit 0"; fi
grep -q "sha256 $ART_SHA, expected 0000" "$ROOT/out.log" || fail "wrong checksum: $(cat "$ROOT/out.log")"
[[ ! -e "$ROOT/usr/local/bin/globaltabled" ]] || fail "wrong checksum: globaltabled installed"
[[ "$(blkid -p -o value -s TYPE "$DEV" || true)" == "" ]] || fail "wrong checksum: volume formatted"
pass "a wrong artifact checksum stops the script before installing anything"

# 6. A data dir off the data volume.
new_root offvolume
write_env GT_DATA_DIR=/srv/globaltable
if run; then fail "data dir off the volume: exit 0"; fi
grep -q "is not on the data volume" "$ROOT/out.log" || fail "off volume: $(cat "$ROOT/out.log")"
pass "a data dir off the data volume is refused"

# 7. A volume that never attaches.
new_root detached
rm "$DEV"
if ATTACH_TIMEOUT=0 run; then fail "never attached: exit 0"; fi
grep -q "data volume $VOL_ID not attached after 0 seconds" "$ROOT/out.log" ||
  fail "never attached: $(cat "$ROOT/out.log")"
pass "a volume that never attaches fails with a clear error"

# 8. nats-server from a release URL instead of Debian's package.
new_root natsurl
write_env GT_NATS_SERVER_URL="file://$ART/nats.tar.gz" GT_NATS_SERVER_SHA256="$NATS_SHA"
run || fail "nats url: exit $?: $(cat "$ROOT/out.log")"
[[ -f "$ROOT/usr/local/bin/nats-server" && ! -L "$ROOT/usr/local/bin/nats-server" ]] ||
  fail "nats url: nats-server not installed from the release"
"$ROOT/usr/local/bin/nats-server" | grep -q nats-server || fail "nats url: wrong binary"
grep "^apt-get install" "$LOG" | grep -q "nats-server" && fail "nats url: Debian's nats-server installed too"
pass "a nats-server release URL replaces Debian's package"

echo "$PASSED passed, 0 failed"
