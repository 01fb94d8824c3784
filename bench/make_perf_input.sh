#!/usr/bin/env bash
# Builds about 100 MB of `perf script` text for bench/collapse.sh by
# concatenating the bundled perf-script inputs (testdata/perf-script/input)
# again and again, a blank line between files. The result is generated, never
# committed: bench/out/ is ignored by git.
#
# usage: bench/make_perf_input.sh [OUT [MEGABYTES]]
#   OUT        default bench/out/perf-script-100mb.txt
#   MEGABYTES  default 100
#
# example-perf-stacks comes first, so its event (cycles) is the one both tools
# keep; samples of other events are skipped by both, as in real mixed inputs.
# single-line-stacks is left out: the perl script cannot read that form (see
# collapse/perf_script.h), so the outputs could not be compared byte for byte.
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:-bench/out/perf-script-100mb.txt}
megabytes=${2:-100}
in=testdata/perf-script/input
mkdir -p "$(dirname "$out")"

one_round=$(mktemp)
trap 'rm -f "$one_round"' EXIT
{
  gzip -dc "$in/example-perf-stacks.txt.gz"
  echo
  for f in "$in"/*.txt; do
    case "$(basename "$f")" in single-line-stacks.txt) continue ;; esac
    cat "$f"
    echo
  done
} > "$one_round"

target=$((megabytes * 1000 * 1000))
round_size=$(stat -c %s "$one_round")
rounds=$(( (target + round_size - 1) / round_size ))
: > "$out"
for ((i = 0; i < rounds; i++)); do cat "$one_round" >> "$out"; done
echo "wrote $out: $(stat -c %s "$out") bytes, $(wc -l < "$out") lines ($rounds rounds of the corpus inputs)" >&2
