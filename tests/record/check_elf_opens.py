#!/usr/bin/env python3
"""Each of the target's ELF files is opened once per recording.

The unwinder (CFI), the symbolizer (symbols, DWARF) and the pprof export
(build-ids) all read the target's files; they share one module cache, so
`stackfire record` opens each file once, and each separate debug file once.
The opens are counted from the system calls themselves (strace -f), in both
forms: a launched command (its mappings carry build-ids from MMAP2) and an
attached process (its mappings come from /proc/PID/maps, without build-ids,
so the pprof export must take them from the files already open).

stackfire opens the target's files inside /proc/PID/root (openat2 with
RESOLVE_IN_ROOT, or /proc/PID/root/... on kernels without it); those opens
and the ones under /usr/lib/debug are counted per path.

Exits 77 (meson's SKIP) when strace is missing or perf_event_open is refused.
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SKIP, check, finish  # noqa: E402

BIN = os.environ["STACKFIRE_BIN"]
WORKLOADS = os.environ["RECORD_WORKLOADS"]


def traced_record(tmp, name, args):
    log = os.path.join(tmp, name + ".strace")
    # Under the sanitizers: LeakSanitizer stops the process's threads with
    # ptrace at exit, which fails while strace traces them (the leak check
    # runs in every other record test).
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = env.get("ASAN_OPTIONS", "") + ":detect_leaks=0"
    r = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open,openat2", "-o", log, BIN,
                        "record", "-q"] + args, capture_output=True, timeout=120, env=env)
    err = r.stderr.decode(errors="replace")
    if r.returncode != 0 and ("perf_event_paranoid" in err or "Permission denied" in err):
        print("SKIP: perf_event_open refused here:", err)
        sys.exit(SKIP)
    check(r.returncode == 0, "%s: record exited %d: %s" % (name, r.returncode, err))
    opens = collections.Counter()
    with open(log, errors="replace") as f:
        for line in f:
            m = re.search(r'(openat2|openat|open)\((?:AT_FDCWD, |\d+, )?"([^"]+)"', line)
            if not m or "= -1" in line:
                continue
            path = m.group(2)
            if m.group(1) == "openat2":
                # Resolved inside the target's root (a dirfd on /proc/PID/root).
                if path.startswith("/"):
                    opens[path] += 1
            elif re.match(r"/proc/\d+/root/", path) or path.startswith("/usr/lib/debug/"):
                opens[re.sub(r"^/proc/\d+/root", "", path)] += 1
    print("%s: %d opens of %d files" % (name, sum(opens.values()), len(opens)))
    for path, n in sorted(opens.items()):
        print("  %d %s" % (n, path))
    return opens


def check_once(name, opens, binary):
    check(binary in opens, "%s: the workload %s was read: %s" % (name, binary, dict(opens)))
    check(any(os.path.basename(p).startswith("libc.so") for p in opens),
          "%s: libc was read: %s" % (name, dict(opens)))
    for path, n in opens.items():
        check(n == 1, "%s: %s opened %d times, not once" % (name, path, n))


def main():
    if shutil.which("strace") is None:
        print("SKIP: strace is not installed (scripts/setup.sh installs it with "
              "STACKFIRE_SETUP_TESTS=1)")
        return SKIP
    tmp = tempfile.mkdtemp(prefix="stackfire-opens-")
    try:
        cxx = os.path.realpath(os.path.join(WORKLOADS, "record_cxx"))
        opens = traced_record(tmp, "launch", ["-o", os.path.join(tmp, "a.pb.gz"), "-o",
                                              os.path.join(tmp, "a.svg"), "--", cxx, "1"])
        check_once("launch", opens, cxx)

        profile = os.path.realpath(os.path.join(WORKLOADS, "record_profile"))
        target = subprocess.Popen([profile, "4"])
        try:
            time.sleep(0.3)  # past the dynamic loader: its libraries are mapped
            opens = traced_record(tmp, "attach", ["-d", "1", "-p", str(target.pid), "-o",
                                                  os.path.join(tmp, "b.pb.gz")])
            check_once("attach", opens, profile)
        finally:
            target.kill()
            target.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish("every ELF file was opened once per recording", "%d checks failed")


if __name__ == "__main__":
    sys.exit(main())
