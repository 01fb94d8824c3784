#!/usr/bin/env python3
"""`stackfire diff` end to end: significance on real recordings, the CI gate,
pprof input from Go, --raw against flamegraph.pl's goldens, and every
`stackfire diff` command that man/stackfire-diff.1 and README.md show.

  - Real recordings (`stackfire record` of testdata/workloads/
    diff_workload.cc, -F 3999; made again once, and checked again, when a
    check on them fails): two runs of the same workload show nothing
    significant (every frame white, no function changed, the gate passes);
    the same program with one function (`changed`) doing 20 % more work is
    detected: its frame is red, every other frame white, the report says it
    grew by about 20 % per unit of work, and the gate fails on it (exit 1,
    naming it) and passes with a threshold above the change.
  - The gate on known folded input: exit status and output both ways, --grep,
    and JSON.
  - pprof: a CPU profile written by Go's runtime/pprof
    (testdata/go-pprof/cpuprof.go, built and run here with Debian's golang)
    and the same profile rewritten by `go tool pprof -proto`: equal stacks
    and counts, equal to `go tool pprof -top`'s total; its sample types;
    mixing with folded input; a corrupt file is an error.
  - --raw: the colours and geometry of flamegraph.pl on the corpus cases
    (testdata/diff/expected), through the CLI.
  - perf script input is read (counted in samples; by period with --folded).
  - Several runs per side (A... -- B...) use Welch's test.
  - Usage errors exit 2.

Parts that need perf_event_open or Go say SKIP and why; when both are
missing the test exits 77 (meson's SKIP) after the rest passed.
"""
import functools
import gzip
import json
import math
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SKIP, check, failures, finish, read_folded, stackfire  # noqa: E402

BIN = os.environ["STACKFIRE_BIN"]
WORKLOAD = os.environ["DIFF_WORKLOAD"]
SOURCE = os.environ["STACKFIRE_SOURCE"]
TESTDATA = os.path.join(SOURCE, "testdata")
skipped = []
sf = functools.partial(stackfire, text=True, timeout=300)


def write(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def svg_frames(svg_text):
    """(name, fill, tip) of every frame, from the SVG's JSON frame table."""
    m = re.search(r'<metadata id="sfdata">(.*?)</metadata>', svg_text, re.S)
    t = json.loads(m.group(1))
    return [(t["names"][n], t["colors"][t["color"][i]], t["tip"][i])
            for i, n in enumerate(t["name"])]


def draw_folded(shape, n, rng):
    stacks = list(shape)
    counts = {}
    for s in rng.choices(stacks, weights=[shape[s] for s in stacks], k=n):
        counts[s] = counts.get(s, 0) + 1
    return "".join(f"{s} {c}\n" for s, c in sorted(counts.items()))


# --- the gate and usage on known input ------------------------------------

def check_gate(tmp):
    a = write(os.path.join(tmp, "gate-a.folded"), "main;parse 1000\nmain;render 1000\n")
    b = write(os.path.join(tmp, "gate-b.folded"), "main;parse 1000\nmain;render 1300\n")
    # render: 50.00 % -> 56.52 % of the samples (+6.52 points).
    r = sf(["diff", "--fail-if-regressed", "5", "--report", a, b])
    check(r.returncode == 1, "gate fails on a 6.5 %% regression: exit %d %s" % (r.returncode, r.stderr))
    check("regressed: render: total 50.00% -> 56.52% (+6.52% of total" in r.stderr,
          "gate names what regressed: " + r.stderr)
    check("1 function(s) regressed by more than 5% of the total" in r.stderr, r.stderr)
    check("parse" not in r.stderr, "parse shrank, it did not regress: " + r.stderr)
    check("grew" in r.stdout and "render" in r.stdout, "the report is printed too: " + r.stdout)
    r = sf(["diff", "--fail-if-regressed", "10", a, b, "-o", os.path.join(tmp, "g.svg")])
    check(r.returncode == 0, "gate passes above the change: %d %s" % (r.returncode, r.stderr))
    check("no function regressed by more than 10% of the total" in r.stderr, r.stderr)
    check(os.path.getsize(os.path.join(tmp, "g.svg")) > 1000, "the graph is written as well")
    r = sf(["diff", "--fail-if-regressed", "1", "--grep", "^parse$", a, b, "-o", os.devnull])
    check(r.returncode == 0, "--grep limits the gate: %d %s" % (r.returncode, r.stderr))
    r = sf(["diff", "--fail-if-regressed", "1", "--grep", "^rend", a, b, "-o", os.devnull])
    check(r.returncode == 1 and "regressed: render" in r.stderr, "--grep ^rend: " + r.stderr)
    r = sf(["diff", "--fail-if-regressed", "5", "--report", "--format", "json", a, b])
    check(r.returncode == 1, "json gate exit %d" % r.returncode)
    j = json.loads(r.stdout)
    check([x["name"] for x in j["regressed"]] == ["render"], "json regressed: %s" % j["regressed"])
    rows = {x["name"]: x for x in j["rows"]}
    check(rows["render"]["total"]["verdict"] == "grew" and rows["parse"]["total"]["verdict"] ==
          "shrank", "json verdicts: %s" % rows)
    check(abs(rows["render"]["total"]["delta_pct"] - 6.5217) < 0.01, "json delta")
    r = sf(["diff", "--fail-if-regressed", "5", a, a, "-o", os.devnull])
    check(r.returncode == 0, "the same profile twice passes the gate")
    # Usage errors.
    for args, why in [([a, b, a], "three files without --"),
                      (["--format", "json", a, b], "--format json without --report"),
                      (["--raw", "--report", a, b], "--raw with --report"),
                      (["--alpha", "2", a, b], "--alpha outside 0..1"),
                      (["--before-units", "5", a, b], "--before-units alone"),
                      (["--before-units", "1,2", "--after-units", "1", a, b], "units per run"),
                      ([a, b, "--"], "nothing after --"),
                      (["--grep", "(", "--report", a, b], "a bad regex"),
                      (["-", "-"], "stdin twice"),
                      ([a, "--", b, "-o", "x.svg"], "an option after --")]:
        r = sf(["diff"] + args)
        check(r.returncode == 2 and "error:" in r.stderr,
              "usage error (%s) exits 2: %d %s" % (why, r.returncode, r.stderr))
    r = sf(["diff", a, os.path.join(tmp, "missing.folded")])
    check(r.returncode == 1 and "missing.folded" in r.stderr, "missing file: " + r.stderr)
    bad = os.path.join(tmp, "bad.pb.gz")
    with gzip.open(bad, "wb") as f:
        f.write(bytes([0x0a, 0x05, 0x08, 0x01, 0xff, 0xff, 0xff]))
    r = sf(["diff", bad, a])
    check(r.returncode == 1 and "not a valid pprof profile" in r.stderr, "corrupt pprof: " + r.stderr)


def check_runs(tmp):
    """Several runs per side: Welch's t-test, pooled counts."""
    rng = random.Random(5)
    shape = {"main;a": 40, "main;b": 40, "main;c": 20}
    files = [write(os.path.join(tmp, "run%d.folded" % i), draw_folded(shape, 3000, rng))
             for i in range(6)]
    r = sf(["diff", "--report", "--format", "json"] + files[:3] + ["--"] + files[3:])
    check(r.returncode == 0, "runs: %d %s" % (r.returncode, r.stderr))
    j = json.loads(r.stdout)
    check(j["test"] == "welch" and j["before"]["runs"] == 3 and j["after"]["runs"] == 3,
          "three runs per side use Welch: %s" % {k: j[k] for k in ("test", "before", "after")})
    check(j["significant"] == 0, "no change between draws of one profile: %d" % j["significant"])
    check(j["before"]["samples"] == 9000, "runs are pooled: %s" % j["before"])
    r = sf(["diff", "-o", os.path.join(tmp, "runs.svg")] + files[:2] + ["--"] + files[2:])
    check(r.returncode == 0, "2 -- 4 runs: %s" % r.stderr)
    # --pool: the runs added together, one binomial test.
    r = sf(["diff", "--pool", "--report", "--format", "json"] + files[:3] + ["--"] + files[3:])
    j = json.loads(r.stdout)
    check(j["test"] == "binomial" and j["pooled"] and j["before"]["runs"] == 3 and
          j["before"]["samples"] == 9000 and j["significant"] == 0,
          "--pool: %s" % {k: j[k] for k in ("test", "pooled", "before", "significant")})
    # Per-run units: 3000 samples for 10 units each before, for 20 after:
    # every function's rate halved.
    r = sf(["diff", "--report", "--format", "json", "--before-units", "10,10,10",
            "--after-units", "20,20,20"] + files[:3] + ["--"] + files[3:])
    rows = {x["name"]: x for x in json.loads(r.stdout)["rows"]}
    check(rows["main"]["total"]["verdict"] == "shrank", "per-unit rates: %s" % rows["main"])


def check_raw_goldens():
    """--raw through the CLI: flamegraph.pl's fills for every drawn frame."""
    cases = [("before-after", "before", "after", []),
             ("before-after--normalize", "before", "after", ["-n"]),
             ("java-01-02--normalize--negate", "java-01", "java-02", ["-n", "--negate"])]
    d = os.path.join(TESTDATA, "diff")
    for expected, before, after, opts in cases:
        r = sf(["diff", "--raw", "--hash"] + opts + [os.path.join(d, "input", before + ".folded"),
                                                     os.path.join(d, "input", after + ".folded")])
        if not check(r.returncode == 0, "--raw %s: %s" % (expected, r.stderr)):
            continue
        ours = {}
        for name, fill, tip in svg_frames(r.stdout):
            if "(removed" in tip:
                continue
            ours.setdefault(name, []).append(fill)
        ref = open(os.path.join(d, "expected", expected + ".svg")).read()
        theirs = {}
        for title, fill in re.findall(r'<title>([^<]*)</title><rect [^>]*fill="([^"]*)"', ref):
            name = title[:title.rfind(" (")]
            name = name.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
            r_, g_, b_ = map(int, re.match(r"rgb\((\d+),(\d+),(\d+)\)", fill).groups())
            theirs.setdefault(name, []).append("#%02x%02x%02x" % (r_, g_, b_))
        ours = {k: sorted(v) for k, v in ours.items() if k != "all"}
        theirs = {k: sorted(v) for k, v in theirs.items() if k != "all"}
        check(ours == theirs, "--raw %s has flamegraph.pl's colours" % expected)
        # Without --raw the same input is coloured only where significant.
        r = sf(["diff"] + opts + [os.path.join(d, "input", before + ".folded"),
                                  os.path.join(d, "input", after + ".folded")])
        check(r.returncode == 0 and "within noise" in r.stdout,
              "significance mode on %s" % expected)


def check_perf_script(tmp):
    path = os.path.join(TESTDATA, "perf-script", "input", "perf-dd-stacks-01.txt")
    r = sf(["diff", "--report", "--format", "json", path, path])
    check(r.returncode == 0, "perf script input: %s" % r.stderr)
    if r.returncode == 0:
        j = json.loads(r.stdout)
        check(j["significant"] == 0 and j["functions"] > 3, "perf script vs itself: %s" % j)
    # --folded keeps stackcollapse-perf.pl's period weights.
    r = sf(["diff", "--folded", path, path])
    want = {}
    with open(os.path.join(TESTDATA, "perf-script", "expected",
                           "perf-dd-stacks-01-collapsed-default.txt")) as f:
        for line in f:
            stack, _, n = line.rstrip("\n").rpartition(" ")
            want[stack] = n
    got = {}
    for line in r.stdout.splitlines():
        stack, b, a = line.rsplit(" ", 2)
        got[stack] = a
        check(a == b, "same file, same columns: " + line)
    check(got == want, "--folded of perf script text is stackcollapse-perf.pl's counts")


# --- pprof from Go ----------------------------------------------------------

def check_go(tmp):
    go = shutil.which("go")
    if go is None:
        skipped.append("pprof from Go: Debian's golang-go is not installed (apt-get install "
                       "golang-go); the pprof reader is still tested by the fuzz corpus")
        return None
    env = dict(os.environ, GOCACHE=os.path.join(tmp, "gocache"), GOPATH=os.path.join(tmp, "gopath"),
               GO111MODULE="off", GOFLAGS="")
    exe = os.path.join(tmp, "cpuprof")
    r = subprocess.run([go, "build", "-o", exe, os.path.join(TESTDATA, "go-pprof", "cpuprof.go")],
                       capture_output=True, text=True, env=env, timeout=300)
    if not check(r.returncode == 0, "go build: " + r.stderr):
        return None
    profiles = []
    for name in ("old", "new"):
        raw = os.path.join(tmp, name + ".prof")
        r = subprocess.run([exe, raw, "100"], capture_output=True, text=True, timeout=120)
        check(r.returncode == 0, "cpuprof: " + r.stderr)
        proto = os.path.join(tmp, name + ".pb.gz")
        with open(proto, "wb") as out:
            r = subprocess.run([go, "tool", "pprof", "-proto", raw], stdout=out,
                               stderr=subprocess.PIPE, env=env, timeout=120)
        check(r.returncode == 0, "go tool pprof -proto: %s" % r.stderr)
        profiles.append((raw, proto))
    raw, proto = profiles[0]
    # runtime/pprof's own file and go tool pprof's rewrite: the same stacks.
    r = sf(["diff", "--folded", raw, proto])
    check(r.returncode == 0, "diff --folded of two pprof files: " + r.stderr)
    total = 0
    for line in r.stdout.splitlines():
        stack, b, a = line.rsplit(" ", 2)
        check(a == b, "runtime/pprof and pprof -proto agree: " + line)
        total += int(a)
    check(any(";main.hot" in line for line in r.stdout.splitlines()), "main.hot is read")
    top = subprocess.run([go, "tool", "pprof", "-top", proto], capture_output=True, text=True,
                         env=env, timeout=120)
    m = re.search(r"Total samples = ([\d.]+)(ms|s)\b", top.stdout)
    if check(m is not None, "go tool pprof -top total: " + top.stdout[:300]):
        ms = float(m.group(1)) * (1000 if m.group(2) == "s" else 1)
        check(abs(total - ms / 10) < 0.5, "samples %d = %s / 10 ms" % (total, m.group(0)))
    r = sf(["diff", "--report", "--format", "json", "--top", "0", proto, profiles[1][1]])
    check(r.returncode == 0, "two Go profiles: " + r.stderr)
    if r.returncode == 0:
        rows = {x["name"]: x for x in json.loads(r.stdout)["rows"]}
        hot, cold = rows.get("main.hot"), rows.get("main.cold")
        if check(hot and cold, "main.hot and main.cold rows"):
            share = hot["total"]["after_pct"] / (hot["total"]["after_pct"] + cold["total"]["after_pct"])
            # The share is of the second profile's samples (runtime/pprof's
            # 100 Hz): 0.15, or four binomial standard deviations where they
            # are few (a loaded run once gave 0.59).
            r2 = sf(["diff", "--folded", profiles[1][1], profiles[1][1]])
            after = sum(int(l.rsplit(" ", 1)[1]) for l in r2.stdout.splitlines()
                        if ";main.hot" in l or ";main.cold" in l)
            bound = max(0.15, 4 * math.sqrt(0.75 * 0.25 / max(after, 1)))
            check(abs(share - 0.75) <= bound,
                  "hot does 3/4 of the work: %.2f (+- %.2f at %d samples of hot and cold)"
                  % (share, bound, after))
    # Sample types: cpu/nanoseconds does not mix with folded samples.
    folded = write(os.path.join(tmp, "x.folded"), "runtime.main;main.main;main.hot 5\n")
    r = sf(["diff", "--report", proto, folded])
    check(r.returncode == 0, "pprof samples mix with folded: " + r.stderr)
    r = sf(["diff", "--sample-type", "cpu", proto, folded])
    check(r.returncode == 1 and "sample types must agree" in r.stderr, "type clash: " + r.stderr)
    r = sf(["diff", "--sample-type", "cpu", "--report", proto, proto])
    check("warning: every count is a multiple of" in r.stderr, "weights warning: " + r.stderr)
    return profiles


# --- real recordings ---------------------------------------------------------

def record(tmp, name, scale):
    out = os.path.join(tmp, name + ".folded")
    # User frames only: how often the kernel takes interrupts in the workload
    # (sysvec_apic_timer_interrupt, softirqs) depends on what else the machine
    # runs, and does differ between two runs on a loaded machine.
    r = sf(["record", "-q", "-F", "3999", "--no-kernel", "-o", out, "--", WORKLOAD, str(scale),
            "100"])
    check(r.returncode == 0, "record %s: %s" % (name, r.stderr))
    return out


def check_recordings(tmp):
    probe = sf(["record", "-q", "-o", os.path.join(tmp, "probe.folded"), "--", "true"])
    if probe.returncode != 0:
        skipped.append("recordings: perf_event_open is refused here: " + probe.stderr.strip())
        return None
    base1 = record(tmp, "base1", 1.0)
    base2 = record(tmp, "base2", 1.0)
    changed = record(tmp, "changed", 1.2)
    units = ["--before-units", "1", "--after-units", "1"]
    changed_fn = "(anonymous namespace)::changed"
    samples = sum(read_folded(base1, float).values())
    check(samples > 3000, "a recording has thousands of samples: %d" % samples)

    # The same workload twice: nothing significant, all white, gate passes.
    for mode in (units, ["-n"]):
        r = sf(["diff"] + mode + [base1, base2])
        check(r.returncode == 0, "diff same: " + r.stderr)
        coloured = [(n, f) for n, f, _ in svg_frames(r.stdout) if f != "#ffffff"]
        check(not coloured, "same workload %s: every frame white: %s" % (mode, coloured))
        r = sf(["diff", "--report", "--format", "json", "--fail-if-regressed", "1"] + mode +
               [base1, base2])
        check(r.returncode == 0, "gate passes on the same workload: %s" % r.stderr)
        check(json.loads(r.stdout)["significant"] == 0,
              "same workload: no significant function (%s)" % mode)

    # changed() does 20 % more work; both runs did the same work otherwise.
    r = sf(["diff"] + units + [base1, changed])
    check(r.returncode == 0, "diff changed: " + r.stderr)
    frames = svg_frames(r.stdout)
    for name, fill, tip in frames:
        if name == changed_fn:
            check(fill != "#ffffff" and fill.startswith("#ff") and ": grew" in tip,
                  "%s is red: %s %s" % (name, fill, tip))
        elif name != changed_fn:
            check(fill == "#ffffff", "%s stays white: %s %s" % (name, fill, tip))
    r = sf(["diff", "--report", "--format", "json"] + units + [base1, changed])
    rows = {x["name"]: x for x in json.loads(r.stdout)["rows"]}
    c = rows.get(changed_fn)
    if check(c is not None, "the report lists changed()"):
        ratio = c["self"]["after"] / c["self"]["expected"]
        check(c["self"]["verdict"] == "grew" and 1.1 < ratio < 1.3,
              "changed() grew by about 20 %%: %.3f" % ratio)
    for name in ("(anonymous namespace)::steady_a", "(anonymous namespace)::steady_b"):
        if name in rows:
            check(rows[name]["self"]["verdict"] == "unchanged", "%s unchanged" % name)
    # With shares (-n) changed() is found as well.
    r = sf(["diff", "--report", "--format", "json", "-n", base1, changed])
    rows = {x["name"]: x for x in json.loads(r.stdout)["rows"]}
    check(rows.get(changed_fn, {}).get("self", {}).get("verdict") == "grew",
          "with -n, changed() grew")
    # The gate: 20 % of a function with half the samples is ~10 % of the total.
    r = sf(["diff", "--fail-if-regressed", "5", "--grep", "changed"] + units +
           [base1, changed, "-o", os.devnull])
    check(r.returncode == 1 and "regressed: " + changed_fn in r.stderr,
          "gate fails on changed(): %d %s" % (r.returncode, r.stderr))
    r = sf(["diff", "--fail-if-regressed", "25", "--grep", "changed"] + units +
           [base1, changed, "-o", os.devnull])
    check(r.returncode == 0, "gate passes at 25 %%: %d %s" % (r.returncode, r.stderr))
    return base1, changed


# --- the commands the man page and README show -------------------------------

def shown_commands():
    lines = []
    for page, prefix in (("stackfire-diff.1", "stackfire "), ("stackfire.1", "stackfire diff")):
        man = open(os.path.join(SOURCE, "man", page)).read()
        for block in re.findall(r"^\.EX\n(.*?)^\.EE", man, re.S | re.M):
            for line in block.splitlines():
                line = line.replace("\\-", "-").replace("\\(aq", "'")
                if line.startswith(prefix):
                    lines.append((page, line))
    readme = open(os.path.join(SOURCE, "README.md")).read()
    for block in re.findall(r"^```\n(.*?)^```", readme, re.S | re.M):
        for line in block.splitlines():
            line = line.split("  #")[0].rstrip()
            if line.startswith("stackfire diff"):
                lines.append(("README", line))
    return lines


def check_shown_commands(tmp, recordings, go_profiles):
    work = os.path.join(tmp, "examples")
    os.mkdir(work)
    bindir = os.path.join(tmp, "bin")
    os.mkdir(bindir)
    os.symlink(BIN, os.path.join(bindir, "stackfire"))
    write(os.path.join(work, "myprogram"), "#!/bin/sh\nexec %s 1.0 10\n" % WORKLOAD)
    os.chmod(os.path.join(work, "myprogram"), 0o755)
    rng = random.Random(11)
    if recordings:
        before, after = recordings
    else:
        shape = {"main;parse": 30, "main;render": 50, "main;io": 20}
        before = write(os.path.join(tmp, "sb.folded"), draw_folded(shape, 5000, rng))
        shape["main;parse"] = 40
        after = write(os.path.join(tmp, "sa.folded"), draw_folded(shape, 5000, rng))
    for name, src in [("before", before), ("after", after), ("baseline", before),
                      ("current", after)]:
        shutil.copy(src, os.path.join(work, name + ".folded"))
    b, a = read_folded(before, float), read_folded(after, float)
    for i in (1, 2, 3):
        write(os.path.join(work, "base%d.folded" % i), draw_folded(b, 3000, rng))
        write(os.path.join(work, "new%d.folded" % i), draw_folded(a, 3000, rng))
    if go_profiles:
        shutil.copy(go_profiles[0][1], os.path.join(work, "old.pb.gz"))
        shutil.copy(go_profiles[1][1], os.path.join(work, "new.pb.gz"))
    env = dict(os.environ, PATH=bindir + os.pathsep + os.environ.get("PATH", ""))
    commands = shown_commands()
    check(len(commands) >= 10, "found the shown commands: %d" % len(commands))
    ran = 0
    for where, line in commands:
        if ".pb.gz" in line and not go_profiles:
            skipped.append("%s: %s (needs Go)" % (where, line))
            continue
        if line.startswith("stackfire record") and not recordings:
            skipped.append("%s: %s (needs perf_event_open)" % (where, line))
            continue
        if line.startswith("stackfire record") and "before.folded" not in line and \
                "after.folded" not in line:
            continue  # other subcommands' examples, run by their own tests
        r = subprocess.run(["bash", "-c", line], cwd=work, env=env, capture_output=True,
                           text=True, timeout=300)
        ok = r.returncode in ((0, 1) if "--fail-if-regressed" in line else (0,))
        check(ok, "%s: `%s` exit %d: %s" % (where, line, r.returncode, r.stderr))
        ran += 1
        if line.startswith("stackfire record"):
            # Keep the real recordings for the diff lines after it.
            shutil.copy(before if "before" in line else after,
                        os.path.join(work, "before.folded" if "before" in line else "after.folded"))
    print("ran %d shown commands" % ran)
    for out in ("diff.svg", "diff.folded", "changes.json"):
        p = os.path.join(work, out)
        check(os.path.exists(p) and os.path.getsize(p) > 0, "%s was written" % out)


def main():
    with tempfile.TemporaryDirectory(prefix="stackfire-diff-") as tmp:
        check_gate(tmp)
        check_runs(tmp)
        check_raw_goldens()
        check_perf_script(tmp)
        go_profiles = check_go(tmp)
        before = len(failures)
        recordings = check_recordings(tmp)
        if len(failures) > before:
            # Three recordings on a 2-vCPU VM: a burst of time stolen by the
            # host in one of them can move its shares past these bounds
            # (about 1 run in 10 here; a regression fails every time). They
            # are made again once, and only the second attempt counts.
            first = failures[before:]
            del failures[before:]
            print("recordings: %d check(s) failed; recording again once" % len(first))
            recordings = check_recordings(tmp)
        check_shown_commands(tmp, recordings, go_profiles)
    for s in skipped:
        print("SKIP:", s)
    if not failures and recordings is None and go_profiles is None:
        print("the checks without recordings and Go passed; skipping the rest")
        return SKIP
    return finish("diff checks passed", "%d failure(s)")


if __name__ == "__main__":
    sys.exit(main())
