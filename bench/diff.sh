#!/usr/bin/env bash
# Diff benchmark: `stackfire diff BEFORE AFTER` (with its significance tests,
# the default, and with --raw, today's colours) vs `difffolded.pl BEFORE AFTER
# | flamegraph.pl`, timed in the same hyperfine run, with peak RSS and SVG
# sizes; then the significance's cost over --raw, interleaved. BEFORE has 50,000 distinct stacks
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
  -n "stackfire diff" "$bin diff --raw $work/before.folded $work/after.folded > $work/sf.svg" \
  -n "stackfire diff (significance)" "$bin diff $work/before.folded $work/after.folded > $work/sig.svg" \
  -n "difffolded.pl" "perl $fg/difffolded.pl $work/before.folded $work/after.folded > $work/perl.folded" \
  -n "stackfire diff --folded" "$bin diff --folded $work/before.folded $work/after.folded > $work/sf.folded" >&2
cmp <(LC_ALL=C sort "$work/perl.folded") "$work/sf.folded" >&2 && echo "folded output identical after sorting" >&2
/usr/bin/time -v -o "$work/tp1" perl "$fg/difffolded.pl" "$work/before.folded" "$work/after.folded" > "$work/perl.folded"
/usr/bin/time -v -o "$work/tp2" perl "$fg/flamegraph.pl" "$work/perl.folded" > "$work/perl.svg" 2>/dev/null
/usr/bin/time -v -o "$work/ts" "$bin" diff --raw "$work/before.folded" "$work/after.folded" > "$work/sf.svg"
/usr/bin/time -v -o "$work/tsig" "$bin" diff "$work/before.folded" "$work/after.folded" > "$work/sig.svg"
rss() { awk '/Maximum resident/ {print int($6/1024)}' "$1"; }
python3 - "$work/diff.json" "$(rss "$work/tp1")" "$(rss "$work/tp2")" "$(rss "$work/ts")" \
  "$(stat -c %s "$work/perl.svg")" "$(stat -c %s "$work/sf.svg")" "$(rss "$work/tsig")" \
  "$(stat -c %s "$work/sig.svg")" <<'PY'
import json, sys
path, rss1, rss2, rss_s, size_p, size_s, rss_sig, size_sig = sys.argv[1:]
r = {x["command"]: x for x in json.load(open(path))["results"]}
cpu = lambda x: x["user"] + x["system"]
print("| comparison | perl wall | stackfire wall | wall ratio | CPU ratio |")
print("|---|---|---|---|---|")
for perl, sf in [("difffolded.pl | flamegraph.pl", "stackfire diff"),
                 ("difffolded.pl | flamegraph.pl", "stackfire diff (significance)"),
                 ("difffolded.pl", "stackfire diff --folded")]:
    p, s = r[perl], r[sf]
    print(f"| {sf} vs {perl.replace('|', '+')} | {p['mean']*1000:.0f} ms | {s['mean']*1000:.1f} ms "
          f"| **{p['mean']/s['mean']:.1f}x** | **{cpu(p)/cpu(s):.1f}x** |")
s, g = r["stackfire diff"], r["stackfire diff (significance)"]
print(f"| significance vs --raw (same run) | | {g['mean']*1000:.1f} vs {s['mean']*1000:.1f} ms "
      f"| **{g['mean']/s['mean']:.2f}x** | **{cpu(g)/cpu(s):.2f}x** |")
print(f"\nPeak RSS: difffolded.pl {rss1} MB, flamegraph.pl {rss2} MB, stackfire diff --raw {rss_s} MB, "
      f"with significance {rss_sig} MB. SVG: flamegraph.pl {int(size_p)/1e6:.2f} MB, stackfire "
      f"{int(size_s)/1e6:.2f} MB (--raw), {int(size_sig)/1e6:.2f} MB (significance).")
PY
# The machine is shared: hyperfine runs all of one command, then all of the
# other, so load that comes and goes tilts the ratio. Interleaved runs, CPU
# time (user + system) of each from wait4(), median of ${PAIRS:-30} pairs:
python3 - "$bin" "$work/before.folded" "$work/after.folded" <<'PY'
import os, statistics, sys
bin_, before, after = sys.argv[1:]
def cpu(args):
    pid = os.fork()
    if pid == 0:
        fd = os.open(os.devnull, os.O_WRONLY)
        os.dup2(fd, 1)
        os.execv(bin_, [bin_] + args)
    _, status, ru = os.wait4(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0
    return ru.ru_utime + ru.ru_stime
raw, sig = [], []
for _ in range(int(os.environ.get("PAIRS", "30"))):
    raw.append(cpu(["diff", "--raw", before, after]))
    sig.append(cpu(["diff", before, after]))
r, s = statistics.median(raw), statistics.median(sig)
print(f"\nInterleaved, median CPU of {len(raw)} pairs: --raw {r*1000:.1f} ms, significance "
      f"{s*1000:.1f} ms: **{s/r:.2f}x** (target <= 1.5x).")
PY
