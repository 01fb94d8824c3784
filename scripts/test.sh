#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh) and runs the whole test suite on the
# release build. Optionally it runs the suite again on an AddressSanitizer +
# UndefinedBehaviorSanitizer build (build-asan), and each libFuzzer target for
# a bounded time (scripts/fuzz.sh). Ends with "N passed, N failed" counted
# from the meson test logs (a fuzzer finding counts as one failure).
#
#   STACKFIRE_SANITIZE=1       also build and run the suite under ASan + UBSan
#   STACKFIRE_FUZZ_SECONDS=N   run each fuzz target N seconds (default 0 = skip)
#
# Both are off by default until a full sanitizer run has been proven clean and
# timed against CI's 90 minutes (see bench/RESULTS-fuzz.md and issue 5).
set -uo pipefail
cd "$(dirname "$0")/.."
STACKFIRE_SETUP_TESTS=1 bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
builddir=${STACKFIRE_BUILDDIR:-build}
asandir=${STACKFIRE_ASAN_BUILDDIR:-build-asan}
logs=("$builddir/meson-logs/testlog.json")

meson test -C "$builddir" --print-errorlogs --num-processes 2 --timeout-multiplier 3
rc=$?

if [ "${STACKFIRE_SANITIZE:-0}" != 0 ]; then
  start=$(date +%s)
  if [ ! -f "$asandir/build.ninja" ]; then
    # Shared libraries here: a static libstdc++ would keep its own operator new from ASan.
    meson setup "$asandir" -Db_sanitize=address,undefined -Db_lundef=false -Dstatic_deps=false \
      --buildtype=debugoptimized >/dev/null || rc=1
  fi
  rm -f "$asandir/meson-logs/testlog.json"
  logs+=("$asandir/meson-logs/testlog.json")
  if ninja -C "$asandir"; then
    # Not under the sanitizers, each for a stated reason (see tests/*/meson.build):
    #   browser: drives chromium over a rendered SVG; it tests the embedded
    #            JavaScript, which ASan does not see, and is the slowest test.
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1:print_stacktrace=1:abort_on_error=0 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
      meson test -C "$asandir" --print-errorlogs --num-processes 2 --timeout-multiplier 5 \
        --no-suite browser || rc=1
  else
    rc=1
  fi
  echo "test: sanitizer build and run took $(( $(date +%s) - start )) s" >&2
fi

fuzz_failed=0
if [ "${STACKFIRE_FUZZ_SECONDS:-0}" != 0 ]; then
  start=$(date +%s)
  bash scripts/fuzz.sh || { fuzz_failed=1; rc=1; }
  echo "test: fuzzing took $(( $(date +%s) - start )) s" >&2
fi

python3 - "$fuzz_failed" "${logs[@]}" <<'PY'
import json, sys
passed = skipped = 0
failed = int(sys.argv[1])
for path in sys.argv[2:]:
    try:
        with open(path) as f:
            for line in f:
                line = line.strip()
                if not line:
                    continue
                r = json.loads(line)["result"]
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
