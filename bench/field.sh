#!/usr/bin/env bash
# The field suite's measurements (tests/field): runs `meson test --suite
# field` and writes bench/RESULTS-field.md from the rows its tests wrote:
# stackfire vs perf per program (largest top-10 gap, stacks reaching a root,
# samples with an unnamed frame, distinct frames in stripped modules, Rust
# naming and inline frames) and every check that failed.
#
#   bash bench/field.sh            (STACKFIRE_BUILDDIR, default build)
#
# The suite's exit status is this script's.
set -uo pipefail
cd "$(dirname "$0")/.."
builddir=${STACKFIRE_BUILDDIR:-build}
fielddir="$builddir/tests/field"
rm -rf "$fielddir/results"
start=$(date +%s)
meson test -C "$builddir" --suite field --print-errorlogs
rc=$?
took=$(( $(date +%s) - start ))

python3 - "$fielddir/results" "$took" "$(git rev-parse --short HEAD)" \
  "$(git status --porcelain --untracked-files=no | grep -q . && echo ' (with local changes)')" \
  "$(uptime | sed 's/.*load average: //')" "$(perf version 2>/dev/null)" \
  "$fielddir/RESULTS-field.md" > bench/RESULTS-field.md <<'PY'
import json, os, sys, time
results, took, commit, dirty, load, perf, table = sys.argv[1:8]
rows = []
for name in sorted(os.listdir(results)) if os.path.isdir(results) else []:
    with open(os.path.join(results, name)) as f:
        rows.append(json.load(f))
print("# The field suite: stackfire vs perf on real programs\n")
print("Written by `bash bench/field.sh` on %s at commit %s%s, in %s s (load average before "
      "the run's end: %s; %s; 2-vCPU VM shared with other jobs, so sample counts vary)."
      % (time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), commit, dirty, took, load, perf))
print("""
Each program is recorded by `stackfire record` and by `perf record --call-graph dwarf` on the
same process (at the same time when both attach by PID), 4 s at 499 Hz (redis: 998 Hz), user
space only; perf's recording is folded by `perf script | stackfire collapse`. Columns (defined in
tests/field/fieldlib.py, thresholds in tests/field/check_field.py):

- **largest top-10 gap**: over the union of both tools' ten functions with the most self samples,
  the largest difference of self share, in points (the function in brackets); names normalised
  as fieldlib.py documents (glibc aliases and CPU variants, `_[i]`/`_[k]`/`_[j]` markers, symbol
  versions, a stripped function `module+0xSTART` as `[module]`), Rust names not.
- **reach a root**: samples whose stack starts at `_start`/`__libc_start_main`/`clone3`/
  `start_thread` (one of the first two frames).
- **unnamed frame**: samples with a `[unknown]`, bare `[module]`, `[truncated]` or raw-address
  frame (`module+0xSTART` is a name).
- **distinct frames in stripped modules**: frames whose code lies in an ELF file without
  `.symtab` or a separate debug file.
- **Rust**: samples with a hashed, `$LT$`-escaped or raw `_ZN`/`_R` frame in stackfire; samples
  with an inline frame, stackfire / perf.
""")
with open(table) as f:
    print(f.read())
failed = [r for r in rows if r.get("failures")]
if failed:
    print("## Checks that failed\n")
    for r in failed:
        print("**%s**\n" % r["program"])
        for what in r["failures"]:
            print("- " + what.replace("\n", " ")[:400])
        print()
PY
echo "field: wrote bench/RESULTS-field.md" >&2
exit $rc
