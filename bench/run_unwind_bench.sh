#!/usr/bin/env bash
# Replays captured samples of four workloads through the table unwinder and
# libunwind (bench/unwind_bench.cc); the figures go to bench/RESULTS-unwind.md.
set -euo pipefail
cd "$(dirname "$0")/.."
builddir=${STACKFIRE_BUILDDIR:-build}
ninja -C "$builddir" tests/unwind/unwind_bench tests/unwind/unwind_target >/dev/null
bench="$builddir/tests/unwind/unwind_bench"
target="$builddir/tests/unwind/unwind_target"
args=(--samples "${SAMPLES:-3000}" --seconds "${SECONDS_PER_UNWINDER:-3}")

echo "## unwind_target, phases 0-3"
"$bench" --target "$target" --phases 4 "${args[@]}"
echo "## unwind_target, all 7 phases (one under a CFA expression, one JIT)"
"$bench" --target "$target" --phases 7 "${args[@]}"
echo "## python3: fib + json.dumps"
"$bench" "${args[@]}" -- /usr/bin/python3 -c '
import json
def f(n):
    return n if n < 2 else f(n - 1) + f(n - 2)
while True:
    f(18); json.dumps({"a": [1, 2, 3] * 100})
'
echo "## perl: sort + join + sprintf"
"$bench" "${args[@]}" -- /usr/bin/perl -e 'my $x; while (1) { my @a = sort { $a <=> $b } map { rand } 1..100; $x .= join(",", @a); $x = "" if length($x) > 100000; }'
