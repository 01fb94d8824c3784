#!/usr/bin/env bash
# The main job: set up, then make flame.svg from the bundled perf script sample.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
builddir=${STACKFIRE_BUILDDIR:-build}
out=${1:-flame.svg}
"$builddir/src/cli/stackfire" collapse testdata/perf-script/input/example-perf-stacks.txt.gz \
  | "$builddir/src/cli/stackfire" render --title "stackfire demo: bundled perf script sample" > "$out"
echo "wrote $(pwd)/$out: open it in a browser" >&2
