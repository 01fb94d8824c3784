#!/usr/bin/env bash
# Installs the missing Debian 12 packages, then configures and builds
# stackfire in ./build. Safe to run again: it only does what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build g++ pkg-config
  libunwind-dev libdw-dev libelf-dev libabsl-dev libcli11-dev
  libgtest-dev libgmock-dev zlib1g-dev libre2-dev liblzma-dev libbz2-dev
  libprotobuf-dev protobuf-compiler
  libxml2-utils libxml2-dev linux-perf python3
  man-db groff-base
)
# The test command (scripts/test.sh) also wants what its tests drive: a
# browser for the SVG tests, fonts that pin label widths, and glibc's debug
# info for the separate-debug-file symbolizer test, Go's pprof to read the
# pprof exports back, and clang with its runtime libraries for the libFuzzer
# targets (scripts/fuzz.sh).
if [ "${STACKFIRE_SETUP_TESTS:-0}" = 1 ]; then
  packages+=(chromium fonts-dejavu-core libc6-dbg golang-go python3-jsonschema
    clang-14 libclang-rt-14-dev)
fi
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

sudo_cmd=()
[ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
echo "setup: apt-get update" >&2
if ! "${sudo_cmd[@]}" apt-get update -qq; then
  [ ${#missing[@]} -eq 0 ] || { echo "setup: apt-get update failed" >&2; exit 1; }
  echo "setup: apt-get update failed; every package is already installed, going on" >&2
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# speedscope's npm package ships its file-format schema, which the export
# test validates against (tests/export/package-lock.json pins it).
if [ "${STACKFIRE_SETUP_TESTS:-0}" = 1 ] && [ ! -d tests/export/node_modules/speedscope ] &&
  command -v npm >/dev/null; then
  echo "setup: npm ci in tests/export" >&2
  (cd tests/export && npm ci --ignore-scripts --no-audit --no-fund) ||
    echo "setup: npm ci failed; the speedscope schema check will be skipped" >&2
fi

builddir=${STACKFIRE_BUILDDIR:-build}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" --buildtype=release
fi
ninja -C "$builddir"
