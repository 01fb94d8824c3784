#!/usr/bin/env python3
"""Endurance of `stackfire record`: is its memory flat on a target that never settles?

Records testdata/workloads/record_endurance (dlopen/dlclose churn of two
libraries on one thread, batches of 50 short-lived threads on another) at
999 Hz for --duration seconds with `stackfire record -p`, samples stackfire's
RSS (VmRSS in /proc/PID/status) every --interval seconds, and compares the RSS
after --warmup seconds with the RSS at the end.

    bench/endurance_record.py --build build                 # the 10-minute run
    bench/endurance_record.py --build build --duration 40 --warmup 15 \\
        --interval 1 --max-growth-pct 25 --max-growth-mb 8  # the CI check

With --max-growth-* it exits 1 when the growth after warm-up exceeds both
bounds (percent of the warm-up RSS and MiB). Under AddressSanitizer RSS is
not meaningful (freed memory sits in the quarantine), so the bound is not
checked there; the run still must finish and write a valid profile.
"""
import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time


def rss_kib(pid):
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


def fd_count(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def under_asan(binary):
    with open(binary, "rb") as f:
        return b"__asan_init" in f.read()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build", default="build", help="meson build directory")
    ap.add_argument("--duration", type=float, default=600)
    ap.add_argument("--warmup", type=float, default=60)
    ap.add_argument("--interval", type=float, default=5)
    ap.add_argument("--freq", default="999")
    ap.add_argument("--max-growth-pct", type=float, default=None)
    ap.add_argument("--max-growth-mb", type=float, default=None)
    ap.add_argument("--stackfire", default=None, help="the binary (default BUILD/stackfire)")
    ap.add_argument("--workloads", default=None,
                    help="where the workloads are built (default BUILD/tests/record)")
    args = ap.parse_args()

    build = os.path.abspath(args.build)
    stackfire = args.stackfire or os.path.join(build, "stackfire")
    wl = args.workloads or os.path.join(build, "tests", "record")
    target_bin = os.path.join(wl, "record_endurance")
    libs = [os.path.join(wl, "librecord_churn_a.so"), os.path.join(wl, "librecord_churn_b.so")]
    for path in [stackfire, target_bin] + libs:
        if not os.path.exists(path):
            sys.exit(f"endurance: {path} is missing; build with -Dtests=true first")

    out_dir = tempfile.mkdtemp(prefix="stackfire_endurance.")
    out = os.path.join(out_dir, "endurance.svg")
    target = subprocess.Popen([target_bin, str(args.duration + 30)] + libs,
                              stdout=subprocess.PIPE, text=True)
    if target.stdout.readline().strip() != "ready":
        sys.exit("endurance: the workload did not start")
    recorder = subprocess.Popen(
        [stackfire, "record", "-q", "-F", args.freq, "-d", str(args.duration), "-p",
         str(target.pid), "-o", out],
        stderr=subprocess.PIPE, text=True)
    start = time.monotonic()
    series = []  # (seconds, rss KiB, fds)
    while recorder.poll() is None:
        t = time.monotonic() - start
        rss = rss_kib(recorder.pid)
        if rss is not None:
            series.append((t, rss, fd_count(recorder.pid)))
        time.sleep(args.interval)
    err = recorder.stderr.read()
    target.send_signal(signal.SIGKILL)
    target.wait()
    if recorder.returncode != 0:
        print(err, file=sys.stderr)
        if "perf_event_open" in err and not series:
            print("endurance: SKIP: perf_event_open is refused here")
            sys.exit(77)
        sys.exit(f"endurance: stackfire exited with {recorder.returncode}")
    valid = subprocess.run(["xmllint", "--noout", out]).returncode == 0
    os.unlink(out)
    os.rmdir(out_dir)

    warm = [s for s in series if s[0] >= args.warmup]
    if len(warm) < 2:
        sys.exit("endurance: too few RSS samples after warm-up; lengthen --duration")
    base = warm[0][1]
    end = series[-1][1]
    peak = max(s[1] for s in warm)
    growth_kib = end - base
    growth_pct = 100.0 * growth_kib / base
    fds = [s[2] for s in series if s[2] is not None]
    summary = [line for line in err.splitlines() if line.startswith("stackfire: stopped")]
    print(f"stackfire record -F {args.freq} for {args.duration:.0f} s on record_endurance")
    print(f"  {summary[0] if summary else '(no summary line)'}")
    print(f"  RSS after {warm[0][0]:.0f} s warm-up: {base / 1024:.1f} MiB; at the end "
          f"({series[-1][0]:.0f} s): {end / 1024:.1f} MiB; peak after warm-up "
          f"{peak / 1024:.1f} MiB; growth {growth_kib / 1024:+.1f} MiB ({growth_pct:+.1f} %)")
    print(f"  open fds: min {min(fds)}, max {max(fds)}; SVG valid: {valid}")
    print("  RSS series (s, MiB): " +
          " ".join(f"{t:.0f}:{rss / 1024:.1f}" for t, rss, _ in series))
    if not valid:
        sys.exit("endurance: the SVG is not well-formed")
    if args.max_growth_pct is None and args.max_growth_mb is None:
        return
    if under_asan(stackfire):
        print("  (AddressSanitizer build: RSS bound not checked, its quarantine holds freed memory)")
        return
    over_pct = args.max_growth_pct is None or growth_pct > args.max_growth_pct
    over_mb = args.max_growth_mb is None or growth_kib / 1024 > args.max_growth_mb
    if over_pct and over_mb:
        sys.exit(f"endurance: RSS grew {growth_pct:.1f} % ({growth_kib / 1024:.1f} MiB) after "
                 "warm-up")


if __name__ == "__main__":
    main()
