#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), runs the whole test suite on the
# release build, then again on an AddressSanitizer + UndefinedBehaviorSanitizer
# build (build-asan), then each libFuzzer target for a fixed, seeded number of
# inputs (scripts/fuzz.sh, clang, build-fuzz; a fixed budget, not a bit-for-bit
# repeatable path: see there). Ends with "N passed, N failed" counted
# from both meson test logs and the fuzz summary (one test per fuzz target).
# CI runs this (.ci/run). Each part prints the time it took on stderr, as
# "test: PART took N s" (setup, release build, release tests, sanitizer
# build and tests, fuzzing), then "test: the whole run took N s".
#
# The sanitizer tree builds only what its tests need: `meson test` builds the
# tests it selects and their declared dependencies, so the benchmarks, the
# demo and the browser test are never compiled there; the fuzz tree builds
# only the fuzzers and the libraries they link. Both trees are kept between
# runs and rebuilt incrementally.
#
#   STACKFIRE_SANITIZE=0       skip the ASan + UBSan build and run (default 1)
#   STACKFIRE_FUZZ_SECONDS=0   skip fuzzing
#   STACKFIRE_FUZZ_SEED=N      libFuzzer's seed for the fixed-length runs (default 1)
#
# Both are on by default, so CI (.ci/run) runs all three parts. A whole run
# on this project's 2-vCPU machine took 45.5 min with another job beside it
# (release suite ~8 min, sanitizer build and suite 28 min, fuzzing 7.6 min;
# bench/RESULTS-fuzz.md), against CI's 90 minutes. A fuzzer finding is saved
# under testdata/fuzz-regressions/ (scripts/fuzz.sh) and fails the run; the
# regression inputs run in the release suite either way.
set -uo pipefail
cd "$(dirname "$0")/.."
run_start=$(date +%s)
start=$run_start
# Prints "test: PART took N s" for the part that began at $start.
took() { echo "test: $1 took $(( $(date +%s) - start )) s" >&2; start=$(date +%s); }

STACKFIRE_SETUP_TESTS=1 STACKFIRE_SETUP_BUILD=0 bash scripts/setup.sh ||
  { echo "0 passed, 1 failed"; exit 1; }
took "setup"
builddir=${STACKFIRE_BUILDDIR:-build}
asandir=${STACKFIRE_ASAN_BUILDDIR:-build-asan}
logs=("$builddir/meson-logs/testlog.json")

ninja -C "$builddir" || { echo "0 passed, 1 failed"; exit 1; }
took "release build"
meson test -C "$builddir" --print-errorlogs --num-processes 2 --timeout-multiplier 3
rc=$?
took "release tests"

sanitize=${STACKFIRE_SANITIZE:-1}
fuzz_seconds=${STACKFIRE_FUZZ_SECONDS:-60}
if [ "$sanitize" != 0 ]; then
  if [ ! -f "$asandir/build.ninja" ]; then
    # Shared libraries here: a static libstdc++ would keep its own operator new from ASan.
    # -O1: with the sanitizers gcc compiles about 40 % faster than at -O2 (54 s
    # against 34 s of CPU for src/record/pipeline.cc), which is most of this
    # tree's time; the workloads the tests profile keep their own -O2 -g.
    meson setup "$asandir" -Db_sanitize=address,undefined -Db_lundef=false -Dstatic_deps=false \
      --buildtype=debugoptimized -Doptimization=1 >/dev/null || rc=1
  fi
  rm -f "$asandir/meson-logs/testlog.json"
  logs+=("$asandir/meson-logs/testlog.json")
  if [ -f "$asandir/build.ninja" ]; then
    # Not under the sanitizers, each for a stated reason (see tests/*/meson.build):
    #   browser: drives chromium over a rendered SVG; it tests the embedded
    #            JavaScript, which ASan does not see, and is the slowest test.
    #   field:   compares stackfire with perf on real programs (~3 min, and a
    #            tokio build in each tree); its thresholds are about names and
    #            stacks, not memory, and the integration suite runs the same
    #            record paths under ASan.
    #   docs:    runs README's and the man pages' commands (~75 s): the CLI
    #            paths they take are the integration suite's.
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1:abort_on_error=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C "$asandir" --print-errorlogs --num-processes 2 --timeout-multiplier 5 \
        --no-suite browser --no-suite field --no-suite docs || rc=1
  fi
  took "sanitizer build and tests"
fi

fuzz_summary=-
if [ "$fuzz_seconds" != 0 ]; then
  fuzz_summary="${STACKFIRE_FUZZ_BUILDDIR:-build-fuzz}/fuzz-summary.txt"
  rm -f "$fuzz_summary"
  STACKFIRE_FUZZ_SEED=${STACKFIRE_FUZZ_SEED:-1} bash scripts/fuzz.sh || rc=1
  took "fuzzing"
fi
echo "test: the whole run took $(( $(date +%s) - run_start )) s" >&2

python3 - "$fuzz_summary" "${logs[@]}" <<'PY'
import json, re, sys
passed = skipped = failed = 0
# One test per fuzz target: "fuzz: <target>: ok|FAIL ..." lines.
if sys.argv[1] != "-":
    try:
        with open(sys.argv[1]) as f:
            results = [m.group(1) for m in re.finditer(r"^fuzz: \S+: (\S+)", f.read(), re.M)]
        if not results:
            failed += 1
        passed += results.count("ok")
        failed += len(results) - results.count("ok")
    except FileNotFoundError:
        failed += 1
for path in sys.argv[2:]:
    try:
        # One JSON object per line; bytes, not text, so that no test output
        # (a stray \r, bad UTF-8) can split or spoil a line.
        with open(path, "rb") as f:
            for number, raw in enumerate(f.read().split(b"\n"), 1):
                line = raw.decode("utf-8", "replace").strip()
                if not line:
                    continue
                try:
                    r = json.loads(line)["result"]
                except (ValueError, KeyError, TypeError):
                    print(f"{path}:{number}: not a meson test result, counted as failed: {raw[:200]!r}",
                          file=sys.stderr)
                    failed += 1
                    continue
                if r in ("OK", "EXPECTEDFAIL"):
                    passed += 1
                elif r == "SKIP":
                    skipped += 1
                else:
                    failed += 1
    except FileNotFoundError:
        failed += 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
