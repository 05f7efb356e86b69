#!/usr/bin/env bash
# Checks an image from scripts/build-image.sh: mounts its root partition read-only (a loop
# device at the partition's offset) and runs camgate inside it under qemu-aarch64 (binfmt_misc):
# node --version (24.x), camgate --version and camgate config check on the example config.
# Needs root.
#   sudo scripts/image/check-image.sh camgate-arm64.img
set -euo pipefail
IMAGE=$(realpath "$1")
[ "$(id -u)" -eq 0 ] || { echo "check-image: run as root" >&2; exit 1; }
[ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { echo "check-image: qemu-aarch64 is not registered with binfmt_misc" >&2; exit 1; }
MNT=$(mktemp -d)
read -r start sectors < <(sfdisk --dump "$IMAGE" | awk -F'[=,]' '/type=83/ {print $2, $4; exit}')
mount -o loop,ro,offset=$((start * 512)),sizelimit=$((sectors * 512)) "$IMAGE" "$MNT"
trap 'umount "$MNT"; rmdir "$MNT"' EXIT
echo "root partition: $(df -h --output=size,used "$MNT" | tail -1)"
echo "kernel: $(ls "$MNT"/boot/vmlinuz-* 2>/dev/null | xargs -n1 basename)"
echo "enabled: $(ls "$MNT"/etc/systemd/system/multi-user.target.wants/ | tr '\n' ' ')"
grep -Eq '^proc[[:space:]]+/proc[[:space:]]+proc[[:space:]]+[^[:space:]]*hidepid=invisible' "$MNT/etc/fstab" \
  || { echo "check-image: /proc is not mounted with hidepid=invisible" >&2; exit 1; }
echo "/proc: hidepid=invisible (other users' processes are hidden)"
echo "\$ node --version (arm64, under qemu)"
node_version=$(chroot "$MNT" /usr/local/bin/node --version)
echo "$node_version"
case "$node_version" in v24.*) ;; *) echo "check-image: the image's Node.js is $node_version, not 24.x" >&2; exit 1 ;; esac
echo "\$ camgate --version (arm64, under qemu)"
chroot "$MNT" /usr/local/bin/camgate --version
# config check reads the uplink's CA, certificate and key, which a fresh image does not have:
# point them at a file it does, so that what is checked here is camgate and the example itself.
echo "\$ camgate config check --config /opt/camgate/config.example.yaml"
chroot "$MNT" /usr/bin/env CAMGATE_UPLINK_CA=/etc/hostname CAMGATE_UPLINK_CERT=/etc/hostname \
  CAMGATE_UPLINK_KEY=/etc/hostname /usr/local/bin/camgate config check --config /opt/camgate/config.example.yaml
echo "\$ node: better-sqlite3 (arm64 build) opens a database"
chroot "$MNT" /usr/local/bin/node -e "const Db = require('/opt/camgate/node_modules/better-sqlite3'); console.log(new Db(':memory:').prepare('select sqlite_version() as version').get())"
echo "\$ file /opt/camgate/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
file -b "$MNT/opt/camgate/node_modules/better-sqlite3/build/Release/better_sqlite3.node" 2>/dev/null || od -An -tx1 -j18 -N2 "$MNT/opt/camgate/node_modules/better-sqlite3/build/Release/better_sqlite3.node"
