#!/usr/bin/env bash
# The main job: set up, start the demo server under load, profile it by PID
# for 10 seconds with `stackfire record`, and write flame.svg.
#
#   bash scripts/demo.sh [OUT.svg]
#
# Environment: DEMO_SECONDS (10), DEMO_PORT (7878), STACKFIRE_BUILDDIR
# (build), DEMO_SKIP_SETUP=1 to skip scripts/setup.sh (the tests, which have
# built everything already).
set -euo pipefail
cd "$(dirname "$0")/.."
# Only what the demo runs: stackfire and the demo programs, not the tests.
if [ "${DEMO_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh src/cli/stackfire examples/demo/demo_server examples/demo/demo_load
fi
builddir=${STACKFIRE_BUILDDIR:-build}
out=${1:-flame.svg}
seconds=${DEMO_SECONDS:-10}
port=${DEMO_PORT:-7878}
bin="$builddir/src/cli/stackfire"
demo="$builddir/examples/demo"

"$demo/demo_server" --port "$port" &
server=$!
load=""
cleanup() {
  [ -n "$load" ] && kill "$load" 2>/dev/null || true
  kill "$server" 2>/dev/null || true
  wait 2>/dev/null || true
}
trap cleanup EXIT

"$demo/demo_load" --port "$port" --connections 2 --seconds "$((seconds + 3))" &
load=$!
sleep 1
echo "demo: profiling demo_server (pid $server) for ${seconds}s" >&2
"$bin" record -p "$server" -F 99 -d "$seconds" -o "$out" \
  --title "stackfire demo: demo_server under load"
echo "demo: wrote $(cd "$(dirname "$out")" && pwd)/$(basename "$out"): open it in a browser" >&2
