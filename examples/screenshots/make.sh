#!/usr/bin/env bash
# Makes the README's screenshots from real recordings of the demo server:
#   flame.png  `stackfire record -p` of demo_server under demo_load
#   diff.png   `stackfire diff` of two recordings, before and after
#              --cheap-checksum (the checksum path shrinks: blue)
# Needs a build (./build, or STACKFIRE_BUILDDIR), perf_event_open, Debian's
# chromium and `npm ci` in tests/browser (playwright-core).
#
#   bash examples/screenshots/make.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
builddir=${STACKFIRE_BUILDDIR:-build}
bin="$builddir/src/cli/stackfire"
demo="$builddir/examples/demo"
out=examples/screenshots
seconds=${DEMO_SECONDS:-10}
port=${DEMO_PORT:-7879}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

# Records demo_server (with the given flags) under load into $1.
record() {
  local output=$1; shift
  "$demo/demo_server" --port "$port" "$@" &
  local server=$!
  pids+=("$server")
  "$demo/demo_load" --port "$port" --connections 2 --seconds "$((seconds + 2))" &
  pids+=("$!")
  sleep 1
  "$bin" record -q -p "$server" -F "${DEMO_FREQ:-499}" -d "$seconds" -o "$output" \
    --title "stackfire demo: demo_server under load"
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
  pids=()
}

record "$tmp/flame.svg"
record "$tmp/before.folded"
record "$tmp/after.folded" --cheap-checksum
"$bin" diff --raw -n "$tmp/before.folded" "$tmp/after.folded" -o "$tmp/diff.svg" \
  --title "stackfire diff: demo_server before and after --cheap-checksum"
node "$out/shoot.js" "$tmp/flame.svg" "$out/flame.png" "$tmp/diff.svg" "$out/diff.png"
ls -l "$out"/*.png
