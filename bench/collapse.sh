#!/usr/bin/env bash
# Times `stackfire collapse` against FlameGraph's stackcollapse-perf.pl on about
# 100 MB of `perf script` text, in the same hyperfine run; checks that both
# print the same bytes; measures each one's peak memory (/usr/bin/time -v); and
# writes the figures with the machine's description to bench/RESULTS-collapse.md.
#
# usage: FLAMEGRAPH_DIR=/path/to/FlameGraph bench/collapse.sh [RUNS]
#   FLAMEGRAPH_DIR  a checkout of https://github.com/brendangregg/FlameGraph
#                   (default: ../FlameGraph next to this repository, else it is
#                   cloned into bench/out/FlameGraph)
#   RUNS            timed runs of each command (default 5)
#   STACKFIRE       the binary (default build/src/cli/stackfire)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-5}
stackfire=${STACKFIRE:-build/src/cli/stackfire}
input=bench/out/perf-script-100mb.txt
results=bench/RESULTS-collapse.md

need() { command -v "$1" >/dev/null 2>&1; }
if ! need hyperfine; then
  echo "collapse.sh: installing hyperfine" >&2
  sudo_cmd=(); [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
  "${sudo_cmd[@]}" apt-get install -y -qq hyperfine >&2
fi
[ -x /usr/bin/time ] || { echo "collapse.sh: /usr/bin/time is missing (apt-get install time)" >&2; exit 1; }

if [ -z "${FLAMEGRAPH_DIR:-}" ]; then
  if [ -f ../FlameGraph/stackcollapse-perf.pl ]; then
    FLAMEGRAPH_DIR=$(cd ../FlameGraph && pwd)
  else
    FLAMEGRAPH_DIR=bench/out/FlameGraph
    [ -d "$FLAMEGRAPH_DIR" ] || git clone -q --depth 1 https://github.com/brendangregg/FlameGraph "$FLAMEGRAPH_DIR"
  fi
fi
perl_script=$FLAMEGRAPH_DIR/stackcollapse-perf.pl
[ -f "$perl_script" ] || { echo "collapse.sh: no $perl_script; set FLAMEGRAPH_DIR" >&2; exit 1; }
[ -x "$stackfire" ] || { echo "collapse.sh: no $stackfire; build first (ninja -C build)" >&2; exit 1; }
[ -f "$input" ] || bash bench/make_perf_input.sh "$input"

out=bench/out
echo "checking that both print the same bytes..." >&2
"$stackfire" collapse "$input" > "$out/stackfire.folded" 2>/dev/null
perl "$perl_script" "$input" > "$out/perl.folded" 2>/dev/null
if cmp -s "$out/stackfire.folded" "$out/perl.folded"; then same=yes; else same=NO; fi
echo "identical output: $same ($(wc -l < "$out/perl.folded") stacks)" >&2

peak_kb() { /usr/bin/time -v "$@" 2>&1 >/dev/null | awk -F': ' '/Maximum resident set size/ {print $2}'; }
sf_rss=$(peak_kb "$stackfire" collapse "$input")
pl_rss=$(peak_kb perl "$perl_script" "$input")

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
hyperfine --style basic --warmup 1 --runs "$runs" --export-json "$out/collapse.json" \
  -n "stackfire collapse" "$stackfire collapse $input > /dev/null 2>&1" \
  -n "stackcollapse-perf.pl" "perl $perl_script $input > /dev/null 2>&1" >&2
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

read -r sf_mean sf_sd pl_mean pl_sd ratio < <(python3 - "$out/collapse.json" <<'PY'
import json, sys
r = {x["command"]: x for x in json.load(open(sys.argv[1]))["results"]}
sf, pl = r["stackfire collapse"], r["stackcollapse-perf.pl"]
print(f'{sf["mean"]:.3f} {sf["stddev"]:.3f} {pl["mean"]:.3f} {pl["stddev"]:.3f} {pl["mean"] / sf["mean"]:.1f}')
PY
)
size_mb=$(python3 -c "import os; print(f'{os.path.getsize(\"$input\") / 1e6:.1f}')")
mbps=$(python3 -c "print(f'{$size_mb / $sf_mean:.0f}')")
cpu=$(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)
summary="collapse: stackfire ${sf_mean}s vs stackcollapse-perf.pl ${pl_mean}s on ${size_mb} MB: ${ratio}x faster; peak RSS ${sf_rss} KB vs ${pl_rss} KB"
echo "$summary"

cat > "$results" <<MD
# collapse: stackfire vs stackcollapse-perf.pl

Made by \`bench/collapse.sh\` on $(date -u +"%Y-%m-%d %H:%M UTC"); re-run it to update.

- Machine: $(nproc) CPUs, ${cpu}, Linux $(uname -r)
- Load average (1, 5, 15 min) before / after the timed runs: ${load_before} / ${load_after}
  (the machine is shared; other jobs were running)
- Input: \`bench/make_perf_input.sh\`, ${size_mb} MB, $(wc -l < "$input") lines of \`perf script\`
  text (the bundled corpus inputs, repeated); $(wc -l < "$out/perl.folded") distinct stacks out
- Same output bytes from both: ${same}
- hyperfine, 1 warm-up, ${runs} runs each, output to /dev/null

| command | mean | σ | throughput | peak RSS |
|---|---|---|---|---|
| \`stackfire collapse\` | ${sf_mean} s | ${sf_sd} s | ${mbps} MB/s | ${sf_rss} KB |
| \`stackcollapse-perf.pl\` | ${pl_mean} s | ${pl_sd} s | | ${pl_rss} KB |

**stackfire collapse is ${ratio}x as fast as stackcollapse-perf.pl** (target: 50x; inferno claims
about 20x).
MD
echo "wrote $results" >&2
