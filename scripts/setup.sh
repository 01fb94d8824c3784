#!/usr/bin/env bash
# Installs the missing Debian 12 packages, then configures and builds
# stackfire in ./build. Safe to run again: it only does what is missing.
#
#   bash scripts/setup.sh [TARGET...]
#
# With TARGETs (ninja output paths such as src/cli/stackfire) only those and
# the libraries they link are built: scripts/demo.sh builds stackfire and the
# demo programs, not the tests. Without, everything is. STACKFIRE_SETUP_BUILD=0 stops after
# configuring (scripts/test.sh times the build on its own).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  meson ninja-build g++ pkg-config
  libunwind-dev libdw-dev libelf-dev libabsl-dev libcli11-dev
  libgtest-dev libgmock-dev zlib1g-dev libre2-dev liblzma-dev libbz2-dev
  libdebuginfod-dev
  libprotobuf-dev protobuf-compiler libiberty-dev
  libxml2-utils libxml2-dev linux-perf python3
  man-db groff-base
)
# The test command (scripts/test.sh) also wants what its tests drive: a
# browser and node for the SVG tests (tests/browser) and the node names test,
# fonts that pin label widths, glibc's debug info for the separate-debug-file
# symbolizer test, Go (its pprof reads the pprof exports back, and Graphviz
# draws its web view's default page; a Go program writes the CPU profiles
# that `stackfire diff` reads in tests/diff), clang with its runtime libraries
# for the libFuzzer targets (scripts/fuzz.sh), Debian's rustc and binutils'
# addr2line for the Rust naming tests (testdata/workloads/build_rust.sh),
# strace to count the files a recording opens (tests/record/check_elf_opens.py),
# Debian's debuginfod server and its client library (libdebuginfod1, which
# stackfire loads at run time) for the debuginfod tests, xz-utils for the
# MiniDebugInfo test binary, and the field suite's programs (tests/field):
# cargo with tokio's crates for the Rust programs, redis (server and
# benchmark), xz, node and RocksDB's db_bench (rocksdb-tools).
if [ "${STACKFIRE_SETUP_TESTS:-0}" = 1 ]; then
  packages+=(chromium fonts-dejavu-core fonts-liberation nodejs libc6-dbg golang-go
    python3-jsonschema graphviz clang clang-14 libclang-rt-14-dev rustc cargo binutils strace
    debuginfod libdebuginfod1 xz-utils librust-tokio-dev redis-server redis-tools make
    rocksdb-tools)
  # Debian's nodejs comes without npm; other builds of nodejs bundle it.
  command -v npm >/dev/null || packages+=(npm)
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

# The tests' npm packages, pinned by each package-lock.json: speedscope's
# file-format schema for the export test (tests/export), and playwright-core,
# which drives Debian's chromium for the browser test (tests/browser; it never
# downloads a browser). `npm ls` (offline) fails when what is installed is not
# what package.json pins.
if [ "${STACKFIRE_SETUP_TESTS:-0}" = 1 ] && command -v npm >/dev/null; then
  for dir in tests/export tests/browser; do
    [ -d "$dir/node_modules" ] && (cd "$dir" && npm ls --depth=0 >/dev/null 2>&1) && continue
    echo "setup: npm ci in $dir" >&2
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --ignore-scripts --no-audit --no-fund) ||
      echo "setup: npm ci in $dir failed; the tests that need it will be skipped" >&2
  done
fi

builddir=${STACKFIRE_BUILDDIR:-build}
if [ ! -f "$builddir/build.ninja" ]; then
  meson setup "$builddir" --buildtype=release
fi
if [ "${STACKFIRE_SETUP_BUILD:-1}" != 0 ]; then
  ninja -C "$builddir" "$@"
fi
