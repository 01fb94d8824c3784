#!/usr/bin/env python3
"""The field suite's wall-clock run: `stackfire record --off-cpu` on
Debian's stripped redis-server under redis-benchmark, next to
`perf record -e context-switches -c 1 --call-graph dwarf` on the same
process at the same time (perf starts when stackfire says it samples).

redis has threads of both kinds the issue names: an event loop that blocks
in epoll_wait between requests, and background threads (bio_*, jemalloc's)
blocked in pthread_cond_wait from before the attach to after the stop.

Checks:
  - every thread of the server is in the profile, and each one's on-CPU plus
    off-CPU time is the recording's time within 10 % (recorded again once
    when stackfire lost records; 25 % if it lost some again, when a thread's
    CPU time is estimated from its samples);
  - the threads that never ran (the bio threads) have at least 90 % of their
    time off CPU, under a stack that reaches start_thread through
    pthread_cond_wait: the stack read from /proc at the attach, since they
    never switch;
  - the event loop's switch-outs: every named user function that perf finds
    at the syscall side of at least 5 % of them (epoll_wait, write, read...)
    is a leaf of stackfire's off-CPU stacks of that thread too;
  - no more off-CPU time under an [unknown] frame than 1 %;
  - a stack for every switch-out but those whose records were lost (1 %
    slack): perf's event on the same threads once gave stackfire's samples
    perf's clock, and 15 % of them lost their switch;
  - both tools counted switch-outs at a similar rate (0.5x-2x of each other:
    not the same 4 s window, and perf loses records when its rings fill).

Exit 0: passed; 1: a check failed (FAIL lines say which); 77: redis, perf or
perf_event_open is not available here.
"""
import collections
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fieldlib as fl  # noqa: E402

SECONDS = 4
TOTAL_TOLERANCE = 0.10   # a thread's on+off time against the recording's
TOTAL_TOLERANCE_LOST = 0.25  # the same when records were lost (times estimated)
BLOCKED_OFF_MIN = 90.0   # percent off CPU of a thread that never ran
LEAF_SHARE_MIN = 5.0     # percent of perf's event-loop switch-outs
UNKNOWN_MAX = 1.0        # percent of off-CPU time
RATE_RATIO = (0.5, 2.0)  # stackfire's switch-outs/s against perf's

failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)


def is_kernel(frame):
    return frame.endswith("_[k]")


def user_leaf(frames):
    """The innermost user frame of a stack (inline frames left out), or None."""
    for f in reversed(frames):
        if f == "[off-cpu]" or is_kernel(f) or f.endswith("_[i]"):
            continue
        return f
    return None


def per_thread(stacks):
    """{root "comm-PID/TID": [(frames, weight)]} of folded stacks."""
    out = collections.defaultdict(list)
    for stack, w in stacks.items():
        frames = stack.split(";")
        out[frames[0]].append((frames[1:], w))
    return out


def tid_of(root):
    m = re.search(r"/(\d+)$", root)  # "comm-PID/TID" (perf script's default has no PID: "?")
    return int(m.group(1)) if m else None


def main():
    server, bench = "/usr/bin/redis-server", "/usr/bin/redis-benchmark"
    for path, pkg in ((server, "redis-server"), (bench, "redis-tools")):
        if not os.access(path, os.X_OK):
            print("SKIP: %s is not installed: apt-get install %s" % (path, pkg))
            return fl.SKIP
    if shutil.which("perf") is None:
        print("SKIP: perf is not installed (apt-get install linux-perf): it is the reference")
        return fl.SKIP
    tmp = tempfile.mkdtemp(prefix="field-offcpu-")
    try:
        refused = fl.perf_event_refused(tmp)
        if refused:
            print("SKIP: perf_event_open is refused here: " + refused)
            return fl.SKIP
        run(server, bench, tmp)
    except (RuntimeError, subprocess.TimeoutExpired) as e:
        check(False, str(e))
    if failures:
        print("kept the recordings in %s" % tmp)
        return 1
    shutil.rmtree(tmp, ignore_errors=True)
    print("redis --off-cpu: all checks passed")
    return 0


def record_both(pid, tmp):
    """stackfire --off-cpu and perf's context-switches on pid at once;
    returns (stackfire's folded, its stderr, perf's folded)."""
    sf_out = os.path.join(tmp, "sf.folded")
    perf_data = os.path.join(tmp, "perf.data")
    sf = subprocess.Popen([fl.BIN, "record", "--off-cpu", "--per-thread", "-p", str(pid),
                           "-d", str(SECONDS), "-o", sf_out],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = sf.stderr.readline()  # "stackfire: sampling ..." (or an error, then EOF)
    perf = subprocess.Popen(["perf", "record", "-q", "-e", "context-switches", "-c", "1",
                             "--call-graph", "dwarf", "-o", perf_data, "-p", str(pid), "--",
                             "sleep", str(SECONDS)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, sf_err = sf.communicate(timeout=SECONDS + 120)
    _, perf_err = perf.communicate(timeout=SECONDS + 120)
    sf_err = first + sf_err
    print(sf_err.rstrip())
    if sf.returncode != 0:
        raise RuntimeError("stackfire record --off-cpu -p %d exited %d:\n%s"
                           % (pid, sf.returncode, sf_err))
    if perf.returncode != 0 or not os.path.exists(perf_data):
        raise RuntimeError("perf record -p %d exited %d:\n%s" % (pid, perf.returncode, perf_err))
    script = subprocess.run(["perf", "script", "--no-inline", "-i", perf_data],
                            capture_output=True, timeout=600)
    if script.returncode != 0:
        raise RuntimeError("perf script exited %d: %s"
                           % (script.returncode, script.stderr.decode(errors="replace")))
    perf_out = os.path.join(tmp, "perf.folded")
    with open(perf_out, "wb") as out:
        c = subprocess.run([fl.BIN, "collapse", "--tid", "--kernel"], input=script.stdout,
                           stdout=out, stderr=subprocess.PIPE, timeout=300)
    if c.returncode != 0:
        raise RuntimeError("stackfire collapse of perf script exited %d: %s"
                           % (c.returncode, c.stderr.decode(errors="replace")))
    return fl.read_folded(sf_out), sf_err, fl.read_folded(perf_out)


def lost_records(sf_err):
    m = re.search(r"(\d+) lost", sf_err)
    return int(m.group(1)) if m else 0


def cpu_ticks(pid, tid):
    with open("/proc/%d/task/%d/stat" % (pid, tid)) as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def run(server, bench, tmp):
    port = fl.free_port()
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly",
            "no", "--daemonize", "no", "--dir", tmp, "--logfile", "", "--protected-mode", "yes"]
    with fl.Child(args) as srv:
        deadline = time.time() + 30
        while time.time() < deadline:
            line = srv.proc.stdout.readline().decode(errors="replace")
            if not line or "Ready to accept connections" in line:
                break
        if "Ready to accept connections" not in line:
            raise RuntimeError("redis-server did not print 'Ready to accept connections'")
        # Not pipelined: the event loop blocks in epoll_wait between requests.
        load = [bench, "-h", "127.0.0.1", "-p", str(port), "-q", "-l", "-c", "2", "-r", "100000",
                "-t", "get,set"]
        with fl.Child(load, stdout=subprocess.DEVNULL):
            time.sleep(1.0)
            srv.check_running()
            tids = sorted(int(t) for t in os.listdir("/proc/%d/task" % srv.pid))
            before = {t: cpu_ticks(srv.pid, t) for t in tids}
            sf, sf_err, perf = record_both(srv.pid, tmp)
            if lost_records(sf_err) > 0:
                # Four busy processes on two CPUs: a late drain loses records
                # (stackfire counts them and says which threads' times are
                # then estimated). The comparison wants a clean recording.
                print("stackfire lost records; recording again once")
                sf, sf_err, perf = record_both(srv.pid, tmp)
            idle = {t for t in tids if cpu_ticks(srv.pid, t) == before[t]}
            srv.check_running()
    compare(srv.pid, tids, idle, sf, sf_err, perf)


def compare(pid, tids, idle, sf, sf_err, perf):
    m = re.search(r"wall clock: ([0-9.]+) s per thread", sf_err)
    check(m is not None, "no wall-clock line in stackfire's summary")
    if m is None:
        return
    wall_us = float(m.group(1)) * 1e6
    threads = per_thread(sf)
    by_tid = {tid_of(root): root for root in threads}
    print("threads: %s; never ran during the recording: %s" % (tids, sorted(idle)))
    for tid in tids:
        root = by_tid.get(tid)
        check(root is not None, "thread %d of redis-server is not in the profile" % tid)
        if root is None:
            continue
        total = sum(w for _, w in threads[root])
        off = sum(w for fr, w in threads[root] if fr and fr[-1] == "[off-cpu]")
        print("  %-32s on+off %.3f s of %.3f s, off CPU %.1f %%"
              % (root, total / 1e6, wall_us / 1e6, 100.0 * off / max(total, 1)))
        # With records lost (twice), a thread's CPU time may be estimated
        # from its clock samples (the summary says so): within 25 %.
        tolerance = TOTAL_TOLERANCE if lost_records(sf_err) == 0 else TOTAL_TOLERANCE_LOST
        check(abs(total - wall_us) <= tolerance * wall_us,
              "%s: on+off %.3f s, the recording %.3f s (tolerance %d %%)"
              % (root, total / 1e6, wall_us / 1e6, tolerance * 100))
        if tid in idle and tid != pid:
            blocked = sum(w for fr, w in threads[root]
                          if fr and fr[-1] == "[off-cpu]" and "start_thread" in fr
                          and any(fl.normalise(f).startswith("pthread_cond_") for f in fr))
            check(100.0 * blocked / max(total, 1) >= BLOCKED_OFF_MIN,
                  "%s never ran, yet only %.1f %% of its time is off CPU under start_thread;"
                  "pthread_cond_*wait: %s" % (root, 100.0 * blocked / max(total, 1),
                                              max(threads[root], key=lambda x: x[1])[0]))

    # The event loop: perf's user leaves at switch-out against stackfire's.
    main_root = by_tid.get(pid)
    perf_main = [r for r in per_thread(perf) if tid_of(r) == pid]
    check(bool(perf_main), "perf has no switch-out of the main thread %d" % pid)
    if main_root is None or not perf_main:
        return
    perf_leaves = collections.Counter()
    for fr, w in per_thread(perf)[perf_main[0]]:
        leaf = user_leaf(fr)
        perf_leaves[fl.normalise(leaf) if leaf else "(kernel only)"] += w
    perf_total = sum(perf_leaves.values())
    sf_leaves = collections.Counter()
    for fr, w in threads[main_root]:
        if fr and fr[-1] == "[off-cpu]":
            leaf = user_leaf(fr)
            sf_leaves[fl.normalise(leaf) if leaf else "(kernel only)"] += w
    print("event loop's switch-outs by user leaf, perf (count) / stackfire (off-CPU us):")
    for name, n in perf_leaves.most_common(8):
        print("  %5.1f %%  %10.0f us  %s" % (100.0 * n / perf_total, sf_leaves.get(name, 0), name))
    for name, n in perf_leaves.items():
        share = 100.0 * n / perf_total
        if share < LEAF_SHARE_MIN or name == "(kernel only)" or fl.is_unnamed(name) \
                or name.startswith("["):
            continue
        check(sf_leaves.get(name, 0) > 0,
              "perf finds the event loop switching out in %s (%.1f %% of its switch-outs); "
              "stackfire's off-CPU stacks of that thread never end there (its leaves: %s)"
              % (name, share, ", ".join(k for k, _ in sf_leaves.most_common(6))))

    off_total = sum(w for s, w in sf.items() if s.endswith(";[off-cpu]"))
    unknown = sum(w for s, w in sf.items() if s.endswith(";[off-cpu]") and "[unknown]" in s)
    check(100.0 * unknown / max(off_total, 1) <= UNKNOWN_MAX,
          "%.1f %% of stackfire's off-CPU time is under [unknown] (max %.0f %%)"
          % (100.0 * unknown / max(off_total, 1), UNKNOWN_MAX))

    m = re.search(r"(\d+) switch-outs(?: \((\d+) without a stack\))?", sf_err)
    sf_switches = int(m.group(1)) if m else 0
    # A switch-out is without a stack when its sample was lost, or when its
    # sample could not be paired with its switch record (as when perf's
    # event on the same thread gave our samples perf's clock).
    unstacked = int(m.group(2) or 0) if m else 0
    check(unstacked <= lost_records(sf_err) + sf_switches // 100,
          "%d of stackfire's %d switch-outs have no stack, with %d records lost"
          % (unstacked, sf_switches, lost_records(sf_err)))
    perf_switches = sum(perf.values())
    ratio = sf_switches / max(perf_switches, 1)
    print("switch-outs in %d s: stackfire %d, perf %d (ratio %.2f)"
          % (SECONDS, sf_switches, perf_switches, ratio))
    check(RATE_RATIO[0] <= ratio <= RATE_RATIO[1],
          "stackfire counted %d switch-outs, perf %d in the same %d s (ratio %.2f, allowed "
          "%.1f-%.1f)" % (sf_switches, perf_switches, SECONDS, ratio, *RATE_RATIO))


if __name__ == "__main__":
    sys.exit(main())
