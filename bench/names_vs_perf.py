#!/usr/bin/env python3
"""Frame names: stackfire record vs perf record --call-graph dwarf on the same process.

  bench/names_vs_perf.py --stackfire build/src/cli/stackfire [--before OLD_STACKFIRE]
                         [--seconds 4] [--only node,xz]

For each program (node running testdata/workloads/node_builtins.js under
--perf-basic-prof; Debian's stripped xz compressing a text file with -9), the
program is started, then `perf record -F 499 --call-graph dwarf -p PID` and
`stackfire record -F 499 -p PID` sample it for the same seconds, at the same
time. With --before, an older stackfire binary samples a second run of the
program alone (for the "before" column). perf's samples are folded with
`perf script | stackfire collapse`; stackfire's folded output is taken as it is.

Per profile:
  - samples;
  - unnamed: the share of samples with a frame that names no function:
    "[unknown]" or a "[module]" box ("[truncated]" and "[kernel.kallsyms]"
    included);
  - rooted: the share of samples whose stack starts at the process's entry (its most
    common root frame) or a thread's (clone3, start_thread);
  - distinct frames in the stripped modules (xz: /usr/bin/xz and liblzma;
    node: /usr/bin/node), read from perf script's dso column and from
    stackfire's pprof export (`go tool pprof -raw`), which name each frame's
    mapping;
  - the top-10 functions by self samples, and the largest gap between the two
    tools among them, after normalising names: the "_[k]"/"_[j]"/"_[i]"
    suffixes, JIT prefixes ("JS:*" and "JS:~" are one function), glibc's
    aliases (__memmove_*/__memcpy_* -> memcpy, ___pthread_mutex_lock ->
    pthread_mutex_lock, ...).
"""
import argparse
import collections
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def fold(path, drop_comm=False):
    stacks = collections.Counter()
    with open(path, errors="replace") as f:
        for line in f:
            line = line.rstrip("\n")
            if not line:
                continue
            stack, _, n = line.rpartition(" ")
            frames = stack.split(";")
            if drop_comm:
                frames = frames[1:]
            stacks[tuple(frames)] += float(n)
    return stacks


ALIASES = [
    (re.compile(r"^__(memmove|memcpy)_\w+$"), "memcpy"),
    (re.compile(r"^__(memset)_\w+$"), "memset"),
    (re.compile(r"^__(str\w+?|mem\w+?)_(avx|sse|evex)\w*$"), r"\1"),
    (re.compile(r"^_*pthread_mutex_(un)?lock$"), r"pthread_mutex_\1lock"),
    (re.compile(r"^__GI_+"), ""),
    (re.compile(r"^__libc_(read|write)$"), r"\1"),
]


def normalize(frame):
    for suffix in ("_[k]", "_[j]", "_[i]"):
        if frame.endswith(suffix):
            frame = frame[: -len(suffix)]
    frame = re.sub(r"^JS:[*~^]?", "JS:", frame)
    for pattern, repl in ALIASES:
        frame = pattern.sub(repl, frame)
    return frame


def unnamed(frame):
    return frame.startswith("[") and frame.endswith("]")


def stats(stacks):
    total = sum(stacks.values())
    roots = collections.Counter()
    for frames, n in stacks.items():
        roots[frames[0]] += n
    entry = roots.most_common(1)[0][0] if roots else ""
    thread_roots = {entry, "clone3", "__clone3", "clone", "start_thread"}
    self_ = collections.Counter()
    which = collections.Counter()
    un = rooted = by_address = 0
    for frames, n in stacks.items():
        if any(re.match(r"^[^\[;]+\+0x[0-9a-f]+$", f) for f in frames):
            by_address += n
        self_[normalize(frames[-1])] += n
        names = {f for f in frames if unnamed(f)}
        if names:
            un += n
            for f in names:
                which[f] += n
        if frames[0] in thread_roots:
            rooted += n
    return {"samples": total, "unnamed": 100 * un / total if total else 0,
            "by_address": 100 * by_address / total if total else 0,
            "rooted": 100 * rooted / total if total else 0,
            "self": {k: 100 * v / total for k, v in self_.items()},
            "unnamed_frames": [f"{k} {100 * v / total:.1f} %" for k, v in which.most_common(3)]}


def perf_module_frames(perf_data, modules):
    """Distinct symbols perf gives to frames in `modules` (by dso path)."""
    out = subprocess.run(["perf", "script", "-i", perf_data], capture_output=True, text=True).stdout
    names = set()
    for line in out.splitlines():
        m = re.match(r"^\s+[0-9a-f]+ (.*) \((.*)\)$", line)
        if not m or not any(m.group(2).endswith(mod) for mod in modules):
            continue
        names.add(re.sub(r"\+0x[0-9a-f]+$", "", m.group(1)))
    return names


def pprof_module_frames(pb, modules):
    """Distinct function names in stackfire's pprof export, by mapping file."""
    out = subprocess.run(["go", "tool", "pprof", "-symbolize=none", "-raw", pb],
                         capture_output=True, text=True).stdout
    mappings = {}
    section = None
    locations = []
    for line in out.splitlines():
        if line in ("Locations", "Mappings", "Samples:"):
            section = line
            continue
        if section == "Mappings":
            m = re.match(r"^\s*(\d+): \S+ (\S+)", line)
            if m:
                mappings[m.group(1)] = m.group(2)
        elif section == "Locations":
            m = re.match(r"^\s*\d+: 0x[0-9a-f]+ M=(\d+) (.*?) ?(\S*:\d+)? s=\d+$", line)
            if m:
                locations.append([m.group(1), m.group(2), False])
            else:
                m = re.match(r"^\s+(.*?) ?(\S*:\d+)? s=\d+$", line)
                if m and locations:
                    # A further line of the same location: the caller of
                    # the previous one, which was inlined into it.
                    locations.append([locations[-1][0], m.group(1), True])
    names = set()
    # The function that holds each address (a location's last line), not the
    # inlined calls in it: perf script counts those apart, "(inlined)".
    locations = [locations[i] for i in range(len(locations))
                 if i + 1 == len(locations) or not locations[i + 1][2]]
    for mapping, name, _ in locations:
        if any(mappings.get(mapping, "").endswith(mod) for mod in modules):
            names.add(re.sub(r"_\[i\]$", "", name))
    return names


def start(argv, cwd):
    return subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def record(args, program, work, label, binary, with_perf):
    target = start(program["argv"], work)
    time.sleep(program["warmup"])
    sf_folded = os.path.join(work, f"{label}.folded")
    sf_pb = os.path.join(work, f"{label}.pb.gz")
    sf_cmd = [binary, "record", "-q", "-F", "499", "-p", str(target.pid), "-d", str(args.seconds),
              "-o", sf_folded]
    if with_perf:
        sf_cmd += ["-o", sf_pb]
    perf_data = os.path.join(work, "perf.data")
    perf = None
    if with_perf:
        perf = subprocess.Popen(["perf", "record", "-q", "-F", "499", "--call-graph", "dwarf",
                                 "-p", str(target.pid), "-o", perf_data, "--", "sleep",
                                 str(args.seconds)], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
    sf = subprocess.run(sf_cmd, capture_output=True, text=True)
    if perf:
        perf.wait()
    target.send_signal(signal.SIGTERM)
    target.wait()
    result = {"stackfire": stats(fold(sf_folded)), "stderr": sf.stderr}
    if with_perf:
        script = subprocess.run(["perf", "script", "-i", perf_data], capture_output=True)
        perf_folded = os.path.join(work, "perf.folded")
        with open(perf_folded, "wb") as f:
            subprocess.run([args.stackfire, "collapse"], input=script.stdout, stdout=f)
        result["perf"] = stats(fold(perf_folded, drop_comm=True))
        # perf's folded counts are periods (ns): count the samples themselves.
        result["perf"]["samples"] = sum(
            1 for line in script.stdout.decode(errors="replace").splitlines()
            if line and not line[0].isspace())
        result["perf_frames"] = perf_module_frames(perf_data, program["stripped"])
        result["stackfire_frames"] = pprof_module_frames(sf_pb, program["stripped"])
    return result


def top_gap(a, b, n=10):
    keys = sorted(set(a) | set(b), key=lambda k: -max(a.get(k, 0), b.get(k, 0)))[:n]
    gaps = [(abs(a.get(k, 0) - b.get(k, 0)), k) for k in keys]
    return max(gaps) if gaps else (0, ""), keys


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--stackfire", required=True)
    p.add_argument("--before", help="an older stackfire binary, for a 'before' column")
    p.add_argument("--seconds", type=float, default=4)
    p.add_argument("--only", default="node,xz")
    args = p.parse_args()
    args.stackfire = os.path.abspath(args.stackfire)
    work = tempfile.mkdtemp(prefix="names_vs_perf_")
    text = os.path.join(work, "input.txt")
    with open(text, "wb") as f:  # base64 of random bytes: xz works hard on it
        f.write(subprocess.run(["sh", "-c", "head -c 60000000 /dev/urandom | base64"],
                               capture_output=True).stdout)
    node = shutil.which("node") or shutil.which("nodejs")
    programs = {
        "node": {"argv": [node, "--perf-basic-prof",
                          os.path.join(ROOT, "testdata/workloads/node_builtins.js"),
                          str(args.seconds + 3)],
                 "warmup": 1.0, "stripped": ["/usr/bin/node"]},
        "xz": {"argv": ["xz", "-9", "-T1", "-c", text], "warmup": 0.5,
               "stripped": ["/usr/bin/xz", "liblzma.so.5.4.1"]},
    }
    for name in args.only.split(","):
        program = programs[name]
        r = record(args, program, work, "new", args.stackfire, with_perf=True)
        before = record(args, program, work, "before", args.before, False) if args.before else None
        s, q = r["stackfire"], r["perf"]
        (gap, gap_fn), keys = top_gap(s["self"], q["self"])
        print(f"\n## {name}: {' '.join(os.path.basename(a) for a in program['argv'][:3])}\n")
        cols = ["perf", "stackfire"] + (["stackfire before"] if before else [])
        print("| | " + " | ".join(cols) + " |")
        print("|---" * (len(cols) + 1) + "|")
        def row(label, vals):
            print(f"| {label} | " + " | ".join(vals) + " |")
        vals = [q, s] + ([before["stackfire"]] if before else [])
        row("samples", [f"{v['samples']:.0f}" for v in vals])
        row("samples with an unnamed frame", [f"{v['unnamed']:.1f} %" for v in vals])
        row("samples with a frame named by module+0xSTART", [f"{v['by_address']:.1f} %" for v in vals])
        row("stacks that reach a root", [f"{v['rooted']:.1f} %" for v in vals])
        row("distinct frames in " + ", ".join(os.path.basename(m) for m in program["stripped"]),
            [str(len(r["perf_frames"])), str(len(r["stackfire_frames"]))] +
            (["-"] if before else []))
        # perf's "[module]" is all of a module's unnamed functions: compare
        # stackfire's "module+0xSTART" frames as that one box too.
        as_module = collections.Counter()
        for k, v in s["self"].items():
            as_module[re.sub(r"^(.+)\+0x[0-9a-f]+$", r"[\1]", k)] += v
        (mgap, mgap_fn), _ = top_gap(as_module, q["self"])
        print(f"\nTop {len(keys)} functions by self samples (largest gap: {gap:.1f} points, "
              f"`{gap_fn}`; with stackfire's `module+0x...` frames counted as perf's "
              f"`[module]`: {mgap:.1f} points, `{mgap_fn}`):\n")
        print("| function | perf | stackfire |")
        print("|---|---|---|")
        for k in keys:
            print(f"| `{k[:90]}` | {q['self'].get(k, 0):.1f} % | {s['self'].get(k, 0):.1f} % |")
        for tool, v in (("perf", q), ("stackfire", s)):
            if v["unnamed_frames"]:
                print(f"\n{tool}'s most common unnamed frames: " + ", ".join(
                    f"`{f}`" for f in v["unnamed_frames"]))
        warnings = [l for l in r["stderr"].splitlines() if "warning" in l]
        if warnings:
            print("\nstackfire's warnings: " + "; ".join(w.replace("stackfire: warning: ", "")
                                                        for w in warnings))
        if before:
            bw = [l for l in before["stderr"].splitlines() if "warning" in l]
            if bw:
                print("\nbefore, stackfire's warnings: " +
                      "; ".join(w.replace("stackfire: warning: ", "") for w in bw))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
