#!/usr/bin/env bash
# The differential demo: profile the demo server before and after a
# configuration change that makes one request path cheaper (--cheap-checksum
# swaps a bit-by-bit CRC-32 for FNV-1a inside demo::numeric::Checksum), and
# draw the difference as diff.svg: widths follow the "after" profile, frames
# that lost samples (beyond sampling noise) are blue and frames that gained
# some are red, so the Checksum frame, narrower now, is solid blue.
#
#   bash scripts/demo_diff.sh [OUT.svg]
#
# Both runs serve the same fixed number of requests (demo_load --requests),
# each recorded from start to end, so the paths that did not change did the
# same work in both and stay white, however busy the machine is. The
# two folded profiles are kept next to OUT.svg (before.folded, after.folded)
# for `stackfire diff` or `stackfire report`.
#
# Environment: DEMO_REQUESTS (per connection, two connections; default 1000,
# about 10 s per run on an idle two-core machine), DEMO_PORT (7879),
# DEMO_FREQ (-F, default 499), STACKFIRE_BUILDDIR (build), DEMO_SKIP_SETUP=1
# to skip scripts/setup.sh (the tests, which have built everything already).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${DEMO_SKIP_SETUP:-0}" != 1 ]; then
  bash scripts/setup.sh src/cli/stackfire examples/demo/demo_server examples/demo/demo_load
fi
builddir=${STACKFIRE_BUILDDIR:-build}
out=${1:-diff.svg}
requests=${DEMO_REQUESTS:-1000}
port=${DEMO_PORT:-7879}
freq=${DEMO_FREQ:-499}
bin="$builddir/src/cli/stackfire"
demo="$builddir/examples/demo"
outdir=$(cd "$(dirname "$out")" && pwd)
before="$outdir/before.folded"
after="$outdir/after.folded"

server=""
recorder=""
stop() {
  [ -n "$recorder" ] && kill -INT "$recorder" 2>/dev/null || true
  [ -n "$recorder" ] && wait "$recorder" 2>/dev/null || true
  [ -n "$server" ] && kill "$server" 2>/dev/null || true
  [ -n "$server" ] && wait "$server" 2>/dev/null || true
  server=""
  recorder=""
}
trap stop EXIT

# profile OUT.folded [SERVER ARGS...]: one server, recorded while it serves
# the requests; Ctrl-C (SIGINT) ends the recording and writes the profile.
profile() {
  local folded=$1
  shift
  "$demo/demo_server" --port "$port" "$@" &
  server=$!
  local log="$folded.log"
  "$bin" record -p "$server" -F "$freq" -o "$folded" 2>"$log" &
  recorder=$!
  # The first request goes out once stackfire says the events are on.
  for _ in $(seq 300); do
    grep -q "stackfire: sampling at" "$log" && break
    kill -0 "$recorder" 2>/dev/null || break
    sleep 0.1
  done
  "$demo/demo_load" --port "$port" --connections 2 --requests "$requests" --seconds 600
  kill -INT "$recorder"
  if ! wait "$recorder"; then
    recorder=""
    cat "$log" >&2
    echo "demo: stackfire record failed" >&2
    exit 1
  fi
  recorder=""
  stop
}

echo "demo: profiling demo_server serving 2 x $requests requests (checksum: bit-by-bit CRC-32)" >&2
profile "$before"
echo "demo: profiling demo_server --cheap-checksum serving the same requests (checksum: FNV-1a)" >&2
profile "$after" --cheap-checksum

# Both runs served the same requests: compare samples per request, so only
# what changed is coloured (beyond sampling noise).
units=$((2 * requests))
"$bin" diff --before-units "$units" --after-units "$units" "$before" "$after" -o "$out" \
  --title "stackfire demo: demo_server before and after --cheap-checksum" \
  --subtitle "blue: fewer samples per request after the change; red: more; white: within noise; width: after"

# Where the change shows: the checksum path's samples in each profile.
count() {  # count FILE PATTERN: samples of the stacks containing PATTERN
  awk -v pat="$2" 'index($0, pat) { n += $NF } END { print n + 0 }' "$1"
}
total() { awk '{ n += $NF } END { print n + 0 }' "$1"; }
b=$(count "$before" "ChecksumRequest")
a=$(count "$after" "ChecksumRequest")
echo "demo: wrote $outdir/$(basename "$out"): open it in a browser" >&2
echo "demo: the checksum path (demo::numeric::ChecksumRequest) took $b of $(total "$before") samples" \
  "before and $a of $(total "$after") after: demo::numeric::Checksum above it is the solid blue" \
  "frame; the search and sort paths, unchanged, stay white" >&2
