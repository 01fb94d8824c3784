#!/usr/bin/env python3
"""Runs every command that README.md and the manual pages show.

The commands are extracted mechanically, so a command added to the docs is
run (or fails for want of a rule) without touching this test:
  - README.md: every line of a fenced code block (``` or ~~~) whose info
    string is empty or sh, bash, shell or console; "$ " prompts and comment
    lines dropped, lines ending in a backslash joined. Output belongs in a
    block marked ```text, which is not run.
  - man/*.1: every line between .EX and .EE in the EXAMPLES section (an
    .EX block elsewhere shows a format, not a command), groff escapes
    decoded (GROFF_ESCAPES; an unknown escape fails the test, so that it is
    added there and not mis-decoded), comment lines dropped, lines ending in
    a backslash joined.

Each document runs in a directory of its own, in document order, so that a
command reads what the commands before it wrote. The rules that make the
commands runnable here are the tables below, and nothing else:
  - SUBSTITUTIONS: `$(pidof server)`, `1234` and `5678` become the PIDs of
    demo servers running under their load generators; durations (`-d N`,
    `sleep N`) become 2 s; a DEBUGINFOD_URLS server becomes a closed
    local port (no network here).
  - FIXTURES: input files that a document reads without making them
    (perf.data, *.folded, profile.perf.txt, a Makefile for `make -j2`, app.js, big.tar) are
    made before it runs, from real recordings of the demo server and the
    field suite's node workload.
  - ENVIRONMENT: the scripts run from a copy of scripts/ next to the
    document's files, with the build folder given and set-up skipped
    (DEMO_SKIP_SETUP=1), shortened (DEMO_SECONDS, DEMO_REQUESTS), on free
    ports.
  - EXCLUDED: commands not run, each with its reason.
  - OPTIONAL_TOOLS: a command that needs go or node runs when it is
    installed, else it is skipped with a message; `go tool pprof -http=:`
    is served until its page answers.
A command whose program has no rule (KNOWN_PROGRAMS) fails the test.

Every command must exit 0 (or its DOCUMENTED_STATUS), and every file it
names as an output (`-o FILE`, `> FILE`) must exist afterwards, non-empty.
Exits 77 (SKIP) when perf_event_open is refused here.
"""
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from testlib import SKIP, check, failures, finish  # noqa: E402

SOURCE = os.environ["STACKFIRE_SOURCE"]
BUILD = os.environ["STACKFIRE_BUILDDIR"]
BIN = os.environ["STACKFIRE_BIN"]
DEMO = os.path.join(BUILD, "examples", "demo")
SECONDS = 2          # every recording and `sleep` in a command
TIMEOUT = 180        # seconds per command

KNOWN_PROGRAMS = {"stackfire", "perf", "go", "bash", "meson", "build/tests/collapse/folded_test",
                  "grep"}

SUBSTITUTIONS = [
    # (regex, replacement, why)
    (r"\$\(pidof server\)", "$SERVER_PID", "the demo server, serving its load generator"),
    (r"(?<![\w.])1234(?![\w.])", "$PID_A", "a running process: the demo server"),
    (r"(?<![\w.])5678(?![\w.])", "$PID_B", "a second running process: another demo server"),
    (r"(?<=-d )\d+(\.\d+)?", str(SECONDS), "recordings last %d s" % SECONDS),
    (r"(?<=sleep )\d+(\.\d+)?", str(SECONDS), "perf record ... -- sleep N lasts %d s" % SECONDS),
    (r"(?<=-C )build(?=\s)", BUILD, "the developer loop's build folder is the test's"),
    (r"^build/", BUILD + "/", "the developer loop's build folder is the test's"),
    (r"^meson test ", "meson test --logbase doc-commands-testlog ",
     "a meson test inside the outer one writes its own log: the outer run is still writing "
     "meson-logs/testlog.json, which the inner one would truncate (NUL bytes where its "
     "first lines were)"),
    (r"\bDEBUGINFOD_URLS=\S+", "DEBUGINFOD_URLS=http://127.0.0.1:1",
     "no network here: a debuginfod server becomes a closed local port, which stackfire must "
     "get past (tests/record has the real server)"),
]

FIXTURES = {
    "perf.data": "perf record -g -F 499 of the demo server for 2 s",
    "before.folded": "stackfire record -p of the demo server, 2 s",
    "after.folded": "stackfire record -p of the demo server with --cheap-checksum, 2 s",
    "out.folded": "a copy of before.folded",
    "profile.folded": "a copy of before.folded",
    "allocs.folded": "a copy of before.folded",
    "a.folded": "a copy of before.folded",
    "b.folded": "a copy of after.folded",
    "base1.folded": "a copy of before.folded", "base2.folded": "a copy of before.folded",
    "base3.folded": "a copy of before.folded",
    "new1.folded": "a copy of after.folded", "new2.folded": "a copy of after.folded",
    "new3.folded": "a copy of after.folded",
    "baseline.folded": "a copy of before.folded",
    "current.folded": "a copy of before.folded (the regression gate passes)",
    "old.pb.gz": "before.folded's recording, written as pprof too",
    "new.pb.gz": "after.folded's recording, written as pprof too",
    "profile.perf.txt": "stackfire record -p of the demo server, 2 s, as perf script text",
    "myprogram": "a C program (cc -O2 -g) that keeps a CPU busy for about a second",
    "app": "a C program (cc -O2 -g) that computes and sleeps in turns for about a second "
           "(the --off-cpu examples' ./app)",
    "Makefile": "two small C programs built by cc, for `make -j2`",
    "app.js": "testdata/field/node/workload.js: 5 s of JIT-compiled JS calling V8's builtins",
    "big.tar": "a tar file of 2 MB of generated text, for xz",
}

# Tools a command may run that a machine may lack: the command is skipped,
# with this hint, when the tool is not installed.
OPTIONAL_TOOLS = {"go": "apt-get install golang-go", "node": "apt-get install nodejs"}

EXCLUDED = {
    "bash scripts/test.sh": "the whole test run, this test included; CI runs it (.ci/run)",
    "meson setup build --buildtype=release && ninja -C build -j2 # once, then ninja -C build -j2":
        "sets up the build folder this test runs from (scripts/setup.sh runs exactly this)",
    "meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false -Dstatic_deps=false "
    "--buildtype=debugoptimized -Doptimization=1":
        "the sanitizer tree, which scripts/test.sh sets up and runs",
    "meson test -C build-asan --suite unit": "the sanitizer tree, which scripts/test.sh runs",
}

DOCUMENTED_STATUS = {}  # command (as documented) -> its documented exit status

GROFF_ESCAPES = {
    r"\-": "-", r"\e": "\\", r"\(dq": '"', r"\(aq": "'", r"\(ga": "`", r"\(ti": "~",
    r"\(ha": "^", r"\(rs": "\\", r"\&": "", r"\fB": "", r"\fI": "", r"\fR": "", r"\fP": "",
    r"\f(CW": "", r"\ ": " ", r"\~": " ", r"\(em": "--", r"\(en": "-", r"\|": "",
}
ESCAPE_RE = re.compile(r"\\(\(..|f\(..|f.|.)")

# ---------------------------------------------------------------------------
# Extraction.

def join_continuations(lines):
    """[(line number, text)] with backslash-continued lines joined."""
    out, pending, start = [], "", None
    for number, text in lines:
        if start is None:
            start = number
        if text.rstrip().endswith("\\"):
            pending += text.rstrip()[:-1] + " "
            continue
        out.append((start, pending + text))
        pending, start = "", None
    if pending:
        out.append((start, pending))
    return out


def commands_of_lines(lines):
    cmds = []
    for number, text in join_continuations(lines):
        text = text.strip()
        if text.startswith("$ "):
            text = text[2:]
        if not text or text.startswith("#"):
            continue
        cmds.append((number, re.sub(r"\s+", " ", text)))
    return cmds


def extract_readme(path):
    cmds, block, fence = [], None, None
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            stripped = line.strip()
            m = re.match(r"^(```+|~~~+)\s*([\w+-]*)", stripped)
            if fence is None and m:
                fence, lang = m.group(1), m.group(2).lower()
                block = [] if lang in ("", "sh", "bash", "shell", "console") else None
                continue
            if fence is not None and stripped.startswith(fence) and stripped.strip("`~") == "":
                if block is not None:
                    cmds += commands_of_lines(block)
                fence, block = None, None
                continue
            if block is not None:
                block.append((number, line.rstrip("\n")))
    return cmds


def decode_groff(text, where):
    def one(m):
        esc = m.group(0)
        if esc not in GROFF_ESCAPES:
            raise ValueError("%s: groff escape %r has no decoding; add it to GROFF_ESCAPES in "
                             "tests/docs/check_doc_commands.py" % (where, esc))
        return GROFF_ESCAPES[esc]
    return ESCAPE_RE.sub(one, text)


def extract_man(path):
    """The .EX/.EE blocks of the EXAMPLES section (elsewhere they show
    formats, not commands)."""
    lines, inside, section = [], False, ""
    with open(path, encoding="utf-8") as f:
        for number, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if line.startswith(".SH"):
                section = line[3:].strip().strip('"').upper()
                continue
            if section not in ("EXAMPLES", "EXAMPLE"):
                continue
            if line.startswith(".EX"):
                inside = True
                continue
            if line.startswith(".EE"):
                inside = False
                continue
            if inside and not line.startswith(('.\\"', "'\\\"")):
                if line.startswith("."):  # a request inside the example (e.g. .br)
                    continue
                lines.append((number, decode_groff(line, "%s:%d" % (path, number))))
    return commands_of_lines(lines)


# ---------------------------------------------------------------------------
# The world the commands run in.

def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Process:
    def __init__(self, args, **kw):
        self.args = args
        self.proc = subprocess.Popen(args, start_new_session=True, **kw)

    def stop(self):
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


def start_demo_server(extra=()):
    """A demo server under load; returns (server, load) Processes."""
    port = free_port()
    server = Process([os.path.join(DEMO, "demo_server"), "--port", str(port)] + list(extra),
                     stderr=subprocess.PIPE, stdout=subprocess.DEVNULL)
    line = server.proc.stderr.readline().decode(errors="replace")
    if "listening" not in line:
        raise RuntimeError("demo_server did not start: %r" % line)
    load = Process([os.path.join(DEMO, "demo_load"), "--port", str(port), "--connections", "1",
                    "--seconds", "3600"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return server, load


def make_fixtures(tmp, pid_a, pid_cheap):
    d = os.path.join(tmp, "fixtures")
    os.makedirs(d)
    def record(pid, out, pprof):
        r = subprocess.run([BIN, "record", "-q", "-F", "499", "-p", str(pid), "-d", str(SECONDS),
                            "-o", os.path.join(d, out), "-o", os.path.join(d, pprof)],
                           capture_output=True, text=True, timeout=TIMEOUT)
        if r.returncode != 0:
            raise RuntimeError("fixture %s: stackfire record exited %d: %s"
                               % (out, r.returncode, r.stderr))
    record(pid_a, "before.folded", "old.pb.gz")
    record(pid_cheap, "after.folded", "new.pb.gz")
    record(pid_a, "profile-for-text.folded", "profile.perf.txt")
    os.unlink(os.path.join(d, "profile-for-text.folded"))
    for name in ("out.folded", "profile.folded", "allocs.folded", "a.folded", "base1.folded",
                 "base2.folded", "base3.folded", "baseline.folded", "current.folded"):
        shutil.copy(os.path.join(d, "before.folded"), os.path.join(d, name))
    for name in ("b.folded", "new1.folded", "new2.folded", "new3.folded"):
        shutil.copy(os.path.join(d, "after.folded"), os.path.join(d, name))
    with open(os.path.join(d, "myprogram.c"), "w") as f:
        f.write("#include <time.h>\n"
                "static volatile unsigned long sink;\n"
                "static void work(void) { for (int i = 0; i < 1000000; ++i) sink += i * i; }\n"
                "int main(void) {\n"
                "  time_t end = time(0) + 1;\n"
                "  while (time(0) <= end) work();\n"
                "  return 0;\n"
                "}\n")
    subprocess.run(["cc", "-O2", "-g", "-o", "myprogram", "myprogram.c"], cwd=d, check=True)
    with open(os.path.join(d, "app.c"), "w") as f:
        f.write("#include <time.h>\n"
                "static volatile unsigned long sink;\n"
                "static void work(void) { for (int i = 0; i < 30000000; ++i) sink += i * i; }\n"
                "static void nap(void) { struct timespec ts = {0, 100000000}; "
                "nanosleep(&ts, 0); }\n"
                "int main(void) {\n"
                "  for (int i = 0; i < 5; ++i) { work(); nap(); }\n"
                "  return 0;\n"
                "}\n")
    subprocess.run(["cc", "-O2", "-g", "-o", "app", "app.c"], cwd=d, check=True)
    r = subprocess.run(["perf", "record", "-q", "-g", "-F", "499", "-p", str(pid_a), "-o",
                        os.path.join(d, "perf.data"), "--", "sleep", str(SECONDS)],
                       capture_output=True, text=True, timeout=TIMEOUT)
    if r.returncode != 0:
        raise RuntimeError("fixture perf.data: perf record exited %d: %s" % (r.returncode, r.stderr))
    shutil.copy(os.path.join(SOURCE, "testdata", "field", "node", "workload.js"),
                os.path.join(d, "app.js"))
    words = "stack frame sample profile thread module symbol inline unwind record".split()
    os.makedirs(os.path.join(d, "big"))
    with open(os.path.join(d, "big", "text.txt"), "w") as f:
        x, size = 12345, 0
        while size < 2 * 1024 * 1024:
            x = (x * 1103515245 + 12345) & 0x7FFFFFFF
            line = "%s %d %s\n" % (words[x % len(words)], x % 100003, words[(x >> 8) % len(words)])
            f.write(line)
            size += len(line)
    subprocess.run(["tar", "-cf", "big.tar", "big"], cwd=d, check=True)
    shutil.rmtree(os.path.join(d, "big"))
    with open(os.path.join(d, "Makefile"), "w") as f:
        f.write("all: one two\n"
                "one: one.c\n\tcc -O2 -o $@ $<\n"
                "two: two.c\n\tcc -O2 -o $@ $<\n")
    for name in ("one", "two"):
        with open(os.path.join(d, name + ".c"), "w") as f:
            f.write("#include <stdio.h>\nint main(void) { puts(\"%s\"); return 0; }\n" % name)
    missing = set(FIXTURES) - set(os.listdir(d))
    if missing:
        raise RuntimeError("fixtures not made: %s" % ", ".join(sorted(missing)))
    return d


def substitute(cmd):
    for regex, repl, _ in SUBSTITUTIONS:
        cmd = re.sub(regex, repl, cmd)
    return cmd


def outputs_of(cmd):
    """Files the command names as outputs: -o/--output FILE, > FILE."""
    try:
        words = shlex.split(cmd, comments=True)
    except ValueError:
        return []
    out = []
    for i, w in enumerate(words):
        if w in ("-o", "--output") and i + 1 < len(words) and words[i + 1] != "-":
            # record --every: "%n" is the interval's number; the first is 0001.
            out.append(words[i + 1].replace("%n", "0001"))
        elif w.startswith("--output="):
            out.append(w.split("=", 1)[1])
        elif w == ">" and i + 1 < len(words):
            out.append(words[i + 1])
        elif w.startswith(">") and len(w) > 1 and not w.startswith(">&"):
            out.append(w[1:])
    return out


def run_pprof_http(cmd, cwd, env):
    """`go tool pprof -http=: FILE` serves until stopped: wait for its
    address, fetch the page a browser opens first (pprof's graph view,
    drawn by Graphviz's dot: setup installs graphviz), stop it. Without dot
    here, the table view (/ui/top) is fetched instead, with a note."""
    p = Process(["bash", "-c", "exec " + cmd], cwd=cwd, env=dict(env, BROWSER="true"),
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    try:
        deadline = time.time() + TIMEOUT
        seen = []
        while time.time() < deadline:
            line = p.proc.stdout.readline().decode(errors="replace")
            if not line:
                break
            seen.append(line)
            m = re.search(r"Serving web UI on (http://\S+)", line)
            if m:
                url = m.group(1)
                if shutil.which("dot") is None:
                    print("   note: Graphviz's dot is not installed (apt-get install graphviz): "
                          "pprof's graph view would answer 501; fetching /ui/top instead")
                    url = url.rstrip("/") + "/ui/top"
                # Straight to 127.0.0.1, whatever http_proxy says.
                opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
                # pprof prints its address before it listens there: a
                # refused connection is retried for a few seconds.
                for attempt in range(20):
                    try:
                        with opener.open(url, timeout=60) as page:
                            body = page.read().decode(errors="replace")
                            ok = page.status == 200 and "pprof" in body.lower()
                        break
                    except OSError as e:
                        refused = isinstance(getattr(e, "reason", e), ConnectionRefusedError)
                        if not refused or attempt == 19 or p.proc.poll() is not None:
                            return False, "".join(seen) + "GET %s: %s" % (url, e)
                        time.sleep(0.25)
                return ok, "".join(seen) + "GET %s: %d, %d bytes" % (url, page.status, len(body))
        return False, "".join(seen)
    finally:
        p.stop()


def run_document(doc, cmds, fixtures, env, tmp):
    name = os.path.basename(doc)
    cwd = os.path.join(tmp, "run-" + name)
    shutil.copytree(fixtures, cwd)
    shutil.copytree(os.path.join(SOURCE, "scripts"), os.path.join(cwd, "scripts"))
    print("\n== %s: %d commands, in %s" % (doc, len(cmds), cwd), flush=True)
    for number, documented in cmds:
        where = "%s:%d" % (doc, number)
        if documented in EXCLUDED:
            print("-- %s: not run: %s (%s)" % (where, documented, EXCLUDED[documented]))
            continue
        words = documented.split()
        while len(words) > 1 and re.match(r"^[A-Za-z_][A-Za-z0-9_]*=", words[0]):
            words = words[1:]  # VAR=value before the command
        program = words[0]
        if not check(program in KNOWN_PROGRAMS,
                     "%s: `%s`: no rule for running %r here; add one to tests/docs/"
                     "check_doc_commands.py (KNOWN_PROGRAMS, SUBSTITUTIONS, FIXTURES)"
                     % (where, documented, program)):
            continue
        cmd = substitute(documented)
        absent = [t for t in OPTIONAL_TOOLS if t in words and shutil.which(t) is None]
        if absent:
            print("-- %s: skipped, %s is not installed (%s): %s"
                  % (where, absent[0], OPTIONAL_TOOLS[absent[0]], documented))
            continue
        cmd_env = dict(env)
        if cmd.startswith("bash scripts/"):
            cmd_env.update(DEMO_SKIP_SETUP="1", DEMO_SECONDS=str(SECONDS), DEMO_REQUESTS="100",
                           DEMO_PORT=str(free_port()), STACKFIRE_BUILDDIR=BUILD)
        outputs = outputs_of(cmd)
        for out in outputs:
            path = os.path.join(cwd, out)
            if os.path.exists(path):
                os.unlink(path)
        print("-- %s: %s" % (where, documented) + ("\n   as: %s" % cmd if cmd != documented else ""),
              flush=True)
        start = time.time()
        if re.match(r"^go tool pprof\b.*-http=", cmd):
            ok, text = run_pprof_http(cmd, cwd, cmd_env)
            check(ok, "%s: `%s` did not serve its web page: %s" % (where, cmd, text[-1500:]))
            continue
        try:
            r = subprocess.run(["bash", "-o", "pipefail", "-c", cmd], cwd=cwd, env=cmd_env,
                               capture_output=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            check(False, "%s: `%s` did not finish in %d s" % (where, cmd, TIMEOUT))
            continue
        want = DOCUMENTED_STATUS.get(documented, 0)
        err = r.stderr.decode(errors="replace")
        print("   exit %d in %.1f s%s" % (r.returncode, time.time() - start,
                                          ("; stderr: " + err.strip()[-600:]) if err.strip() else ""))
        if not check(r.returncode == want, "%s: `%s` exited %d (documented: %d): %s"
                     % (where, cmd, r.returncode, want, err.strip()[-2000:])):
            continue
        for out in outputs:
            path = os.path.join(cwd, out)
            check(os.path.exists(path) and os.path.getsize(path) > 0,
                  "%s: `%s` did not write %s" % (where, cmd, out))


def perf_event_refused(tmp):
    r = subprocess.run([BIN, "record", "-q", "-o", os.path.join(tmp, "probe.folded"), "--", "true"],
                       capture_output=True, text=True, timeout=60)
    return None if r.returncode == 0 else r.stderr.strip()


def main():
    # meson's timeout (and Ctrl-C's cousin SIGTERM) must still run the
    # finally blocks below, which stop the demo servers: left running, they
    # would take both CPUs from whatever runs next.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(128 + signal.SIGTERM))
    docs = [os.path.join(SOURCE, "README.md")] + sorted(
        os.path.join(SOURCE, "man", f) for f in os.listdir(os.path.join(SOURCE, "man"))
        if re.match(r".*\.\d$", f))
    try:
        extracted = [(doc, extract_readme(doc) if doc.endswith(".md") else extract_man(doc))
                     for doc in docs]
    except ValueError as e:
        check(False, str(e))
        return 1
    total = sum(len(c) for _, c in extracted)
    readme_count = len(extracted[0][1])
    print("extracted %d commands (%d from README.md)" % (total, readme_count))
    # A broken extractor must not pass by finding nothing.
    check(readme_count >= 3 and total >= 20,
          "only %d commands found (%d in README.md): is the extraction broken?"
          % (total, readme_count))
    tmp = tempfile.mkdtemp(prefix="doc-commands-")
    procs = []
    try:
        refused = perf_event_refused(tmp)
        if refused:
            print("SKIP: perf_event_open is refused here: " + refused)
            return SKIP
        server_a, load_a = start_demo_server()
        server_b, load_b = start_demo_server(["--cheap-checksum"])
        procs = [load_a, load_b, server_a, server_b]
        fixtures = make_fixtures(tmp, server_a.proc.pid, server_b.proc.pid)
        bindir = os.path.join(tmp, "bin")
        os.makedirs(bindir)
        os.symlink(BIN, os.path.join(bindir, "stackfire"))
        env = dict(os.environ, PATH=bindir + os.pathsep + os.environ["PATH"],
                   SERVER_PID=str(server_a.proc.pid), PID_A=str(server_a.proc.pid),
                   PID_B=str(server_b.proc.pid), HOME=tmp, GOCACHE=os.path.join(tmp, "gocache"),
                   GOFLAGS="-mod=mod")
        env.pop("MALLOC_PERTURB_", None)
        for doc, cmds in extracted:
            run_document(os.path.relpath(doc, SOURCE), cmds, fixtures, env, tmp)
        for p in procs:
            check(p.proc.poll() is None, "%s exited during the test (status %s)"
                  % (" ".join(p.args), p.proc.returncode))
    finally:
        for p in procs:
            p.stop()
        if failures:
            print("kept %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    return finish("\nevery documented command ran", "\n%d documented command(s) failed")


if __name__ == "__main__":
    sys.exit(main())
