#!/usr/bin/env python3
"""Issue 15's report: targets that try to fool or stall a root profiler.

Each case starts a fresh target (the workloads of tests/record, issue 15),
changes its files as the case says, then records it for 2 s with the old
stackfire, the new stackfire and perf (perf record --call-graph dwarf -p PID
-- sleep 2, then perf script | stackfire collapse). For each run: the exit
status and the time it took (killed after --timeout seconds), stackfire's
peak RSS, the heaviest leaf names and the share of the function the target
really runs, and the stackfire warning that matters. Prints a Markdown
table (and writes it with --output).

Cases (as tests/record/record_hostile_target_test.cc sets them up):
  lib-replaced     a dlopen'ed library renamed over (mv new old) after it was mapped
  exe-replaced     the main binary renamed over after it started
  fifo-lib         the mapped library's path unlinked and made a FIFO
  perfmap-zero     /tmp/perf-PID.map replaced by a symlink to /dev/zero
  perfmap-sparse   /tmp/perf-PID.map made a sparse 10 GB file
  perfmap-ranges   /tmp/perf-PID.map with wrapping, 2^64-wide and 1 GiB+ ranges
  perfmap-ranges-only  the same without the true line
  fifo-debuglink   the library's .gnu_debuglink file is a FIFO
  sigterm-blocked  fifo-lib, recorded without -d; SIGTERM 2 s after the start
  sigterm-debuglink  the same with fifo-debuglink
  container        a debuglink symlink out of a pivot_root'ed container to a host FIFO

Run as root (perf_event_open on another process, unshare -m), for example:
  sudo nice -n 19 python3 bench/hostile_report.py \\
      --stackfire build/src/cli/stackfire --old-stackfire OLD/build/src/cli/stackfire \\
      --workloads build/tests/record --output bench/RESULTS-hostile.md
The workloads (hostile_target, libhostile_hot.so, libhostile_other.so,
libhostile_hot_linked.so, record_jit_ns) come from tests/record/meson.build.
"""

import argparse
import collections
import datetime
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SPIN_SECONDS = "40"  # the target outlives every run of a case


class Target:
    """A workload started in the background; `ready` read from its stdout."""

    def __init__(self, argv, cwd=None):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     cwd=cwd, start_new_session=True)
        self.pid = self.proc.pid
        self.ready_line = ""
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            if line.startswith("ready"):
                self.ready_line = line.strip()
                return
        err = self.proc.stderr.read(2000).decode(errors="replace") if self.proc.poll() is not None else ""
        self.stop()
        raise RuntimeError("target %s did not start: %s" % (argv, err))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait()
        for f in (self.proc.stdout, self.proc.stderr):
            if f:
                f.close()


class Run:
    def __init__(self):
        self.exit = None  # exit code, or -signal
        self.hung = False
        self.seconds = 0.0
        self.rss_mb = None
        self.stderr = ""
        self.folded = collections.Counter()
        self.note = ""


def spawn_and_wait(argv, timeout, stdout_path, stderr_path, signal_after=None):
    """Runs argv in its own process group; SIGKILL after `timeout` s. With
    signal_after, sends SIGTERM then and times from it. Returns a Run."""
    r = Run()
    with open(stdout_path, "wb") as out, open(stderr_path, "wb") as err:
        start = time.monotonic()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, start_new_session=True)
    sent = None
    try:
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            now = time.monotonic()
            if pid != 0:
                proc.returncode = os.waitstatus_to_exitcode(status)
                r.exit = proc.returncode
                r.rss_mb = usage.ru_maxrss / 1024.0
                break
            if signal_after is not None and sent is None and now - start >= signal_after:
                os.kill(proc.pid, signal.SIGTERM)
                sent = now
            if now - (sent if sent is not None else start) >= timeout:
                r.hung = True
                os.killpg(proc.pid, signal.SIGKILL)
                _, status, usage = os.wait4(proc.pid, 0)
                proc.returncode = -9
                r.exit = -9
                r.rss_mb = usage.ru_maxrss / 1024.0
                break
            time.sleep(0.02)
    finally:
        if proc.returncode is None:
            try:
                os.killpg(proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            proc.wait()
        # Whatever it left in its group (perf's sleep, for one).
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    r.seconds = time.monotonic() - (sent if sent is not None else start)
    with open(stderr_path, "rb") as f:
        r.stderr = f.read().decode(errors="replace")
    return r


def read_folded(path):
    folded = collections.Counter()
    try:
        with open(path, "rb") as f:
            for raw in f:
                line = raw.decode(errors="replace").rstrip("\n")
                stack, _, count = line.rpartition(" ")
                if stack and count.isdigit():
                    folded[stack] += int(count)
    except FileNotFoundError:
        pass
    return folded


def record_stackfire(binary, pid, work, timeout, duration, signal_after=None):
    out = os.path.join(work, "out.folded")
    argv = [binary, "record", "-p", str(pid), "--no-kernel", "-o", out]
    if signal_after is None:
        argv[4:4] = ["-d", str(duration)]
    r = spawn_and_wait(argv, timeout, os.path.join(work, "sf.out"), os.path.join(work, "sf.err"),
                       signal_after)
    r.folded = read_folded(out)
    return r


def record_perf(collapser, pid, work, timeout, duration, signal_after=None):
    data = os.path.join(work, "perf.data")
    if signal_after is None:
        argv = ["perf", "record", "--call-graph", "dwarf", "-o", data, "-p", str(pid),
                "--", "sleep", str(duration)]
    else:
        argv = ["perf", "record", "--call-graph", "dwarf", "-o", data, "-p", str(pid)]
    rec = spawn_and_wait(argv, timeout, os.path.join(work, "perf.out"),
                         os.path.join(work, "perf.err"), signal_after)
    if rec.hung or not os.path.exists(data):
        rec.note = "perf record" + (" hung" if rec.hung else " wrote no data")
        return rec
    # perf script reads the files at their paths now: it may block too.
    script_txt = os.path.join(work, "perf.script")
    scr = spawn_and_wait(["perf", "script", "-i", data], timeout, script_txt,
                         os.path.join(work, "perf_script.err"))
    r = Run()
    r.exit = scr.exit if rec.exit == 0 else rec.exit
    r.hung = scr.hung
    r.seconds = rec.seconds + scr.seconds
    r.stderr = rec.stderr + scr.stderr
    r.note = "record %.1f s + script %.1f s" % (rec.seconds, scr.seconds)
    if scr.hung:
        r.seconds = scr.seconds
        r.note = "in perf script; perf record took %.1f s, exit %s" % (rec.seconds, rec.exit)
    folded = os.path.join(work, "perf.folded")
    with open(script_txt, "rb") as inp, open(folded, "wb") as out:
        subprocess.run([collapser, "collapse"], stdin=inp, stdout=out, stderr=subprocess.DEVNULL,
                       timeout=60)
    r.folded = read_folded(folded)
    return r


# --- cases ---------------------------------------------------------------
# Each returns (Target, cleanup paths) after setting up its files in `work`.

def copy(src, dst, mode=None):
    shutil.copyfile(src, dst)
    if mode is not None:
        os.chmod(dst, mode)


def replace_by_rename(src, path):
    copy(src, path + ".new")
    os.rename(path + ".new", path)


def setup_lib_replaced(wl, work, extra):
    lib = os.path.join(work, "libhot.so")
    copy(os.path.join(wl, "libhostile_hot.so"), lib)
    t = Target([os.path.join(wl, "hostile_target"), lib, SPIN_SECONDS])
    replace_by_rename(os.path.join(wl, "libhostile_other.so"), lib)
    return t


def setup_exe_replaced(wl, work, extra):
    exe = os.path.join(work, "hostile_target")
    copy(os.path.join(wl, "hostile_target"), exe, 0o755)
    t = Target([exe, "-", SPIN_SECONDS])
    replace_by_rename(os.path.join(wl, "libhostile_other.so"), exe)
    return t


def setup_fifo_lib(wl, work, extra):
    lib = os.path.join(work, "libhot.so")
    copy(os.path.join(wl, "libhostile_hot.so"), lib)
    t = Target([os.path.join(wl, "hostile_target"), lib, SPIN_SECONDS])
    os.unlink(lib)
    os.mkfifo(lib, 0o600)
    return t


def start_jit(wl, extra):
    t = Target([os.path.join(wl, "record_jit_ns"), SPIN_SECONDS])
    path = t.ready_line.split(" ", 1)[1]
    extra.append(path)  # removed after the case, whatever it has become
    with open(path) as f:
        line = f.read()
    return t, path, line


def setup_perfmap_zero(wl, work, extra):
    t, path, _ = start_jit(wl, extra)
    os.unlink(path)
    os.symlink("/dev/zero", path)
    return t


def setup_perfmap_sparse(wl, work, extra):
    t, path, _ = start_jit(wl, extra)
    with open(path, "r+b") as f:
        f.truncate(10 << 30)
    return t


def write_absurd_ranges(wl, extra, keep_true_line):
    """A perf map with wrapping, all-covering and over-1-GiB lines (and,
    with keep_true_line, an overlapping one and the true line after them)."""
    t, path, line = start_jit(wl, extra)
    start = int(line.split()[0], 16)
    with open(path, "w") as f:
        f.write("ffffffffffffff00 1000 wraps_past_2_64\n")
        f.write("0 ffffffffffffffff covers_everything\n")
        f.write("%x 40000001 over_1_GiB\n" % (start - 0x1000))
        if keep_true_line:
            f.write("%x 2000 outer_overlap\n" % (start - 0x100))
            f.write(line)
    return t


def setup_perfmap_ranges(wl, work, extra):
    return write_absurd_ranges(wl, extra, True)


def setup_perfmap_ranges_only(wl, work, extra):
    return write_absurd_ranges(wl, extra, False)


def setup_fifo_debuglink(wl, work, extra):
    lib = os.path.join(work, "libhot.so")
    copy(os.path.join(wl, "libhostile_hot_linked.so"), lib)
    os.mkfifo(os.path.join(work, "libhot.debug"), 0o600)
    return Target([os.path.join(wl, "hostile_target"), lib, SPIN_SECONDS])


def setup_container(wl, work, extra):
    root = os.path.join(work, "container")
    host_fifo = os.path.join(work, "host_only.fifo")
    os.mkfifo(host_fifo, 0o600)
    for d in ("usr", "work", "oldroot"):
        os.makedirs(os.path.join(root, d))
    os.symlink("usr/lib", os.path.join(root, "lib"))
    os.symlink("usr/lib64", os.path.join(root, "lib64"))
    copy(os.path.join(wl, "hostile_target"), os.path.join(root, "work/target"), 0o755)
    copy(os.path.join(wl, "libhostile_hot_linked.so"), os.path.join(root, "work/libhot.so"))
    os.symlink(host_fifo, os.path.join(root, "work/libhot.debug"))
    script = ('mount --bind "$0" "$0" && mount --bind /usr "$0"/usr && cd "$0" && '
              'pivot_root . oldroot && exec /work/target /work/libhot.so ' + SPIN_SECONDS)
    return Target(["unshare", "-m", "sh", "-c", script, root])


CASES = [
    # name, title, setup, expected function, stderr keywords, SIGTERM after
    ("lib-replaced", "(1) dlopen'ed library replaced by rename after it was mapped",
     setup_lib_replaced, "hot_spin_inner", ["libhot.so"], None),
    ("exe-replaced", "(2) main binary replaced by rename after start",
     setup_exe_replaced, "main_spin_inner", ["hostile_target"], None),
    ("fifo-lib", "(3) FIFO at the mapped library's path (unlink + mkfifo)",
     setup_fifo_lib, "hot_spin_inner", ["libhot.so"], None),
    ("perfmap-zero", "(4a) /tmp/perf-PID.map is a symlink to /dev/zero",
     setup_perfmap_zero, "jit_spin_in_namespace", ["perf map", "perf-"], None),
    ("perfmap-sparse", "(4b) /tmp/perf-PID.map is a sparse 10 GB file",
     setup_perfmap_sparse, "jit_spin_in_namespace", ["perf map", "perf-"], None),
    ("perfmap-ranges", "(5) perf map lines with absurd ranges (wrapping, 2^64 wide, >1 GiB, overlapping)",
     setup_perfmap_ranges, "jit_spin_in_namespace", ["perf map", "perf-"], None),
    ("perfmap-ranges-only", "(5b) the same absurd lines without the true one (the JIT code has no right name)",
     setup_perfmap_ranges_only, "jit_spin_in_namespace", ["perf map", "perf-"], None),
    ("fifo-debuglink", "(6) .gnu_debuglink file (libhot.debug) is a FIFO",
     setup_fifo_debuglink, "hot_spin_inner", ["libhot.debug", "debug"], None),
    ("sigterm-blocked", "(7) SIGTERM 2 s into a recording of case 3 (no -d); time from SIGTERM to exit",
     setup_fifo_lib, "hot_spin_inner", ["terminated", "signal", "libhot.so"], 2.0),
    ("sigterm-debuglink", "(7b) SIGTERM 2 s into a recording of case 6 (no -d); time from SIGTERM to exit",
     setup_fifo_debuglink, "hot_spin_inner", ["terminated", "signal", "libhot.debug"], 2.0),
    ("container", "(8) debuglink symlink out of a pivot_root'ed container to a host FIFO",
     setup_container, "hot_spin_inner", ["libhot", "host_only", "debug"], None),
]


def frame_matches(frame, name):
    return frame == name or frame.startswith(name + "_[") or frame.startswith(name + " ")


def summarize_names(folded, expected, weighted=False):
    total = sum(folded.values())
    if total == 0:
        return "no samples"
    leaves = collections.Counter()
    with_expected = 0
    for stack, n in folded.items():
        frames = stack.split(";")
        leaves[frames[-1].strip()] += n
        if any(frame_matches(f, expected) for f in frames):
            with_expected += n
    top = ", ".join("%s %.0f%%" % (short(name, 40), 100.0 * n / total)
                    for name, n in leaves.most_common(3))
    count = "" if weighted else "%d samples; " % total
    return "%s: **%.0f%%**; %sleaves: %s" % (expected, 100.0 * with_expected / total, count, top)


def short(text, n):
    text = text.replace("|", "\\|").replace("\n", " ")
    return text if len(text) <= n else text[: n - 1] + "…"


def key_message(stderr, keywords, work):
    lines = []
    for l in stderr.splitlines():
        l = l.strip().replace(work, "$T")
        if not l:
            continue
        if lines and lines[-1] in ("Warning:", "Error:"):  # perf's message is on the next line
            lines[-1] += " " + l
        else:
            lines.append(l)
    marks = ("warning", "error", "fail", "terminated", "signal", "perf map", "cannot", "skipped")
    marked = [l for l in lines if any(m in l.lower() for m in marks)]
    picked = [l for l in marked if any(k in l for k in keywords)] or marked
    picked = list(dict.fromkeys(picked))  # perf record and perf script repeat some
    if not picked:
        picked = [l for l in lines if "sample" in l][:1]
    return "<br>".join(short(l, 150) for l in picked[:2]) or "(nothing printed)"


def status_cell(r, case_signal):
    if r.hung:
        s = "**hung, killed after %.0f s**" % r.seconds
        if case_signal:
            s = "**still running %.0f s after SIGTERM, killed**" % r.seconds
    else:
        how = "exit %d" % r.exit if r.exit >= 0 else "killed by signal %d" % -r.exit
        s = "%s after %.1f s" % (how, r.seconds)
        if case_signal:
            s = "%s, %.1f s after SIGTERM" % (how, r.seconds)
    if r.rss_mb is not None and r.note == "":
        s += ", max RSS %.0f MB" % r.rss_mb
    if r.note:
        s += " (%s)" % r.note
    return s


def git_commit(binary):
    """The checkout's HEAD and the last commit that changed the code built
    into the binary (src/, include/, meson files)."""
    d = os.path.dirname(os.path.realpath(binary))
    while d != "/":
        if os.path.exists(os.path.join(d, ".git")):
            def log(*paths):
                out = subprocess.run(["git", "-C", d, "log", "-1", "--format=%h %s", "--"] +
                                     list(paths), capture_output=True, text=True)
                return short(out.stdout.strip(), 80) if out.returncode == 0 else "?"
            return "checkout at %s; last change to src/: %s" % (log(), log("src", "include"))
        d = os.path.dirname(d)
    return "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--stackfire", required=True, help="the new stackfire binary")
    ap.add_argument("--old-stackfire", required=True, help="stackfire from before the fixes")
    ap.add_argument("--workloads", help="tests/record build folder (default: next to --stackfire)")
    ap.add_argument("--timeout", type=float, default=25.0)
    ap.add_argument("--duration", type=float, default=2.0)
    ap.add_argument("--cases", default=",".join(c[0] for c in CASES))
    ap.add_argument("--tools", default="old,new,perf", help="which of old,new,perf to run")
    ap.add_argument("--output", help="also write the report here")
    args = ap.parse_args()
    new_bin = os.path.abspath(args.stackfire)
    old_bin = os.path.abspath(args.old_stackfire)
    wl = args.workloads or os.path.join(os.path.dirname(new_bin), "..", "..", "tests", "record")
    wl = os.path.abspath(wl)
    wanted = args.cases.split(",")
    tools = [("old stackfire", lambda pid, w, sa: record_stackfire(old_bin, pid, w, args.timeout,
                                                                    args.duration, sa)),
             ("new stackfire", lambda pid, w, sa: record_stackfire(new_bin, pid, w, args.timeout,
                                                                    args.duration, sa)),
             ("perf", lambda pid, w, sa: record_perf(new_bin, pid, w, args.timeout,
                                                     args.duration, sa))]

    tools = [t for t in tools if t[0].split()[0] in args.tools.split(",")]
    started = datetime.datetime.now(datetime.timezone.utc)
    rows = []
    for name, title, setup, expected, keywords, sig in CASES:
        if name not in wanted:
            continue
        for tool, record in tools:
            work = tempfile.mkdtemp(prefix="sf_hostile_")
            extra = []
            target = None
            try:
                target = setup(wl, work, extra)
                r = record(target.pid, work, sig)
                rows.append((title, tool, status_cell(r, sig), summarize_names(r.folded, expected, tool == "perf"),
                             key_message(r.stderr, keywords, work)))
            except Exception as e:  # a case that cannot be set up here
                rows.append((title, tool, "not run: %s" % short(str(e), 120), "", ""))
            finally:
                if target is not None:
                    target.stop()
                for p in extra:
                    if os.path.lexists(p):
                        os.unlink(p)
                shutil.rmtree(work, ignore_errors=True)
            print("%-16s %-14s %s" % (name, tool, rows[-1][2]), file=sys.stderr, flush=True)

    load = os.getloadavg()
    lines = []
    lines.append("# Hostile targets (issue 15): before and after, next to perf")
    lines.append("")
    lines.append("Run on %s UTC; load average %.2f %.2f %.2f at the end (2 cores, shared "
                 "with other jobs), recordings of %.0f s, each run killed after %.0f s." %
                 (started.strftime("%Y-%m-%d %H:%M"), load[0], load[1], load[2], args.duration,
                  args.timeout))
    lines.append("")
    lines.append("- old stackfire: `%s` (%s)" % (os.path.relpath(old_bin, "/work") if old_bin.startswith("/work") else old_bin, git_commit(old_bin)))
    lines.append("- new stackfire: `%s` (%s)" % (os.path.relpath(new_bin, "/work") if new_bin.startswith("/work") else new_bin, git_commit(new_bin)))
    perf_v = subprocess.run(["perf", "--version"], capture_output=True, text=True).stdout.strip()
    lines.append("- perf: %s; `perf record --call-graph dwarf -p PID -- sleep %.0f`, then "
                 "`perf script | stackfire collapse`" % (perf_v, args.duration))
    lines.append("- stackfire: `stackfire record -p PID -d %.0f --no-kernel -o out.folded`" %
                 args.duration)
    lines.append("")
    lines.append("Names: the share of samples whose stack holds the function the target really "
                 "runs (bold), then the three heaviest leaves. $T is the case's temporary folder.")
    lines.append("")
    last = None
    for title, tool, status, names, msg in rows:
        if title != last:
            lines.append("")
            lines.append("### " + title)
            lines.append("")
            lines.append("| tool | exit / time | names | what it printed (shortened) |")
            lines.append("|---|---|---|---|")
            last = title
        lines.append("| %s | %s | %s | %s |" % (tool, status, names, msg))
    lines.append("")
    lines.append("Run again (as root; build the binaries and workloads first):")
    lines.append("")
    lines.append("```")
    lines.append("git worktree add --detach ../old b16fd1b^ && (cd ../old && meson setup build "
                 "--buildtype=release && ninja -C build src/cli/stackfire)")
    lines.append("ninja -C build src/cli/stackfire tests/record/hostile_target "
                 "tests/record/libhostile_hot.so tests/record/libhostile_other.so "
                 "tests/record/libhostile_hot_linked.so tests/record/record_jit_ns")
    lines.append("python3 bench/hostile_report.py --stackfire build/src/cli/stackfire "
                 "--old-stackfire ../old/build/src/cli/stackfire --output bench/RESULTS-hostile.md")
    lines.append("```")
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.output:
        with open(args.output, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
