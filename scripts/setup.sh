#!/usr/bin/env bash
# Installs what camgate needs on a Debian machine and builds it. Safe to run again: it skips
# what is already there. Uses sudo for apt-get when not run as root.
set -euo pipefail
cd "$(dirname "$0")/.."

# Debian packages the agent and its test suite use.
#   ffmpeg     recording (ffmpeg-static is optional and often cannot download its binary)
#   mosquitto  the real MQTT broker the uplink tests start with a mutual-TLS listener
#   systemd    systemd-analyze, which the tests run on systemd/camgate.service
#   python3, make, g++   build better-sqlite3 when no prebuilt binary can be fetched
#   python3-gi, gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-*   GStreamer's RTSP server,
#              the second RTSP implementation the recorder tests pull from
#   faketime   libfaketime, with which the soak jumps the agent's clock
#   python3-paho-mqtt, python3-cryptography   the center built from docs/asyncapi.yaml alone
#              (test/centers/py_center.py), run with /usr/bin/python3
PACKAGES=(ffmpeg mosquitto chromium python3 make g++ ca-certificates systemd
  python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-base gstreamer1.0-plugins-good
  gstreamer1.0-plugins-ugly faketime python3-paho-mqtt python3-cryptography)

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then
  echo "camgate needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

missing=()
for package in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "Installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm ci also builds (the prepare script); skip it when node_modules matches the lock file.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  npm run build
fi
echo "camgate is set up: try 'npx camgate --help'"
