#!/usr/bin/env python3
"""End-to-end checks of `stackfire collapse/render --format pprof|speedscope`.

pprof: the file is read by `go tool pprof -top` (skipped with a message
when Go is not installed); its total and its top functions by self weight
must match the folded output of the same input. speedscope: the JSON is
parsed and every profile's stacks and weights must rebuild the folded
stacks; hostile names must come back as valid, correctly replaced text.
"""
import collections
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, failures, parse_folded, validate_speedscope  # noqa: E402
from testlib import stackfire as run  # noqa: E402

DATA = os.environ["STACKFIRE_TESTDATA"]


def folded_lines(text):
    return parse_folded(text.decode("utf-8", "surrogateescape"), float)


def check_pprof(tmp):
    go = shutil.which("go")
    if not go:
        print("SKIP: go tool pprof checks: `go` is not installed (apt-get install golang-go)")
        return
    src = os.path.join(DATA, "perf-script/input/cpp-stacks-std-function.txt")
    folded = folded_lines(run(["collapse", src]).stdout)
    pb = os.path.join(tmp, "p.pb.gz")
    r = run(["collapse", "-o", pb, src])  # the name chooses pprof
    check(r.returncode == 0, "collapse -o p.pb.gz: " + r.stderr.decode())
    with open(pb, "rb") as f:
        check(f.read(2) == b"\x1f\x8b", "p.pb.gz is gzip")
    env = dict(os.environ, HOME=tmp, GOCACHE=os.path.join(tmp, "gocache"))
    top = subprocess.run([go, "tool", "pprof", "-top", "-nodecount=100", pb],
                         capture_output=True, env=env, text=True)
    check(top.returncode == 0, "go tool pprof -top: " + top.stderr)
    m = re.search(r"of (\d+) total", top.stdout)
    total = sum(folded.values())
    check(m and int(m.group(1)) == total, "pprof total %s == folded %d" % (m and m.group(1), total))
    check("Type: cycles" in top.stdout, "sample type is the event: " + top.stdout[:200])
    self_w = collections.Counter()
    for stack, w in folded.items():
        self_w[stack.split(";")[-1]] += w
    rows = []
    for line in top.stdout.splitlines():
        cols = line.split(None, 5)
        if len(cols) == 6 and cols[0].isdigit():
            rows.append((int(cols[0]), cols[5]))
    want = sorted(self_w.values(), reverse=True)
    got = sorted((v for v, _ in rows if v > 0), reverse=True)
    check(got == [int(v) for v in want], "self weights %s == %s" % (got, want))
    # The top function by self weight, by name.
    best = max(self_w, key=self_w.get)
    check(rows and rows[0][1] == best and rows[0][0] == self_w[best],
          "top function %r == folded %r" % (rows[:1], best))

    # Inline chains: render's input path, '_[i]' frames.
    fin = os.path.join(tmp, "inl.folded")
    with open(fin, "w") as f:
        f.write("main;outer;inl_[i];deep_[i] 30\nmain;outer 5\nmain;other 1\n")
    pb2 = os.path.join(tmp, "inl.pb.gz")
    r = run(["render", "--format", "pprof", "-o", pb2, fin])
    check(r.returncode == 0, "render --format pprof: " + r.stderr.decode())
    top = subprocess.run([go, "tool", "pprof", "-top", pb2], capture_output=True, env=env, text=True)
    check(re.search(r"^\s*30 .*deep \(inline\)$", top.stdout, re.M) is not None,
          "deep is an inline line with the self weight:\n" + top.stdout)
    check(re.search(r"^\s*0 .* 30 .*inl \(inline\)$", top.stdout, re.M) is not None,
          "inl is an inline line:\n" + top.stdout)
    check(re.search(r"^\s*5 .* 35 .*outer$", top.stdout, re.M) is not None,
          "outer holds its inlined calls:\n" + top.stdout)
    check("of 36 total" in top.stdout, "inline total 36")


def rebuild(doc):
    frames = doc["shared"]["frames"]
    per = {}
    for p in doc["profiles"]:
        check(p["type"] == "sampled", "type sampled")
        check(len(p["samples"]) == len(p["weights"]), "samples and weights align")
        stacks = collections.Counter()
        for s, w in zip(p["samples"], p["weights"]):
            stacks[";".join(frames[i]["name"] for i in s)] += w
        check(p["endValue"] - p["startValue"] == sum(p["weights"]), "endValue is the total")
        per[p["name"]] = stacks
    return per


def check_speedscope(tmp):
    src = os.path.join(DATA, "perf-script/input/perf-java-stacks-01.txt")
    folded = folded_lines(run(["collapse", "--tid", src]).stdout)
    out = os.path.join(tmp, "p.speedscope.json")
    r = run(["collapse", "--tid", "-o", out, src])
    check(r.returncode == 0, "collapse --tid -o x.speedscope.json: " + r.stderr.decode())
    with open(out, "rb") as f:
        doc = json.loads(f.read().decode("utf-8"))
    validate_speedscope(doc, "per-thread export")
    check(doc["$schema"] == "https://www.speedscope.app/file-format-schema.json", "$schema")
    check(doc["exporter"].startswith("stackfire "), "exporter")
    check(doc["activeProfileIndex"] == 0, "activeProfileIndex")
    want = collections.defaultdict(collections.Counter)
    for stack, w in folded.items():
        root, _, rest = stack.partition(";")
        want[root][rest] += w
    check(rebuild(doc) == dict(want), "per-thread speedscope rebuilds the folded --tid stacks")
    check(len(doc["profiles"]) == len(want) and len(want) > 1, "one profile per thread")

    # Without --tid: one profile, with the root frames.
    r = run(["collapse", "--format", "speedscope", src])
    doc = json.loads(r.stdout.decode("utf-8"))
    check(len(doc["profiles"]) == 1, "one profile without --tid")
    plain = folded_lines(run(["collapse", src]).stdout)
    check(list(rebuild(doc).values())[0] == plain, "single profile rebuilds the folded stacks")

    # Hostile names through render's input path.
    fin = os.path.join(tmp, "evil.folded")
    with open(fin, "wb") as f:
        f.write(b'main;"quote\\back\x01\x1b[31m\x7f;bad\xff\xc0\xafutf;ok\xc3\xa9</script> 3\n')
    r = run(["render", "--format", "speedscope", fin])
    check(r.returncode == 0, "render --format speedscope: " + r.stderr.decode())
    text = r.stdout.decode("utf-8")  # must be valid UTF-8
    check(all(ord(c) >= 0x20 or c == "\n" for c in text), "no raw control character in the JSON")
    doc = json.loads(text)
    validate_speedscope(doc, "hostile names export")
    names = [f["name"] for f in doc["shared"]["frames"]]
    check(names == ["main", '"quote\\back\x01\x1b[31m\x7f', "bad\ufffd\ufffd\ufffdutf",
                    "ok\u00e9</script>"], "hostile names: %r" % names)
    check(doc["profiles"][0]["unit"] == "none", "unit none for counts")


def check_errors(tmp):
    r = run(["collapse", "--format", "svg", os.devnull])
    check(r.returncode == 2, "collapse --format svg is a usage error")
    fin = os.path.join(tmp, "diff.folded")
    with open(fin, "w") as f:
        f.write("a;b 1 2\n")
    r = run(["render", "--format", "pprof", "-o", os.path.join(tmp, "d.pb.gz"), fin])
    check(r.returncode == 1 and b"differential" in r.stderr, "differential input refused")
    r = run(["render", "-o", os.path.join(tmp, "no-such-dir", "x.pb.gz"), os.devnull])
    check(r.returncode == 1 and b"error" in r.stderr, "empty input or unwritable output fails")


with tempfile.TemporaryDirectory() as tmp:
    check_speedscope(tmp)
    check_errors(tmp)
    check_pprof(tmp)
if failures:
    sys.exit(1)
print("ok")
