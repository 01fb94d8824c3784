#!/usr/bin/env python3
"""Every command that reads text refuses binary input (issue 10 section 6).

A real perf.data file (recorded here with `perf record`, or, where
perf_event_open is refused, a file that starts like one) given to collapse,
render, diff and report, as a file, on stdin and gzip-compressed: exit
status 1, nothing on stdout, no -o file created, and an error naming the
file with the way forward, `perf script -i FILE | stackfire collapse`,
which must then work. An ELF file is refused the same way. Text of the
wrong kind (perf script output given to render, folded stacks given to
collapse) gets a hint that says so. And -o files are written atomically:
a failed command leaves the old file as it was and no temporary file.
"""
import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import check, finish  # noqa: E402
from testlib import stackfire as run  # noqa: E402

BIN = os.environ["STACKFIRE_BIN"]
DATA = os.environ["STACKFIRE_TESTDATA"]


def record_perf_data(path):
    """A real perf.data, or None (and why) when perf cannot record here."""
    perf = shutil.which("perf")
    if not perf:
        return "perf is not installed"
    busy = "i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done"
    r = subprocess.run([perf, "record", "-q", "-e", "cpu-clock", "-F", "999", "-g", "-o", path,
                        "--", "sh", "-c", busy], capture_output=True, text=True)
    if r.returncode != 0 or not os.path.exists(path):
        return "perf record failed: " + r.stderr.strip()[-300:]
    return None


def check_refused(r, what, name, hint):
    err = r.stderr.decode("utf-8", "replace")
    check(r.returncode == 1, "%s: exit status %d, want 1 (%s)" % (what, r.returncode, err))
    check(r.stdout == b"", "%s: nothing on stdout, got %r" % (what, r.stdout[:80]))
    check(name in err, "%s: the error names %r: %s" % (what, name, err))
    check(hint in err, "%s: the hint says %r: %s" % (what, hint, err))


def main():
    tmp = tempfile.mkdtemp(prefix="stackfire-text-inputs-")
    try:
        data = os.path.join(tmp, "perf.data")
        why = record_perf_data(data)
        if why:
            print("NOTE: %s; using a file that starts like a perf.data file" % why)
            with open(data, "wb") as f:
                f.write(b"PERFILE2" + b"\x68" + b"\0" * 300)
        with open(data, "rb") as f:
            check(f.read(8) == b"PERFILE2", "perf.data starts with PERFILE2")
        folded = os.path.join(tmp, "a.folded")
        with open(folded, "w") as f:
            f.write("main;work 3\n")
        forward = "perf script -i %s | stackfire collapse" % data
        perf_data_says = "'%s' is a perf.data file" % data

        for cmd in (["collapse", data], ["render", data], ["report", data]):
            check_refused(run(cmd), " ".join(cmd[:1] + ["perf.data"]), perf_data_says, forward)
        # diff reads `perf script` text itself.
        for cmd in (["diff", data, folded], ["diff", folded, data]):
            check_refused(run(cmd), "diff perf.data", perf_data_says,
                          "perf script -i %s > profile.txt" % data)
        out = os.path.join(tmp, "flame.svg")
        run(["render", data, "-o", out])
        check(not os.path.exists(out), "render perf.data -o flame.svg creates no file")
        check(sorted(os.listdir(tmp)) == ["a.folded", "perf.data"],
              "no file left beside the inputs: %s" % os.listdir(tmp))

        with open(data, "rb") as f:
            check_refused(run(["collapse"], stdin=f), "collapse < perf.data",
                          "the input on stdin is a perf.data file",
                          "perf script -i perf.data | stackfire collapse")
        gz = os.path.join(tmp, "perf.data.gz")
        with open(data, "rb") as f, gzip.open(gz, "wb") as g:
            g.write(f.read())
        check_refused(run(["report", gz]), "report perf.data.gz", "'%s' is a perf.data" % gz,
                      "stackfire collapse | stackfire report")
        os.remove(gz)

        check_refused(run(["collapse", BIN]), "collapse ELF", "is an ELF file",
                      "stackfire record -- " + BIN)

        if not why:
            # The way forward works.
            script = subprocess.run(["perf", "script", "-i", data], capture_output=True)
            check(script.returncode == 0, "perf script -i perf.data")
            r = subprocess.run([BIN, "collapse"], input=script.stdout, capture_output=True)
            check(r.returncode == 0 and r.stdout.count(b"\n") >= 1,
                  "perf script | stackfire collapse: %s" % r.stderr.decode("utf-8", "replace"))

        # Text of the other kind: the hint says what it is.
        script_txt = os.path.join(DATA, "perf-script/input/cpp-stacks-std-function.txt")
        # render folds perf script text itself, as collapse does, and draws
        # the same frames with a heatmap of the samples' times.
        direct, piped = os.path.join(tmp, "direct.svg"), os.path.join(tmp, "piped.svg")
        r = run(["render", script_txt, "-o", direct])
        check(r.returncode == 0, "render of perf script text: %s" % r.stderr.decode("utf-8", "replace"))
        c = run(["collapse", script_txt])
        subprocess.run([BIN, "render", "-o", piped], input=c.stdout, check=False)
        tables = []
        for p in (direct, piped):
            with open(p, encoding="utf-8") as f:
                m = re.search(r'<metadata id="sfdata">(.*?)</metadata>', f.read(), re.S)
            tables.append(json.loads(m.group(1)) if m else {})
        check(all(tables[0].get(k) == tables[1].get(k) and tables[0].get(k)
                  for k in ("names", "depth", "w")) and "time" in tables[0]
              and "time" not in tables[1],
              "render of perf script text draws collapse | render's frames, with a heatmap")
        r = run(["collapse", folded])
        check(r.returncode == 1 and b"looks like folded stacks already" in r.stderr,
              "collapse of folded text: %s" % r.stderr.decode("utf-8", "replace"))

        # A failed command keeps the old output file and leaves no temporary.
        old = os.path.join(tmp, "old.svg")
        with open(old, "w") as f:
            f.write("old\n")
        r = run(["render", folded, "-o", old, "--width", "5"])
        check(r.returncode == 2, "render --width 5 is a usage error")
        r = run(["diff", folded, os.path.join(tmp, "missing.folded"), "-o", old])
        check(r.returncode == 1, "diff with a missing file fails")
        with open(old) as f:
            check(f.read() == "old\n", "the old -o file is kept")
        r = run(["render", folded, "-o", old])
        check(r.returncode == 0, "render -o over the old file")
        with open(old) as f:
            check(f.read().startswith("<?xml"), "render replaced the old file")
        check(not [n for n in os.listdir(tmp) if "stackfire-tmp" in n],
              "no temporary file left: %s" % os.listdir(tmp))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return finish("ok")


if __name__ == "__main__":
    sys.exit(main())
