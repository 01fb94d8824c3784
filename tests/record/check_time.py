#!/usr/bin/env python3
"""Time in stackfire's outputs (issue 14), on record_phases: f() then g(),
alternating at known times that the workload writes down.

  - collapse --from/--to on the golden perf script corpus: the slice equals
    `stackfire collapse` of the text with only the samples in range kept
    (cut here, in Python), for relative and @absolute bounds;
  - the SVG's frame table "time" data: in every bucket well inside an f
    phase, f owns >= 90 % of the samples (and g in g's);
  - -o x.perf.txt: `stackfire collapse --all` of it gives the recording's
    folded stacks (under the process name the script adds); its samples are
    in time order, and so are speedscope's (f's run, then g's);
  - --every: one complete file per interval, numbered, the last one written
    after a stop mid-interval (SIGINT) and complete; their samples add up to
    the recording's; existing files are refused unless --overwrite;
  - the commands README.md and the man pages show for these (shortened).

Exits 77 (meson's SKIP) when perf_event_open is refused, after the checks
that need no sampling.
"""
import collections
import functools
import glob
import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SKIP, check, failures, finish, stackfire  # noqa: E402
from testlib import parse_folded as folded  # noqa: E402

BIN = os.environ["STACKFIRE_BIN"]
WORKLOADS = os.environ["RECORD_WORKLOADS"]
TESTDATA = os.environ["STACKFIRE_TESTDATA"]
PHASES = os.path.join(WORKLOADS, "record_phases")
run = functools.partial(stackfire, text=True, timeout=120)


EVENT_TIME = re.compile(r"^\S.*?\s(\d+\.\d+):")


def samples_of(text):
    """The perf script text cut into samples: (time or None, text)."""
    out = []
    for block in re.split(r"\n\s*\n", text):
        if not block.strip():
            continue
        lines = [l for l in block.strip("\n").split("\n") if not l.startswith("#")]
        if not lines:
            continue
        block = "\n".join(lines)
        head = lines[0]
        m = EVENT_TIME.match(head)
        out.append((float(m.group(1)) if m else None, block.strip("\n")))
    return out


def check_slicing():
    for name in ["perf-funcab-cmd-01.txt", "perf-dd-stacks-01.txt", "cpp-stacks-std-function.txt"]:
        path = os.path.join(TESTDATA, "perf-script", "input", name)
        with open(path, encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        samples = [s for s in samples_of(text) if s[0] is not None]
        if not check(len(samples) > 10, f"{name}: has timed samples"):
            continue
        first, last = samples[0][0], samples[-1][0]
        a, b = (last - first) * 0.25, (last - first) * 0.6
        for args, lo, hi in [(["--from", f"{a:.6f}", "--to", f"{b:.6f}"], first + a, first + b),
                             (["--from", f"@{first + a:.6f}"], first + a, float("inf")),
                             (["--to", f"{b:.6f}"], float("-inf"), first + b)]:
            kept = "\n\n".join(s[1] for s in samples if lo - 5e-7 <= s[0] < hi - 5e-7) + "\n"
            with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as t:
                t.write(kept)
            want = run(["collapse", t.name])
            got = run(["collapse", path] + args)
            os.unlink(t.name)
            check(got.returncode == 0 and got.stdout == want.stdout and got.stdout,
                  f"{name} collapse {' '.join(args)}: the slice's stacks ({got.stderr.strip()})")
    inputs = os.path.join(TESTDATA, "perf-script", "input")
    r = run(["collapse", "--from", "abc", os.path.join(inputs, "perf-funcab-cmd-01.txt")])
    check(r.returncode == 2 and "--from 'abc' is not a time" in r.stderr, f"bad --from: {r.stderr}")
    r = run(["collapse", "--from", "1", os.path.join(inputs, "go-stacks.txt")])
    check(r.returncode == 1 and "between --from and --to" in r.stderr and "0.017 s" in r.stderr,
          f"a range past the input's end: {r.stderr}")
    r = run(["collapse", "--from", "1", "-"], input="prog 12/12 cpu-clock:\n\t 400000 f (/bin/x)\n\n")
    check(r.returncode == 1 and "have no times" in r.stderr, f"untimed input: {r.stderr}")


def record(args, **kw):
    return run(["record", "-q", "-F", "499"] + args, **kw)


def phases(path):
    out = []
    with open(path) as f:
        for line in f:
            fn, a, b = line.split()
            out.append((fn, float(a), float(b)))
    return out


def frame_table(svg):
    with open(svg, encoding="utf-8") as f:
        text = f.read()
    m = re.search(r'<metadata id="sfdata">(.*?)</metadata>', text, re.S)
    return json.loads(m.group(1))


def check_frame_table(tmp):
    svg, times = os.path.join(tmp, "p.svg"), os.path.join(tmp, "p.times")
    r = record(["-o", svg, "--", PHASES, "1", "4", times])
    if r.returncode != 0 and re.search(r"perf_event_open|perf_event_paranoid|CAP_PERFMON", r.stderr):
        print("SKIP: perf_event_open refused:", r.stderr.strip())
        sys.exit(SKIP if not failures else 1)
    if not check(r.returncode == 0, f"record phases: {r.stderr}"):
        return
    ET.parse(svg)  # well-formed
    t = frame_table(svg)
    tm = t["time"]
    # Frames under (or at) a frame named f or g, from the pre-order depths.
    under = []
    path = []
    for i, d in enumerate(t["depth"]):
        del path[d:]
        path.append(t["names"][t["name"][i]] if i else "all")
        under.append("f" if "f" in path else "g" if "g" in path else "")
    for fn, start, end in phases(times):
        lo = int((start - tm["t0"] + 0.1) / tm["step"]) + 1
        hi = int((end - tm["t0"] - 0.1) / tm["step"]) - 1
        own = total = 0
        for b in range(lo, hi + 1):
            cells = tm["cells"][b]
            for k in range(0, len(cells), 2):
                total += cells[k + 1]
                own += cells[k + 1] if under[cells[k]] == fn else 0
            check(sum(cells[1::2]) == tm["total"][b], f"bucket {b}: cells add up to its total")
        check(total > 50 and own >= 0.9 * total,
              f"{fn}'s phase (buckets {lo}..{hi}): {fn} owns {own} of {total} samples")


def tidy(frame):
    """A name as collapse (like stackcollapse-perf.pl) leaves it: cut at an
    argument list's "(" (not one that opens "(anonymous namespace)"), quotes
    dropped. A sample in, say, a "{lambda()#1}" or "operator()" (ASan's
    runtime has some) comes back so from the text."""
    p = frame.find("(")
    while p != -1 and frame.startswith("(anonymous namespace)", p):
        p = frame.find("(", p + 1)
    if p != -1:
        frame = frame[:p]
    return frame.replace('"', "").replace("'", "")


def check_perf_script(tmp):
    fo, ps = os.path.join(tmp, "r.folded"), os.path.join(tmp, "r.perf.txt")
    sp = os.path.join(tmp, "r.speedscope.json")
    r = record(["-o", fo, "-o", ps, "-o", sp, "--", PHASES, "0.5", "2"])
    if not check(r.returncode == 0, f"record -o r.perf.txt: {r.stderr}"):
        return
    with open(fo) as f:
        want = collections.Counter()
        for stack, n in folded(f.read()).items():
            want[";".join(tidy(frame) for frame in stack.split(";"))] += n
    c = run(["collapse", "--all", ps])
    got = collections.Counter()
    for stack, n in folded(c.stdout).items():
        root, _, rest = stack.partition(";")
        check(root == "record_phases", f"root frame {root}")
        got[rest] += n
    differ = sorted(s for s in set(got) | set(want) if got[s] != want[s])
    check(got == want and sum(want.values()) > 100,
          f"collapse --all of the perf script text gives the folded stacks "
          f"({sum(got.values())} vs {sum(want.values())} samples, "
          f"{len(differ)} stacks differ: "
          + "; ".join(f"[{s}] {got[s]} from the text, {want[s]} folded" for s in differ[:4]) + ")")
    with open(ps) as f:
        times = [s[0] for s in samples_of(f.read())]
    check(times == sorted(times) and None not in times, "perf script samples in time order")
    # speedscope: one sample per sample, in time order: f's run, then g's.
    with open(sp) as f:
        d = json.load(f)
    names = [d["shared"]["frames"][s[-1]]["name"] for s in d["profiles"][0]["samples"]]
    runs = [k for k, g in itertools.groupby(n for n in names if n in ("f", "g"))
            if len(list(g)) >= 3]
    runs = [k for k, _ in itertools.groupby(runs)]
    check(runs == ["f", "g"] and len(names) == sum(want.values()),
          f"speedscope samples in time order: runs {runs}, {len(names)} samples")


def svg_total(path):
    return sum(frame_table(path)["time"]["total"])


def check_every(tmp):
    d = os.path.join(tmp, "every")
    os.mkdir(d)
    pat = os.path.join(d, "flame-%n")
    r = record(["--every", "1", "-o", pat + ".svg", "-o", pat + ".folded", "--", PHASES, "0.8", "4"])
    check(r.returncode == 0, f"record --every: {r.stderr}")
    svgs = sorted(glob.glob(os.path.join(d, "flame-*.svg")))
    check([os.path.basename(s) for s in svgs] == [f"flame-000{i}.svg" for i in range(1, 5)],
          f"--every 1 over 3.2 s: four intervals, {svgs}")
    n = 0
    for s in svgs:
        ET.parse(s)
        with open(s.replace(".svg", ".folded")) as f:
            count = sum(folded(f.read()).values())
        check(count == svg_total(s), f"{s}: folded and SVG agree ({count})")
        n += count
    m = re.search(r"(\d+) samples", subprocess.run(
        ["cat"], input=r.stderr, capture_output=True, text=True).stdout)
    r2 = record(["--every", "1", "-o", pat + ".svg", "--", PHASES, "0.5", "2"])
    check(r2.returncode == 1 and "exists" in r2.stderr and "--overwrite" in r2.stderr,
          f"an existing interval file is refused: {r2.returncode} {r2.stderr}")
    r3 = record(["--every", "1", "--overwrite", "-o", pat + ".svg", "--", PHASES, "0.3", "2"])
    check(r3.returncode == 0, f"--overwrite: {r3.stderr}")
    # A stop mid-interval: SIGINT at about 2.5 s writes interval 3.
    d2 = os.path.join(tmp, "sigint")
    os.mkdir(d2)
    pat2 = os.path.join(d2, "r-%n")
    p = subprocess.Popen([BIN, "record", "-F", "499", "--every", "1", "-o", pat2 + ".folded",
                          "-o", pat2 + ".svg", "--", PHASES, "1", "10"],
                         stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 30
    while not os.path.exists(os.path.join(d2, "r-0002.svg")) and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.4)
    p.send_signal(signal.SIGINT)
    _, err = p.communicate(timeout=60)
    files = sorted(os.listdir(d2))
    check(files == ["r-0001.folded", "r-0001.svg", "r-0002.folded", "r-0002.svg",
                    "r-0003.folded", "r-0003.svg"], f"after SIGINT: {files}")
    total = 0
    for i in (1, 2, 3):
        s = os.path.join(d2, f"r-000{i}.svg")
        if os.path.exists(s):
            ET.parse(s)
            total += svg_total(s)
    m = re.search(r"stopped after .*?: (\d+) samples", err)
    check(m and int(m.group(1)) == total,
          f"the intervals hold every sample: {total} vs {m and m.group(1)} ({err.strip()[-300:]})")


def check_doc_commands(tmp):
    """The commands README.md and the man pages show, on a running
    record_phases (durations shortened: -d 3600 --every 60 runs as
    -d 3 --every 1; the two recordings run at once on the one target)."""
    d = os.path.join(tmp, "doc")
    os.mkdir(d)
    target = subprocess.Popen([PHASES, "1", "5"])
    pid = str(target.pid)
    time.sleep(0.2)
    a = subprocess.Popen([BIN, "record", "-p", pid, "-d", "3", "--every", "1", "-o", "flame-%n.svg"],
                         cwd=d, stderr=subprocess.PIPE, text=True)
    b = subprocess.run([BIN, "record", "-p", pid, "-d", "3.5", "-o", "flame.svg", "-o",
                        "profile.perf.txt"], cwd=d, capture_output=True, text=True, timeout=60)
    _, a_err = a.communicate(timeout=60)
    target.wait(timeout=30)
    check(a.returncode == 0 and b.returncode == 0, f"doc records: {a_err} {b.stderr}")
    check(sorted(f for f in os.listdir(d) if f.startswith("flame-")) ==
          ["flame-0001.svg", "flame-0002.svg", "flame-0003.svg"], f"--every files: {os.listdir(d)}")
    for cmd in ["collapse --from 1 --to 3 profile.perf.txt > slice.folded",
                "collapse --from 0.5 --to 1.5 profile.perf.txt > slice.folded",
                "render profile.perf.txt > flame.svg"]:
        r = subprocess.run(f"'{BIN}' {cmd}", shell=True, cwd=d, capture_output=True, text=True)
        out = os.path.join(d, cmd.split("> ")[1])
        check(r.returncode == 0 and os.path.getsize(out) > 0, f"stackfire {cmd}: {r.stderr}")
    check("time" in frame_table(os.path.join(d, "flame.svg")), "render of perf script text: heatmap")


def main():
    check_slicing()
    with tempfile.TemporaryDirectory() as tmp:
        check_frame_table(tmp)
        check_perf_script(tmp)
        check_every(tmp)
        check_doc_commands(tmp)
    return finish("all time checks passed")


if __name__ == "__main__":
    sys.exit(main())
