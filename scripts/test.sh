#!/usr/bin/env bash
# Sets everything up (scripts/setup.sh), runs the whole test suite and ends
# with "N passed, N failed" counted from meson's test log.
set -uo pipefail
cd "$(dirname "$0")/.."
STACKFIRE_SETUP_TESTS=1 bash scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
builddir=${STACKFIRE_BUILDDIR:-build}

meson test -C "$builddir" --print-errorlogs --num-processes 2 --timeout-multiplier 3
rc=$?

python3 - "$builddir/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
try:
    with open(sys.argv[1]) as f:
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
    failed = 1
print(f"{passed} passed, {failed} failed, {skipped} skipped")
PY
exit $rc
