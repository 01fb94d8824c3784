#!/usr/bin/env python3
"""Cost of `stackfire record --off-cpu` on a switch-heavy workload, against
`perf record -e context-switches/period=1/ --call-graph dwarf` (what `-c 1`
gives) in the same run.

The workload (testdata/workloads/record_pingpong.cc) is two threads passing
a byte over pipes, both pinned to CPU 0 (--cpu), so each round trip is two
context switches and the profiler has CPU 1 to itself. It prints its round
trips every 100 ms; the rate over the profiled window (from --settle s after
the profiler starts to 0.3 s before its duration ends), against the same
workload alone, is the target's slowdown. Rounds alternate none / stackfire
/ perf, so that the machine's load hits them alike; the medians are
reported.

  - target slowdown: round trips/s alone / round trips/s while profiled;
  - profiler CPU: user + sys seconds of the profiler process (wait4), per
    second of recording. perf record only copies stacks to perf.data; its
    unwinding happens later in `perf script`, so that is measured too
    (perf record + perf script is what gives the same folded stacks);
  - lost records: stackfire's summary, perf's "lost" lines;
  - off-CPU stacks per second: stackfire's switch-outs unwound per CPU
    second of stackfire.

To separate where the target's slowdown comes from, --variants adds rounds
of perf or stackfire with other options (each NAME=ARGS, ARGS added to the
command line), e.g.
    --variants 'perf-clock=-e cpu-clock/freq=99/' 'perf-switch=--switch-events' \
               'sf-cap1000=--off-cpu-stack-rate 1000'
A NAME starting with "perf" adds to the perf command, any other to
stackfire's. Their rows are printed after the table.

    bench/offcpu_bench.py --stackfire build/src/cli/stackfire \\
        --workload build/tests/record/record_pingpong --seconds 3 --rounds 3 \\
        [--spin-ns 30000]   # about 50k switches/s here instead of 150-250k
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time


def start_target(workload, seconds, cpu, spin_ns):
    p = subprocess.Popen([workload, str(seconds), str(cpu), str(spin_ns)], stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    return p


def rate(lines, t0, t1):
    """Round trips/s between t0 and t1 (CLOCK_MONOTONIC seconds)."""
    pts = [(int(a) / 1e9, int(b)) for a, b in (l.split() for l in lines if l.strip())]
    pts = [p for p in pts if t0 <= p[0] <= t1]
    if len(pts) < 2:
        return 0.0
    return (pts[-1][1] - pts[0][1]) / (pts[-1][0] - pts[0][0])


def run_profiler(argv, env=None, cpu=None):
    """Runs argv to completion (pinned to cpu, when given); returns (stderr,
    cpu seconds)."""
    if cpu is not None:
        argv = ["taskset", "-c", str(cpu)] + argv
    p = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
                         env=env)
    err = p.stderr.read()
    _, status, ru = os.wait4(p.pid, 0)
    p.returncode = os.waitstatus_to_exitcode(status)
    if p.returncode != 0:
        print("warning: %s exited %d: %s" % (argv[0], p.returncode, err[-500:]), file=sys.stderr)
    return err, ru.ru_utime + ru.ru_stime


def one_round(mode, args, tmp, extra=()):
    total = args.seconds + 2  # 1 s before and after the profiled window
    target = start_target(args.workload, total, args.cpu, args.spin_ns)
    time.sleep(1)
    t0 = time.clock_gettime(time.CLOCK_MONOTONIC)
    res = {"mode": mode}
    if mode == "stackfire":
        err, cpu = run_profiler([args.stackfire, "record", "--off-cpu", "-q", "-p",
                                 str(target.pid), "-d", str(args.seconds), "-o",
                                 os.path.join(tmp, "sf.folded")] + list(extra),
                                cpu=args.profiler_cpu)
        m = re.search(r"(\d+) samples, (\d+) switch-outs(?: \((\d+) without a stack\))?"
                      r".*?(\d+) lost", err)
        res.update(cpu=cpu, lost=int(m.group(4)) if m else -1,
                   stacks=int(m.group(2)) - int(m.group(3) or 0) if m else 0)
    elif mode == "perf":
        data = os.path.join(tmp, "perf.data")
        err, cpu = run_profiler(["perf", "record", "-q", "-e", "context-switches/period=1/",
                                 "--call-graph", "dwarf", "-o", data, "-p", str(target.pid)] +
                                list(extra) + ["--", "sleep", str(args.seconds)],
                                cpu=args.profiler_cpu)
        # perf script unwinds every sample (what stackfire does while it
        # records); its text goes to /dev/null.
        _, s_cpu = run_profiler(["perf", "script", "-i", data])
        # Lost to full rings: PERF_RECORD_LOST and LOST_SAMPLES records.
        lost_out = subprocess.run(["perf", "script", "-i", data, "--show-lost-events", "-F",
                                   "comm"], capture_output=True, text=True).stdout
        lost = sum(int(n) for n in re.findall(r"PERF_RECORD_LOST(?:_SAMPLES)? lost:? (\d+)",
                                              lost_out))
        stats = subprocess.run(["perf", "report", "-i", data, "--stats"], capture_output=True,
                               text=True).stdout
        m = re.search(r"SAMPLE events:\s+(\d+)", stats)
        res.update(cpu=cpu, script_cpu=s_cpu, lost=lost, stacks=int(m.group(1)) if m else 0,
                   bytes=os.path.getsize(data))
    else:
        time.sleep(args.seconds)
    t1 = time.clock_gettime(time.CLOCK_MONOTONIC)
    out, _ = target.communicate()
    # Only while both profilers surely sample: from settle seconds after the
    # profiler starts (its attach) to 0.3 s before its duration ends. Counting
    # up to the profiler's exit instead credited perf with its second or so of
    # writing perf.data after it stops sampling, while the target runs at full
    # speed (per-100 ms rates: the same 20k round trips/s under both
    # profilers, yet 1.38x against 1.32x over the old window).
    res["rate"] = rate(out.splitlines(), t0 + args.settle, t0 + args.seconds - 0.3)
    return res


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--stackfire", required=True)
    ap.add_argument("--workload", required=True)
    ap.add_argument("--seconds", type=float, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--settle", type=float, default=1.0,
                    help="seconds after the profiler starts before the rate counts (its attach)")
    ap.add_argument("--spin-ns", type=int, default=0,
                    help="work per round trip in the workload (sets the switch rate; 0: as "
                         "fast as the pipes go)")
    ap.add_argument("--cpu", type=int, default=0, help="the CPU the workload is pinned to")
    ap.add_argument("--profiler-cpu", type=int, default=1,
                    help="the CPU the profiler is pinned to (-1: not pinned)")
    ap.add_argument("--variants", nargs="*", default=[],
                    help="NAME=ARGS: more rounds with ARGS added to perf's command (NAME "
                         "perf...) or stackfire's (any other NAME)")
    args = ap.parse_args()
    if args.profiler_cpu < 0:
        args.profiler_cpu = None
    variants = [("none", "none", []), ("stackfire", "stackfire", []), ("perf", "perf", [])]
    for v in args.variants:
        name, _, extra = v.partition("=")
        variants.append((name, "perf" if name.startswith("perf") else "stackfire", extra.split()))
    results = {name: [] for name, _, _ in variants}
    with tempfile.TemporaryDirectory(prefix="stackfire-offcpu-bench-") as tmp:
        for r in range(args.rounds):
            for name, mode, extra in variants:
                res = one_round(mode, args, tmp, extra)
                res["mode"] = name
                print("round %d %s: %s" % (r, name, res), flush=True)
                results[name].append(res)
    med = lambda mode, key: statistics.median(x[key] for x in results[mode])
    base = med("none", "rate")
    print("\nround trips/s alone: %.0f (%.0f context switches/s)" % (base, 2 * base))
    print("| | stackfire --off-cpu | perf record -e context-switches -c 1 --call-graph dwarf |")
    print("|---|---|---|")
    sf_rate, pf_rate = med("stackfire", "rate"), med("perf", "rate")
    print("| target's round trips/s (alone: %.0f) | %.0f | %.0f |" % (base, sf_rate, pf_rate))
    print("| target's slowdown (alone / profiled) | %.2fx | %.2fx |" %
          (base / max(sf_rate, 1), base / max(pf_rate, 1)))
    sf_cpu = med("stackfire", "cpu") / args.seconds
    pf_cpu = med("perf", "cpu") / args.seconds
    ps_cpu = med("perf", "script_cpu") / args.seconds
    print("| profiler CPU s per s recorded | %.2f | %.2f record + %.2f perf script = %.2f |" %
          (sf_cpu, pf_cpu, ps_cpu, pf_cpu + ps_cpu))
    print("| records lost to full rings (median) | %d | %d |" %
          (med("stackfire", "lost"), med("perf", "lost")))
    stacks = med("stackfire", "stacks")
    print("| switch-out stacks kept (median) | %d | %d |" % (stacks, med("perf", "stacks")))
    print("| switch-out stacks unwound per CPU second | %.0f (stackfire, while recording) | "
          "%.0f (perf script) |" % (stacks / max(med("stackfire", "cpu"), 1e-9),
                                    med("perf", "stacks") / max(med("perf", "script_cpu"), 1e-9)))
    print("\nratios, stackfire / perf: slowdown %.2f, CPU vs perf record %.2f, "
          "CPU vs perf record + perf script %.2f" % (
              (base / max(sf_rate, 1)) / (base / max(pf_rate, 1)), sf_cpu / max(pf_cpu, 1e-9),
              sf_cpu / max(pf_cpu + ps_cpu, 1e-9)))
    if len(variants) > 3:
        print("\n| variant | slowdown | profiler CPU s/s | lost | switch-out stacks kept |")
        print("|---|---|---|---|---|")
    for name, _, extra in variants[1:] if len(variants) > 3 else []:
        print("| %s %s | %.2fx | %.2f | %d | %d |" % (
            name, " ".join(extra), base / max(med(name, "rate"), 1), med(name, "cpu") / args.seconds,
            med(name, "lost"), med(name, "stacks")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
