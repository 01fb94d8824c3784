#!/bin/bash
# Issue 14's measurements (bench/RESULTS-time.md):
#  1. memory of the per-sample timeline: `stackfire record -F 999` of 8 busy
#     threads for SECONDS (default 10), peak RSS and samples, beside the
#     same recording's summary;
#  2. render and browser load of a synthetic 30 s x 999 Hz x 8-thread
#     recording (bench/gen_perf_script.py, 239,760 samples) as perf script
#     text: `stackfire render x.perf.txt` (fold + heatmap) against
#     flamegraph.pl on the folded stacks, and the SVGs' load in Chromium
#     (bench/time_load.js).
#   FLAMEGRAPH_DIR=/path/to/FlameGraph bash bench/time_bench.sh [SECONDS]
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${STACKFIRE_BIN:-$root/build/src/cli/stackfire}
fg=${FLAMEGRAPH_DIR:?set FLAMEGRAPH_DIR to a FlameGraph checkout}
secs=${1:-10}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
g++ -O2 -g -pthread "$root/bench/busy_threads.cc" -o "$work/busy_threads"
echo "## record -F 999 of 8 busy threads for $secs s"
/usr/bin/time -f "peak RSS %M KB, %e s" "$bin" record -q -F 999 -o "$work/r.svg" -o "$work/r.folded" \
  -- "$work/busy_threads" 8 "$secs" 2>&1 | grep -E "samples|peak"
echo "## 30 s x 999 Hz x 8 threads as perf script text"
python3 "$root/bench/gen_perf_script.py" 30 999 8 > "$work/x.perf.txt"
ls -l "$work/x.perf.txt" | awk '{print "input", $5, "bytes"}'
/usr/bin/time -f "stackfire render x.perf.txt (fold + heatmap): %e s, peak RSS %M KB" \
  "$bin" render "$work/x.perf.txt" -o "$work/stackfire.svg"
"$bin" collapse "$work/x.perf.txt" > "$work/x.folded"
/usr/bin/time -f "stackfire render x.folded (no heatmap): %e s, peak RSS %M KB" \
  "$bin" render "$work/x.folded" -o "$work/notime.svg"
/usr/bin/time -f "flamegraph.pl x.folded: %e s, peak RSS %M KB" \
  perl "$fg/flamegraph.pl" "$work/x.folded" > "$work/perl.svg"
ls -l "$work"/*.svg | awk '{print $9, $5, "bytes"}'
node "$root/bench/time_load.js" 5 "$work/stackfire.svg" "$work/perl.svg" "$work/notime.svg"
