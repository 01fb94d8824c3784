#!/usr/bin/env bash
# Render benchmark: stackfire render vs FlameGraph's flamegraph.pl on a
# folded file with 50,000 distinct stacks (bench/gen_folded.py), timed in the
# same hyperfine run, with peak RSS (/usr/bin/time -v) and SVG sizes.
#   FLAMEGRAPH_DIR=/path/to/FlameGraph bench/render.sh [N_STACKS]
# Needs hyperfine, python3, perl. Prints a Markdown summary.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
fg=${FLAMEGRAPH_DIR:-/work/FlameGraph}
bin=${STACKFIRE_BIN:-$root/build/src/cli/stackfire}
n=${1:-50000}
[ -x "$fg/flamegraph.pl" ] || [ -f "$fg/flamegraph.pl" ] || { echo "set FLAMEGRAPH_DIR" >&2; exit 2; }
[ -x "$bin" ] || { echo "build stackfire first (ninja -C build)" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "apt-get install hyperfine" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 "$here/gen_folded.py" "$n" 1 > "$work/shuffled.folded"
LC_ALL=C sort "$work/shuffled.folded" > "$work/sorted.folded"   # as collapse tools print it

run_case() {  # label input extra-args
  local label=$1 input=$2; shift 2
  hyperfine -w 1 -r "${RUNS:-10}" --export-json "$work/$label.json" --output=pipe \
    -n "flamegraph.pl" "perl $fg/flamegraph.pl $* $input > $work/perl.svg 2>/dev/null" \
    -n "stackfire" "$bin render $* $input > $work/sf.svg 2>/dev/null" >&2
  local rss_p rss_s
  /usr/bin/time -v -o "$work/time-p" perl "$fg/flamegraph.pl" "$@" "$input" > "$work/perl.svg" 2>/dev/null || true
  /usr/bin/time -v -o "$work/time-s" "$bin" render "$@" "$input" > "$work/sf.svg" 2>/dev/null || true
  rss_p=$(awk '/Maximum resident/ {print $6}' "$work/time-p")
  rss_s=$(awk '/Maximum resident/ {print $6}' "$work/time-s")
  python3 - "$work/$label.json" "$label" "$rss_p" "$rss_s" "$(stat -c %s "$work/perl.svg")" \
    "$(stat -c %s "$work/sf.svg")" "$work/perl.svg" <<'PY'
import json, re, sys
path, label, rss_p, rss_s, size_p, size_s, perl_svg = sys.argv[1:]
# flamegraph.pl draws a <g><title/><rect/></g> per frame.
frames = len(re.findall(r"<title>", open(perl_svg).read()))
r = {x["command"]: x for x in json.load(open(path))["results"]}
p, s = r["flamegraph.pl"], r["stackfire"]
cpu = lambda x: x["user"] + x["system"]
print(f"| {label} | {p['mean']*1000:.0f} ms | {s['mean']*1000:.1f} ms | **{p['mean']/s['mean']:.1f}x** "
      f"| {cpu(p)*1000:.0f} / {cpu(s)*1000:.1f} ms = **{cpu(p)/cpu(s):.1f}x** "
      f"| {int(rss_p)//1024} / {int(rss_s)//1024} MB | {int(size_p)/1e6:.2f} / {int(size_s)/1e6:.2f} MB "
      f"| {frames} |")
PY
}

echo "| case | flamegraph.pl wall | stackfire wall | wall ratio | CPU (user+sys) perl / stackfire | peak RSS perl / stackfire | SVG size perl / stackfire | frames |"
echo "|---|---|---|---|---|---|---|---|"
run_case "sorted-$n" "$work/sorted.folded"
run_case "shuffled-$n" "$work/shuffled.folded"
run_case "sorted-$n-minwidth0" "$work/sorted.folded" --minwidth 0
