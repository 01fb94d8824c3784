#!/usr/bin/env python3
"""Side-by-side benchmark of `stackfire record` and `perf record --call-graph dwarf`.

Measures, in one run:
  1. target slowdown at 99 and 999 Hz (record_leaves' own wall time for a
     fixed amount of work, profiler attached with -p), and each profiler's
     own CPU time (user + sys from wait4);
  2. stop to picture: from the end of sampling to a written flame.svg, for
     stackfire record -d T on a two-thread target at 999 Hz, against
     `perf script | stackfire collapse | stackfire render` on the same target;
  3. lost samples at 999 Hz on two busy threads with the default buffer.

Usage: bench/record_bench.py BUILD_DIR [--reps N] [--seconds T]
Prints a Markdown report on stdout. Modes run interleaved, in a shuffled
order per repetition, so that load from other processes spreads evenly.
"""
import argparse
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time


def run_attached(target_argv, profiler_argv_for_pid):
    """Starts the target, attaches the profiler (if any) with -p, waits for
    both. Returns (target work seconds, profiler cpu seconds, profiler stderr)."""
    target = subprocess.Popen(target_argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              text=True)
    prof = None
    if profiler_argv_for_pid:
        prof = subprocess.Popen(profiler_argv_for_pid(target.pid), stdout=subprocess.DEVNULL,
                                stderr=subprocess.PIPE, text=True)
    _, err = target.communicate()
    m = re.search(r"work_s ([0-9.]+)", err)
    work = float(m.group(1)) if m else float("nan")
    cpu, perr = 0.0, ""
    if prof:
        perr = prof.stderr.read()
        _, _, ru = os.wait4(prof.pid, 0)
        prof.returncode = 0
        cpu = ru.ru_utime + ru.ru_stime
    return work, cpu, perr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=300)
    args = ap.parse_args()
    sf = os.path.join(args.build, "src/cli/stackfire")
    wl = os.path.join(args.build, "tests/record")
    tmp = tempfile.mkdtemp(prefix="stackfire_bench.")
    leaves = [os.path.join(wl, "record_leaves"), str(args.rounds), "0.5"]

    def perf_at(hz):
        return lambda pid: ["perf", "record", "-q", "--call-graph", "dwarf", "-F", str(hz), "-p",
                            str(pid), "-o", os.path.join(tmp, "perf.data")]

    def sf_at(hz):
        return lambda pid: [sf, "record", "-q", "-F", str(hz), "-p", str(pid), "-o",
                            os.path.join(tmp, "sf.svg")]

    modes = {"none": None, "perf 99 Hz": perf_at(99), "stackfire 99 Hz": sf_at(99),
             "perf 999 Hz": perf_at(999), "stackfire 999 Hz": sf_at(999)}
    work = {m: [] for m in modes}
    cpu = {m: [] for m in modes}
    for rep in range(args.reps):
        order = list(modes)
        random.shuffle(order)
        for m in order:
            w, c, _ = run_attached(leaves, modes[m])
            work[m].append(w)
            cpu[m].append(c)
        print(f"rep {rep + 1}/{args.reps} done", file=sys.stderr)

    base = statistics.median(work["none"])
    print("## Target slowdown (record_leaves, fixed work, profiler attached with -p)\n")
    print(f"{args.reps} interleaved repetitions; medians. Baseline work time {base:.3f} s.\n")
    print("| profiler | target work time (s) | slowdown | profiler CPU time (s) |")
    print("|---|---|---|---|")
    for m in modes:
        med = statistics.median(work[m])
        print(f"| {m} | {med:.3f} (min {min(work[m]):.3f}, max {max(work[m]):.3f}) | "
              f"{100 * (med / base - 1):+.1f}% | {statistics.median(cpu[m]):.3f} |")

    # Stop to picture and lost samples: a two-thread target, 999 Hz.
    target = [os.path.join(wl, "record_profile"), str(args.seconds + 5), "2"]
    svg = os.path.join(tmp, "flame.svg")
    p = subprocess.Popen(target, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    r = subprocess.run([sf, "record", "-F", "999", "-d", str(args.seconds), "-p", str(p.pid),
                        "-o", svg], capture_output=True, text=True)
    p.kill()
    p.wait()
    summary = r.stderr
    m_wrote = re.search(r"wrote .* in ([0-9.]+) s", summary)
    m_counts = re.search(r"([0-9]+) samples, ([0-9]+) lost", summary)
    sf_stop = float(m_wrote.group(1)) if m_wrote else float("nan")

    data = os.path.join(tmp, "perf2.data")
    p = subprocess.Popen(target, stdout=subprocess.DEVNULL)
    time.sleep(0.3)
    subprocess.run(["perf", "record", "-q", "--call-graph", "dwarf", "-F", "999", "-p",
                    str(p.pid), "-o", data, "--", "sleep", str(args.seconds)],
                   capture_output=True)
    p.kill()
    p.wait()
    t0 = time.monotonic()
    subprocess.run(f"perf script -i {data} 2>/dev/null | {sf} collapse | {sf} render > "
                   f"{os.path.join(tmp, 'perf.svg')}", shell=True, check=False)
    perf_stop = time.monotonic() - t0
    size_mb = os.path.getsize(data) / 1e6

    print(f"\n## Stop to picture ({args.seconds:g} s at 999 Hz, two busy threads)\n")
    print("| pipeline | end of sampling to flame.svg |")
    print("|---|---|")
    print(f"| stackfire record | {sf_stop:.3f} s |")
    print(f"| perf record ({size_mb:.0f} MB perf.data), then perf script \\| stackfire collapse "
          f"\\| stackfire render | {perf_stop:.2f} s |")
    if sf_stop > 0:
        print(f"\nstackfire is {perf_stop / sf_stop:.0f}x faster from stop to picture.")
    print("\n## Lost samples at 999 Hz, two busy threads, default buffer\n")
    if m_counts:
        print(f"{m_counts.group(1)} samples, {m_counts.group(2)} lost "
              f"(stackfire summary: `{summary.strip().splitlines()[0]}`)")
    else:
        print("no summary:", summary)
    subprocess.run(["rm", "-rf", tmp])


if __name__ == "__main__":
    main()
