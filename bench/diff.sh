#!/usr/bin/env bash
# Diff benchmark: `stackfire diff BEFORE AFTER` vs
# `difffolded.pl BEFORE AFTER | flamegraph.pl`, timed in the same hyperfine
# run, with peak RSS and SVG sizes. BEFORE has 50,000 distinct stacks
# (bench/gen_folded.py); AFTER drops 5% of them, doubles 10% and adds 2,000.
#   FLAMEGRAPH_DIR=/path/to/FlameGraph bench/diff.sh [N_STACKS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fg=${FLAMEGRAPH_DIR:-/work/FlameGraph}
bin=${STACKFIRE_BIN:-$root/build/src/cli/stackfire}
n=${1:-50000}
[ -f "$fg/difffolded.pl" ] || { echo "set FLAMEGRAPH_DIR" >&2; exit 2; }
[ -x "$bin" ] || { echo "build stackfire first (ninja -C build)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_folded.py" "$n" 1 | LC_ALL=C sort > "$work/before.folded"
python3 "$here/gen_folded.py" 2000 3 > "$work/extra.folded"
python3 - "$work/before.folded" "$work/extra.folded" > "$work/after.folded" <<'PY'
import random, sys
rng = random.Random(5)
for line in open(sys.argv[1]):
    stack, count = line.rsplit(" ", 1)
    r = rng.random()
    if r < 0.05:
        continue
    print(stack, int(count) * (2 if r < 0.15 else 1))
for line in open(sys.argv[2]):
    print("main;added;" + line.split(";", 1)[1], end="")
PY

hyperfine -w 1 -r "${RUNS:-10}" --export-json "$work/diff.json" --output=pipe \
  -n "difffolded.pl | flamegraph.pl" \
  "perl $fg/difffolded.pl $work/before.folded $work/after.folded | perl $fg/flamegraph.pl > $work/perl.svg 2>/dev/null" \
  -n "stackfire diff" "$bin diff $work/before.folded $work/after.folded > $work/sf.svg" \
  -n "difffolded.pl" "perl $fg/difffolded.pl $work/before.folded $work/after.folded > $work/perl.folded" \
  -n "stackfire diff --folded" "$bin diff --folded $work/before.folded $work/after.folded > $work/sf.folded" >&2
cmp <(LC_ALL=C sort "$work/perl.folded") "$work/sf.folded" >&2 && echo "folded output identical after sorting" >&2
/usr/bin/time -v -o "$work/tp1" perl "$fg/difffolded.pl" "$work/before.folded" "$work/after.folded" > "$work/perl.folded"
/usr/bin/time -v -o "$work/tp2" perl "$fg/flamegraph.pl" "$work/perl.folded" > "$work/perl.svg" 2>/dev/null
/usr/bin/time -v -o "$work/ts" "$bin" diff "$work/before.folded" "$work/after.folded" > "$work/sf.svg"
rss() { awk '/Maximum resident/ {print int($6/1024)}' "$1"; }
python3 - "$work/diff.json" "$(rss "$work/tp1")" "$(rss "$work/tp2")" "$(rss "$work/ts")" \
  "$(stat -c %s "$work/perl.svg")" "$(stat -c %s "$work/sf.svg")" <<'PY'
import json, sys
path, rss1, rss2, rss_s, size_p, size_s = sys.argv[1:]
r = {x["command"]: x for x in json.load(open(path))["results"]}
cpu = lambda x: x["user"] + x["system"]
print("| comparison | perl wall | stackfire wall | wall ratio | CPU ratio |")
print("|---|---|---|---|---|")
for perl, sf in [("difffolded.pl | flamegraph.pl", "stackfire diff"),
                 ("difffolded.pl", "stackfire diff --folded")]:
    p, s = r[perl], r[sf]
    print(f"| {sf} vs {perl.replace('|', '+')} | {p['mean']*1000:.0f} ms | {s['mean']*1000:.1f} ms "
          f"| **{p['mean']/s['mean']:.1f}x** | **{cpu(p)/cpu(s):.1f}x** |")
print(f"\nPeak RSS: difffolded.pl {rss1} MB, flamegraph.pl {rss2} MB, stackfire diff {rss_s} MB. "
      f"SVG: flamegraph.pl {int(size_p)/1e6:.2f} MB, stackfire {int(size_s)/1e6:.2f} MB.")
PY
