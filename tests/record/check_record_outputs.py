#!/usr/bin/env python3
"""`stackfire record` outputs on real recordings of the testdata workloads.

  - pprof (-o p.pb.gz) and folded (-o f.folded) written from ONE recording:
    `go tool pprof -top` reads the pprof file, and its total and the self
    counts of its top functions equal the folded file's; `go tool pprof -raw`
    shows the sample and period types, the workload's mapping with the
    build-id that `readelf -n` reads from the binary, and the inlined helper
    (mix_step) as an inline line above its caller (hot_loop) in one location;
    an inlined call inside an inlined call keeps both levels (folded and
    pprof).
  - speedscope (-o s.speedscope.json): the same totals; with --per-thread,
    one profile per thread, each with its thread's folded total.
  - --report: `-o - --report` prints the table (and no folded text) on
    stdout; `-o -` alone prints folded text whose total is the summary's.
  - several PIDs (-p A,B): every stack is rooted at "comm-PID" of its own
    process, never merged; --per-pid does it for one PID.
  - usage errors for outputs that cannot be told apart or would collide.

Exits 77 (meson's SKIP) when perf_event_open is refused on this machine,
after the checks that need no sampling.
"""
import collections
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import (SKIP, check, failures, finish, parse_folded, read_folded,  # noqa: E402
                     stackfire, validate_speedscope)

WORKLOADS = os.environ["RECORD_WORKLOADS"]
run = functools.partial(stackfire, timeout=120)


def workload(name):
    return os.path.join(WORKLOADS, name)


def pprof_name(name):
    """A name as `go tool pprof -top` prints C++ names: no template
    arguments, no "(anonymous namespace)::"."""
    name = name.replace("(anonymous namespace)::", "")
    while True:
        shorter = re.sub(r"<[^<>]*>", "", name)
        if shorter == name:
            return name
        name = shorter


def leaf_self(folded):
    """Self counts by function name, inline markers removed (pprof's view)."""
    out = collections.Counter()
    for stack, n in folded.items():
        leaf = stack.split(";")[-1]
        if leaf.endswith("_[i]"):
            leaf = leaf[:-4]
        out[pprof_name(leaf)] += n
    return out


def summary_samples(stderr):
    m = re.search(r"stopped after [0-9.]+ s \([^)]*\): (\d+) samples", stderr)
    return int(m.group(1)) if m else None


def go_env(tmp):
    return dict(os.environ, HOME=tmp, GOCACHE=os.path.join(tmp, "gocache"), GOFLAGS="-mod=mod")


def pprof(tmp, args):
    r = subprocess.run(["go", "tool", "pprof"] + args, capture_output=True, text=True,
                       env=go_env(tmp), timeout=300)
    check(r.returncode == 0, "go tool pprof %s: %s" % (" ".join(args), r.stderr))
    return r.stdout


def top_rows(text):
    """(flat, name) rows of `go tool pprof -top`."""
    rows = []
    for line in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+[\d.]+%\s+[\d.]+%\s+(\d+)\s+[\d.]+%\s+(.*)$", line)
        if m:
            name = m.group(3)
            if name.endswith(" (inline)"):
                name = name[: -len(" (inline)")]
            rows.append((int(m.group(1)), name))
    return rows


def build_id(path):
    text = subprocess.run(["readelf", "-n", path], capture_output=True, text=True).stdout
    m = re.search(r"Build ID: ([0-9a-f]+)", text)
    return m.group(1) if m else None


def check_usage_errors(tmp):
    cases = [
        (["-o", os.path.join(tmp, "a.txt")], "cannot tell the format"),
        (["--format", "pprof", "-o", os.path.join(tmp, "a.pb.gz"), "-o",
          os.path.join(tmp, "b.svg")], "--format applies to a single -o"),
        (["--format", "nope", "-o", os.path.join(tmp, "a")], "unknown --format"),
        (["-o", "-", "--format", "speedscope", "--report"], "would both write to stdout"),
        (["-o", "-", "-o", "-"], "-o - is given twice"),
        (["--report", "--by", "depth", "-o", "-"], "is not self or total"),
        (["--report", "--grep", "(", "-o", "-"], "grep"),
        (["--top", "3", "-o", "-"], "--top requires --report"),
    ]
    for args, message in cases:
        r = run(["record"] + args + ["--", "true"])
        err = r.stderr.decode()
        check(r.returncode == 2, "%s: exit 2, got %d: %s" % (args, r.returncode, err))
        check(message in err, "%s: message %r in %r" % (args, message, err))
        check("error:" in err or "requires" in err, "%s: error line in %r" % (args, err))
    # Nothing was created by a refused command line.
    check(not os.path.exists(os.path.join(tmp, "a.pb.gz")), "no output after a usage error")


def perf_unavailable(tmp):
    r = run(["record", "-q", "-o", os.path.join(tmp, "probe.folded"), "--", "true"])
    if r.returncode == 0:
        return None
    return r.stderr.decode()


def check_pprof_matches_folded(tmp):
    folded_path = os.path.join(tmp, "cxx.folded")
    pb = os.path.join(tmp, "cxx.pb.gz")
    ss = os.path.join(tmp, "cxx.speedscope.json")
    target = workload("record_cxx")
    r = run(["record", "-q", "-F", "499", "--no-kernel", "-o", folded_path, "-o", pb, "-o", ss,
             "--", target, "2"])
    err = r.stderr.decode()
    if not check(r.returncode == 0, "record -o f.folded -o p.pb.gz -o s.speedscope.json: " + err):
        return
    check(folded_path in err and pb in err and ss in err, "the summary names every output: " + err)
    folded = read_folded(folded_path)
    total = sum(folded.values())
    check(total > 300, "enough samples: %d" % total)
    check(summary_samples(err) == total, "summary samples == folded total %d: %s" % (total, err))
    with open(pb, "rb") as f:
        check(f.read(2) == b"\x1f\x8b", "p.pb.gz is gzip")

    if shutil.which("go") is None:
        print("SKIP: go tool pprof checks: `go` is not installed (apt-get install golang-go)")
    else:
        top = pprof(tmp, ["-top", "-sample_index=samples", "-nodecount=1000", pb])
        m = re.search(r"of (\d+) total", top)
        check(m is not None and int(m.group(1)) == total,
              "pprof total %s == folded total %d" % (m and m.group(1), total))
        rows = top_rows(top)
        selfs = leaf_self(folded)
        check(len(rows) >= 3, "pprof -top lists functions:\n" + top)
        for flat, name in rows[:5]:
            check(selfs.get(name, 0) == flat,
                  "pprof flat of %r is %d, folded self %s" % (name, flat, selfs.get(name)))
        want = [n for n, _ in selfs.most_common(2)]
        got = [n for _, n in rows[:2]]
        check(sorted(want) == sorted(got) or rows[0][0] == rows[1][0],
              "top two functions %s == folded's %s" % (got, want))
        # The cpu time stands for the samples: about one period each.
        cpu = pprof(tmp, ["-top", "-sample_index=cpu", "-nodecount=1", "-unit=ns", pb])
        m = re.search(r"of ([\d.]+)(ns|us|ms|s) total", cpu)
        if check(m is not None, "cpu total in:\n" + cpu):
            scale = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[m.group(2)]
            ns = float(m.group(1)) * scale
            nominal = total * 1e9 / 499
            check(0.5 * nominal < ns < 1.5 * nominal,
                  "cpu total %.0f ns is about samples x period %.0f ns" % (ns, nominal))

        check(re.search(r"^File: record_cxx$", top, re.M) is not None,
              "the workload is the main binary (first mapping):\n" + top[:300])
        raw = pprof(tmp, ["-raw", pb])
        check(re.search(r"^PeriodType: cpu nanoseconds$", raw, re.M) is not None,
              "period type cpu/nanoseconds:\n" + raw[:400])
        check(re.search(r"^Period: 2004008$", raw, re.M) is not None, "period 1e9/499 ns")
        check(re.search(r"samples/count\s+cpu/nanoseconds", raw) is not None,
              "sample types samples/count and cpu/nanoseconds:\n" + raw[:400])
        mappings = raw[raw.find("Mappings"):]
        bid = build_id(target)
        check(bid is not None, "readelf -n finds the workload's build-id")
        line = [l for l in mappings.splitlines() if l.rstrip().endswith(target) or
                (target + " ") in l]
        check(len(line) >= 1, "a mapping of %s in:\n%s" % (target, mappings))
        if line and bid:
            check(bid in line[0], "the workload's mapping carries build-id %s: %r" % (bid, line[0]))
            check(re.search(r"0x[0-9a-f]+/0x[0-9a-f]+/0x[0-9a-f]+", line[0]) is not None,
                  "the mapping has its address range and offset: %r" % line[0])
            check("[FN]" in line[0] and "[FL]" in line[0] and "[LN]" in line[0] and
                  "[IN]" in line[0], "the mapping has functions, files, lines, inlines: %r" %
                  line[0])
        # A location whose first line is the inlined helper and whose next is
        # its caller, both with the workload's source file and a line number.
        locations = raw[raw.find("Locations"):raw.find("Mappings")]
        inline_ok = re.search(
            r"^\s+\d+: 0x[0-9a-f]+ M=\d+ mix_step \S*record_cxx\.cc:[1-9]\d* s=\d+\n"
            r"\s+hot_loop \S*record_cxx\.cc:[1-9]\d* s=\d+$", locations, re.M)
        check(inline_ok is not None, "mix_step inlined into hot_loop in one location:\n" +
              "\n".join(l for l in locations.splitlines() if "mix_step" in l or "hot_loop" in l))

    with open(ss, encoding="utf-8") as f:
        doc = json.load(f)
    validate_speedscope(doc, "recorded speedscope")
    check(len(doc["profiles"]) == 1, "one speedscope profile without --per-thread")
    weights = sum(sum(p["weights"]) for p in doc["profiles"])
    check(weights == total, "speedscope weights %s == folded total %d" % (weights, total))
    names = [fr["name"] for fr in doc["shared"]["frames"]]
    check("mix_step" in names and "hot_loop" in names, "speedscope frames name the functions")
    files = [fr.get("file", "") for fr in doc["shared"]["frames"] if fr["name"] == "hot_loop"]
    check(any(f.endswith("record_cxx.cc") for f in files), "speedscope frames carry files")


def check_pprof_names(tmp):
    """.pprof is pprof too, and --format pprof whatever the name."""
    for args in (["-o", os.path.join(tmp, "n.pprof")],
                 ["--format", "pprof", "-o", os.path.join(tmp, "n.bin")]):
        r = run(["record", "-q", "-F", "499", "--no-kernel"] + args +
                ["--", workload("record_cxx"), "0.3"])
        if check(r.returncode == 0, "record %s: %s" % (args, r.stderr.decode())):
            with open(args[-1], "rb") as f:
                check(f.read(2) == b"\x1f\x8b", "%s writes gzip-compressed pprof" % args)


def check_nested_inlines(tmp):
    """An inlined call inside an inlined call: both levels in the folded
    stacks, and three lines, innermost first, in one pprof location."""
    folded_path = os.path.join(tmp, "nested.folded")
    pb = os.path.join(tmp, "nested.pb.gz")
    r = run(["record", "-q", "-F", "499", "--no-kernel", "-o", folded_path, "-o", pb, "--",
             workload("record_nested_inline"), "1"])
    if not check(r.returncode == 0, "record nested inlines: " + r.stderr.decode()):
        return
    folded = read_folded(folded_path)
    total = sum(folded.values())
    nested = sum(n for s, n in folded.items()
                 if s.endswith("outer_work;middle_mix_[i];inner_mix_[i]"))
    check(nested > 0.8 * total,
          "outer_work;middle_mix_[i];inner_mix_[i] holds most samples: %d of %d" %
          (nested, total))
    if shutil.which("go") is None:
        return
    raw = pprof(tmp, ["-raw", pb])
    three = re.search(
        r"^\s+\d+: 0x[0-9a-f]+ M=\d+ inner_mix \S*record_nested_inline\.cc:[1-9]\d* s=\d+\n"
        r"\s+middle_mix \S*record_nested_inline\.cc:[1-9]\d* s=\d+\n"
        r"\s+outer_work \S*record_nested_inline\.cc:[1-9]\d* s=\d+$", raw, re.M)
    check(three is not None, "inner_mix, middle_mix, outer_work lines in one location:\n" +
          raw[raw.find("Locations"):raw.find("Mappings")])


def check_speedscope_per_thread(tmp):
    folded_path = os.path.join(tmp, "threads.folded")
    ss = os.path.join(tmp, "threads.speedscope.json")
    r = run(["record", "-q", "-F", "499", "--no-kernel", "--per-thread", "-o", folded_path,
             "-o", ss, "--", workload("record_profile"), "1.5", "2"])
    if not check(r.returncode == 0, "record --per-thread speedscope: " + r.stderr.decode()):
        return
    by_root = collections.Counter()
    for stack, n in read_folded(folded_path).items():
        by_root[stack.split(";")[0]] += n
    with open(ss, encoding="utf-8") as f:
        doc = json.load(f)
    validate_speedscope(doc, "recorded per-thread speedscope")
    profiles = {p["name"]: sum(p["weights"]) for p in doc["profiles"]}
    check(len(by_root) >= 2, "two threads sampled: %s" % by_root)
    check(profiles == dict(by_root),
          "one speedscope profile per thread with its folded total: %s vs %s" %
          (profiles, dict(by_root)))


def check_report(tmp):
    r = run(["record", "-q", "-F", "499", "--no-kernel", "-o", "-", "--report", "--top", "3",
             "--", workload("record_profile"), "1.5"])
    out = r.stdout.decode()
    err = r.stderr.decode()
    if check(r.returncode == 0, "record -o - --report: " + err):
        lines = out.splitlines()
        check(len(lines) == 5, "summary, header and 3 rows:\n" + out)
        check(lines and re.match(r"^Samples: \d+ ", lines[0]) is not None, "summary line: " + out)
        if len(lines) >= 3:
            check(lines[1].split() == ["Self%", "Self", "Total%", "Total", "Function"],
                  "header: " + lines[1])
            # Spin is the leaf under all three; the table sorts by self.
            check(lines[2].split()[-1] == "(anonymous" or "Spin" in lines[2],
                  "hottest self row is Spin: " + lines[2])
        check(";" not in out, "no folded text on stdout with --report:\n" + out)
        m = re.match(r"^Samples: (\d+) ", out)
        check(m is not None and int(m.group(1)) == summary_samples(err),
              "the table counts the recording's samples: %s / %s" % (m and m.group(1), err))
        check("\x1b[" not in out, "no colour when stdout is a pipe")

    r = run(["record", "-q", "-F", "499", "--no-kernel", "-o", "-", "--",
             workload("record_profile"), "1"])
    err = r.stderr.decode()
    if check(r.returncode == 0, "record -o -: " + err):
        folded = parse_folded(r.stdout.decode())
        check(sum(folded.values()) == summary_samples(err) and sum(folded.values()) > 50,
              "-o - writes the folded stacks on stdout: %d vs %s" %
              (sum(folded.values()), err))
        check(any("leaf_sixty" in s for s in folded), "folded stdout has the workload's frames")
        check("folded on stdout" in err, "the summary says where the output went: " + err)

    grep_file = os.path.join(tmp, "grep.folded")
    r = run(["record", "-q", "-F", "499", "--no-kernel", "-o", grep_file, "--report", "--by",
             "total", "--grep", "leaf_", "--top", "0", "--", workload("record_profile"), "1"])
    out = r.stdout.decode()
    if check(r.returncode == 0, "record -o FILE --report --grep: " + r.stderr.decode()):
        rows = out.splitlines()[2:]
        check(len(rows) == 3 and all("leaf_" in row for row in rows),
              "--grep leaf_ keeps the three leaves:\n" + out)
        check(os.path.getsize(grep_file) > 0, "the -o file is written too")


class Workload:
    def __init__(self, args):
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.proc.kill()
        self.proc.wait()


def roots(folded):
    out = collections.Counter()
    for stack, n in folded.items():
        out[stack.split(";")[0]] += n
    return out


def check_several_pids(tmp):
    with Workload([workload("record_profile"), "6"]) as a, \
            Workload([workload("record_profile"), "6"]) as b:
        time.sleep(0.3)
        pa, pb = a.proc.pid, b.proc.pid
        out = os.path.join(tmp, "two.folded")
        r = run(["record", "-q", "--no-kernel", "-F", "499", "-d", "2", "-p",
                 "%d,%d" % (pa, pb), "-o", out])
        if check(r.returncode == 0, "record -p A,B: " + r.stderr.decode()):
            by_root = roots(read_folded(out))
            want = {"record_profile-%d" % pa, "record_profile-%d" % pb}
            check(set(by_root) == want, "roots %s == %s" % (sorted(by_root), sorted(want)))
            for root in want:
                # A loaded machine may give each process little CPU time.
                check(by_root[root] >= 5, "%s has its own samples: %s" % (root, by_root))
            # Under each root the process's whole stacks follow, from _start.
            mix = {s: n for s, n in read_folded(out).items() if "run_mix" in s}
            rooted = sum(n for s, n in mix.items() if s.split(";")[1] == "_start")
            check(rooted > 0.9 * sum(mix.values()),
                  "stacks under the process roots start at _start: %d of %d" %
                  (rooted, sum(mix.values())))
        out = os.path.join(tmp, "threads.folded")
        r = run(["record", "-q", "--no-kernel", "-F", "199", "-d", "1", "--per-thread", "-p",
                 "%d,%d" % (pa, pb), "-o", out])
        if check(r.returncode == 0, "record -p A,B --per-thread: " + r.stderr.decode()):
            for root in roots(read_folded(out)):
                check(re.match(r"^record_profile-(%d|%d)/\d+$" % (pa, pb), root) is not None,
                      "--per-thread keeps its comm-pid/tid root alone: " + root)
        out = os.path.join(tmp, "one.folded")
        r = run(["record", "-q", "--no-kernel", "-F", "199", "-d", "1", "--per-pid", "-p",
                 str(pa), "-o", out])
        if check(r.returncode == 0, "record -p A --per-pid: " + r.stderr.decode()):
            check(set(roots(read_folded(out))) == {"record_profile-%d" % pa},
                  "--per-pid roots one process too")
        out = os.path.join(tmp, "single.folded")
        r = run(["record", "-q", "--no-kernel", "-F", "199", "-d", "1", "-p", str(pa), "-o", out])
        if check(r.returncode == 0, "record -p A: " + r.stderr.decode()):
            check(all(not root.startswith("record_profile-") for root in
                      roots(read_folded(out))), "one PID: no process root by default")


def main():
    with tempfile.TemporaryDirectory(prefix="stackfire-record-outputs-") as tmp:
        check_usage_errors(tmp)
        reason = perf_unavailable(tmp)
        if reason is not None:
            print("SKIP: perf_event_open is refused here, so nothing can be recorded:", reason)
            return SKIP if not failures else 1
        check_pprof_matches_folded(tmp)
        check_pprof_names(tmp)
        check_nested_inlines(tmp)
        check_speedscope_per_thread(tmp)
        check_report(tmp)
        check_several_pids(tmp)
    return finish("all record output checks passed", "%d failure(s)")


if __name__ == "__main__":
    sys.exit(main())
