#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/) with clang, ASan and UBSan in build-fuzz
# (only the fuzzers and the libraries they link, no tests) and runs each one for STACKFIRE_FUZZ_SECONDS (default 60) from a seed corpus made
# of testdata/. Any crash, leak or timeout input is copied to
# testdata/fuzz-regressions/<target>/, which tests/fuzz replays in every test
# run; the script then fails. Targets run two at a time (STACKFIRE_FUZZ_JOBS). A summary line per target (result, execs/s, the
# final cov: and ft: figures) goes to stdout and to <tree>/fuzz-summary.txt,
# which scripts/test.sh counts (one test per target).
#
#   STACKFIRE_FUZZ_SECONDS=60 STACKFIRE_FUZZ_TARGETS="folded render_svg" scripts/fuzz.sh
#
# With STACKFIRE_FUZZ_SEED=N a run has a fixed budget instead: each target
# starts from its seeds alone (a fresh corpus), with libFuzzer's -seed=N, and
# stops after a fixed number of inputs (runs_for below, about 30 s each on a
# 2-vCPU machine) rather than after a time; scripts/test.sh runs this way.
# It is not bit-for-bit repeatable: libFuzzer's coverage feedback differs a
# little from run to run (measured: the same seed and binary, with or without
# address randomisation, ends at different feature counts), so a seeded run
# can still find what an earlier one missed; that is a real bug, kept as a
# regression like any other. Long unseeded runs before landing make that rare.
# Without a seed, each run explores anew from where the last ended.
set -uo pipefail
cd "$(dirname "$0")/.."
seconds=${STACKFIRE_FUZZ_SECONDS:-60}
targets=${STACKFIRE_FUZZ_TARGETS:-"perf_script folded render_svg diff_svg proc_maps perf_record demangle pprof names proc_task"}
builddir=${STACKFIRE_FUZZ_BUILDDIR:-build-fuzz}

# Debian's clang package gives clang++; clang-14 alone gives clang++-14.
fuzz_cxx=$(command -v clang++ || command -v clang++-14 || echo clang++)
if [ ! -f "$builddir/build.ninja" ]; then
  CXX=$fuzz_cxx meson setup "$builddir" -Dfuzzing=true -Dtests=false \
    -Db_sanitize=address,undefined -Db_lundef=false -Dstatic_deps=false \
    --buildtype=debugoptimized >/dev/null ||
    { echo "fuzz: meson setup failed (clang and libclang-rt-14-dev installed?)" >&2; exit 1; }
fi
ninja -C "$builddir" $(for t in $targets; do echo "fuzz/${t}_fuzzer"; done) ||
  { echo "fuzz: build failed" >&2; exit 1; }

seeds_for() {
  case "$1" in
    perf_script) echo testdata/perf-script/input ;;
    folded|render_svg) echo testdata/render/input testdata/diff/input ;;
    diff_svg) echo testdata/diff/input ;;
    proc_maps) echo testdata/proc-maps ;;
    perf_record) echo testdata/perf-records ;;
    demangle) echo testdata/symbols ;;
    pprof) echo testdata/go-pprof ;;
    names) echo testdata/names-seeds ;;
    proc_task) echo testdata/proc-task ;;
  esac
}

# Inputs per target in a seeded run: about 30 s each on a 2-vCPU machine
# (exec/s from bench/RESULTS-fuzz.md), times STACKFIRE_FUZZ_SCALE (default 1).
runs_for() {
  local n
  case "$1" in
    perf_script) n=10000 ;;
    folded) n=25000 ;;
    render_svg) n=8000 ;;
    diff_svg) n=3500 ;;
    proc_maps) n=250000 ;;
    perf_record) n=600000 ;;
    demangle) n=1500000 ;;
    pprof) n=350000 ;;
    names) n=450000 ;;
    proc_task) n=1000000 ;;
    *) n=10000 ;;
  esac
  awk -v n="$n" -v s="${STACKFIRE_FUZZ_SCALE:-1}" 'BEGIN { printf "%d", n * s }'
}
seed=${STACKFIRE_FUZZ_SEED:-}

export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:detect_leaks=1:print_stacktrace=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
summary="$builddir/fuzz-summary.txt"
: > "$summary"
# One target, its summary line in $work/summary.txt; a finding is copied to
# testdata/fuzz-regressions/<target>/.
run_target() {
  local t=$1 work corpus log rc execs eps cov ft found result line d a limit budget
  work="$builddir/fuzz-work/$t"
  corpus="$work/corpus"
  if [ -n "$seed" ]; then
    rm -rf "$corpus"
    # The time cap only guards a machine far slower than this one.
    limit=(-seed="$seed" -runs="$(runs_for "$t")" -max_total_time=600)
    budget="seed=$seed runs=$(runs_for "$t")"
  else
    limit=(-max_total_time="$seconds")
    budget="${seconds}s"
  fi
  mkdir -p "$corpus" "$work/artifacts"
  rm -f "$work/summary.txt"
  # Seeds: the testdata inputs (uncompressed, up to 64 KB) plus earlier regressions.
  for d in $(seeds_for "$t") "testdata/fuzz-regressions/$t"; do
    [ -d "$d" ] || continue
    find "$d" -maxdepth 1 -type f ! -name '*.gz' ! -name '*.md' -size -64k -exec cp -n {} "$corpus/" \;
  done
  log="$work/log.txt"
  "$builddir/fuzz/${t}_fuzzer" "$corpus" "${limit[@]}" -max_len=4096 \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$work/artifacts/" >"$log" 2>&1
  rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  eps=$(grep -o 'exec/s: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  cov=$(grep -o 'cov: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  ft=$(grep -o 'ft: *[0-9]*' "$log" | grep -o '[0-9]*$' | tail -1)
  found=$(find "$work/artifacts" -type f | wc -l)
  result=ok
  { [ "$rc" -ne 0 ] || [ "$found" -gt 0 ]; } && result=FAIL
  line="$t: $result $budget rc=$rc execs=${execs:-?} exec/s=${eps:-?} cov=${cov:-?} ft=${ft:-?}"
  echo "$line" >"$work/summary.txt"
  if [ "$result" = FAIL ]; then
    mkdir -p "testdata/fuzz-regressions/$t"
    for a in "$work/artifacts"/*; do
      [ -f "$a" ] || continue
      cp "$a" "testdata/fuzz-regressions/$t/$(basename "$a")"
      echo "fuzz: $t: kept $(basename "$a") in testdata/fuzz-regressions/$t/ (see $log)" >&2
      rm -f "$a"
    done
    grep -m1 -A15 'ERROR\|fuzz check failed' "$log" >&2
  fi
}

# Two targets at a time (one per core): each still gets its full time.
njobs=${STACKFIRE_FUZZ_JOBS:-2}
for t in $targets; do
  rm -f "$builddir/fuzz-work/$t/summary.txt"
  while [ "$(jobs -rp | wc -l)" -ge "$njobs" ]; do wait -n; done
  run_target "$t" &
done
wait
failed=0
for t in $targets; do
  line=$(cat "$builddir/fuzz-work/$t/summary.txt" 2>/dev/null || echo "$t: FAIL no result")
  echo "fuzz: $line" | tee -a "$summary"
  case "$line" in *": ok "*) ;; *) failed=1 ;; esac
done
exit $failed

