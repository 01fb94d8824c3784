#!/usr/bin/env python3
"""The field suite (issue 10): programs nobody here wrote, or shaped like
them, recorded by stackfire and by `perf record --call-graph dwarf`, and
compared (what is measured and how names are normalised: fieldlib.py).

  check_field.py PROGRAM      (tests/field/meson.build runs each one)

PROGRAM, and which compiler or binary each one uses:
  rust-legacy  testdata/field/rust_service, Debian's /usr/bin/rustc 1.63,
               legacy mangling, -C opt-level=2 -g -C force-frame-pointers=no;
               attached by PID, both tools at once
  rust-v0      the same with -C symbol-mangling-version=v0
  rust-rustup  the same built by rustup's rustc (its std is v0-mangled);
               skipped with a message where no rustup toolchain is installed
  tokio        testdata/field/tokio_server: an async server on tokio, built
               offline by Debian's cargo and rustc 1.63 from Debian's crate
               registry (librust-tokio-dev), loaded over 127.0.0.1 by its
               client, attached by PID, both tools at once
  node         node --perf-basic-prof on testdata/field/node, by PID after a
               1.5 s warm-up, both at once
  python3      Debian's stripped /usr/bin/python3 on testdata/field/python,
               by PID, both at once
  xz           Debian's stripped xz (and liblzma) compressing generated text,
               launched as `stackfire record -- xz -9 -T1 -c FILE`, then
               under `perf record -- ...` the same way (one after the other)
  redis        Debian's stripped redis-server on 127.0.0.1 (own port, config
               on the command line, no persistence; never the system
               service), loaded by redis-benchmark, by PID, both at once
  rocksdb      Debian's db_bench (rocksdb-tools: a stripped C++ binary over
               librocksdb, which exports its functions) reading and writing
               a database it filled first, by PID, both at once; RocksDB's
               stacks are deeper than perf's 8 KiB stack copy in about half
               of the samples

Every recording lasts SECONDS (4 s; at most 10 s with start-up). Thresholds
(THRESHOLDS below) follow the issue's goals: stackfire reaches a root at
least as often as perf (2 points of slack for sampling noise), has no more
samples with an unnamed frame (1 point of slack), its top-10 self shares
differ from perf's by at most GAP points, and it splits stripped code by
function where perf shows one "[module]" box (at most 1 % of samples with a
bare "[stripped module]" frame, and at least as many distinct frames in
stripped modules as perf). Rust programs: no "::h<16 hex>" hash, no
"$LT$"-style escape, no raw "_ZN"/"_R" symbol and no ".llvm." suffix in any
frame, the functions perf names are named alike, and inline frames are shown
about as often as perf shows them. Node: V8's builtins are named (no bare
"[node]"), no warning about a missing PT_LOAD or a corrupt .eh_frame, and
the JS function that V8's sort and map builtins call is the comparator and
mapper the workload gave them (a check of JIT names that needs no perf).

Each run writes its row (results/PROGRAM.json in the build folder) and
prints the table of every row so far (the same text goes into
RESULTS-field.md there; bench/field.sh copies it to bench/RESULTS-field.md).
Exit 0: every check passed; 1: a check failed (each FAIL line says what and
by how much); 77 (SKIP): the program or perf_event_open is not available
here, with the reason.
"""
import collections
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import build_rust  # noqa: E402
import fieldlib as fl  # noqa: E402

SECONDS = 4
FREQ = 499
MIN_SAMPLES = 150
BUILD = os.environ.get("FIELD_BUILD", ".")
TESTDATA = os.environ.get("FIELD_TESTDATA", "testdata/field")

# Largest top-10 gap (points) allowed, per program. 5 points is more than
# three standard deviations of the difference between two samplers of one
# process at ~1,500 samples for a function at 25 %; where both record the
# same process at the same time most of that noise is shared.
# tokio: 8, because its load is not steady and tokio's blocking-pool
# threads come and go. When perf started as stackfire did (before stackfire
# had loaded the target's tables), their 4 s windows differed: one loaded run
# had 2234 stackfire samples against 1735 from perf, and hash_text at 23.9 %
# against 31.8 %, another 22.9 % against 33.0 %. perf now starts when
# stackfire samples (fieldlib.record_pid_both). Recorded with --per-thread on
# the same window, the two tools' counts per thread agree within a few
# samples.
GAP = {"rust-legacy": 5, "rust-v0": 5, "rust-rustup": 5, "tokio": 8, "node": 5,
       "python3": 5, "xz": 5, "redis": 5, "rocksdb": 5}
ROOTED_SLACK = 2.0      # points stackfire may reach a root less often than perf
UNNAMED_SLACK = 1.0     # points stackfire may have more unnamed samples than perf
BARE_STRIPPED_MAX = 1.0  # percent of samples with a bare "[stripped module]" frame
# node: seconds of warm-up before recording (V8 compiles and moves the hot
# functions in the first second; a server attached by PID is past that).
NODE_WARM_UP = 1.5
# rocksdb: seconds after the load starts before recording (run_rocksdb).
ROCKSDB_WARM_UP = 2.0
# node: the JS function V8's builtin calls back, by the workload's names.
NODE_CALLBACKS = {"Builtins_SortCompareUserFn": "byScore", "Builtins_ArrayMap": "renderRow"}
WRONG_CALLBACK_MAX = 1.0  # percent of samples
INLINE_SLACK = 10.0     # points fewer samples with a Rust inline frame than perf
# Distinct frames in stripped modules: at least perf's count less this many.
# Functions sampled once or twice come and go between two samplers: the
# count of those seen is about Poisson, so two standard deviations of perf's
# count (node: 7 in stackfire, 10 in perf, once, from libstdc++'s few
# samples); where stackfire splits a module by function it is far above
# perf (the bare-"[module]" check above is the one that asks for the split).
STRIPPED_SLACK = lambda n: max(2, math.ceil(2 * math.sqrt(n)))  # noqa: E731

# The functions each Rust program must show, spelled as perf 6.1 prints
# them (hash dropped; v0 names carry their generic arguments).
RUST_NAMES = {
    "legacy": ["service::parse_request", "service::score", "service::worker",
               "service::build_routes::{{closure}}",
               "<service::FnHandler<F> as service::Handler>::handle",
               "<service::Catalog as service::Handler>::handle"],
    "v0": ["service::parse_request", "service::score::<u64>", "service::score::<u32>",
           "service::worker", "service::build_routes::{closure#0}",
           "<service::FnHandler<service::build_routes::{closure#0}> as service::Handler>::handle",
           "<service::Catalog as service::Handler>::handle"],
    "tokio": ["field_tokio_server::sort_numbers", "field_tokio_server::hash_text",
              "field_tokio_server::handle::{{closure}}",
              "<core::future::from_generator::GenFuture<T> as core::future::future::Future>::poll",
              "tokio::runtime::scheduler::multi_thread::worker::Context::run",
              "core::ops::function::FnOnce::call_once{{vtable.shim}}"],
}
# Inline frames each Rust program must show: the always-inlined helper, and
# an iterator adapter from core.
RUST_INLINE = {
    "service": [r"^service::mix_\[i\]$", r"core::iter::.*_\[i\]$"],
    "tokio": [r"core::.*_\[i\]$", r"^tokio::.*_\[i\]$"],
}
HASH_RE = re.compile(r"::h[0-9a-f]{16}(?![0-9a-zA-Z])")
ESCAPE_RE = re.compile(r"\$(LT|GT|C|RF|BP|SP|LP|RP|u[0-9a-f]{2,6})\$")
RAW_RE = re.compile(r"^(_ZN|_R[A-Z])")
LLVM_RE = re.compile(r"\.llvm\.\d")

failures = []
# meson test sets MALLOC_PERTURB_, which makes glibc fill freed memory: the
# field programs run as they would anywhere else.
os.environ.pop("MALLOC_PERTURB_", None)


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL: " + what)
    return cond


class Skip(Exception):
    """The program (or perf_event_open) is not available here."""


def skip(reason):
    raise Skip(reason)


def build(what, *args):
    """Builds a Rust program with build_rust (a SKIP when the toolchain is
    not installed, a failure when it does not compile)."""
    try:
        return what(*args)
    except build_rust.Unavailable as e:
        skip(str(e))


def cpu_seconds(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def wait_busy(pid, seconds=0.3, timeout=30):
    """Waits until the process has used `seconds` more CPU time: its load
    has arrived."""
    start = cpu_seconds(pid)
    deadline = time.time() + timeout
    while time.time() < deadline:
        now = cpu_seconds(pid)
        if now is None:
            raise RuntimeError("pid %d exited while waiting for it to get busy" % pid)
        if now - start >= seconds:
            return
        time.sleep(0.05)
    raise RuntimeError("pid %d did not use %.1f s of CPU in %d s" % (pid, seconds, timeout))


def example_stack(profile, predicate, frame_pred=None):
    """The heaviest stack that satisfies predicate, shortened around its
    first frame that satisfies frame_pred (or its ends)."""
    best = None
    for frames, w in profile.items():
        if predicate(frames) and (best is None or w > best[1]):
            best = (frames, w)
    if not best:
        return "(none)"
    frames = best[0]
    keep = set(range(3)) | set(range(len(frames) - 3, len(frames)))
    if frame_pred:
        hit = next((i for i, f in enumerate(frames) if frame_pred(f)), None)
        if hit is not None:
            keep |= {hit - 1, hit, hit + 1}
    shown, last = [], -1
    for i in sorted(k for k in keep if 0 <= k < len(frames)):
        if i > last + 1:
            shown.append("...")
        shown.append(frames[i][:120])
        last = i
    return "%s (%.1f%%)" % (";".join(shown), 100.0 * best[1] / profile.total)


# ---------------------------------------------------------------------------
# The programs. Each returns (Recording, info text, what-to-check dict).

def run_rust_service(tmp, variant):
    compiler, mangling = {"rust-legacy": ("debian", "legacy"), "rust-v0": ("debian", "v0"),
                          "rust-rustup": ("rustup", "default")}[variant]
    binary = os.path.join(BUILD, "field_service_%s_%s" % (compiler, mangling))
    info = build(build_rust.build_service, os.path.join(TESTDATA, "rust_service", "service.rs"),
                 binary, compiler, mangling)
    rec = fl.Recording(variant, tmp)
    with fl.Child([binary, "60", "2"]) as child:
        child.wait_line("ready")
        fl.record_pid_both(rec, child, SECONDS, FREQ)
    names = RUST_NAMES["v0" if mangling == "v0" else "legacy"]
    return rec, "%s (%s)" % (info["version"], " ".join(info["command"][1:-3])), {
        "perf_inline": True, "rust": True, "names": names, "inline": RUST_INLINE["service"]}


def run_tokio(tmp):
    info = build(build_rust.build_tokio, os.path.join(TESTDATA, "tokio_server"),
                 os.path.join(BUILD, "tokio_server"))
    server, load = info["server"], info["load"]
    rec = fl.Recording("tokio", tmp)
    port = fl.free_port()
    with fl.Child([server, str(port), "2"]) as srv:
        srv.wait_line("listening")
        with fl.Child([load, str(port), str(SECONDS + 30), "4"]):
            wait_busy(srv.pid)
            fl.record_pid_both(rec, srv, SECONDS, FREQ)
    return rec, "%s, %s, %s (cargo build --release, offline)" % (
        info["version"], info["cargo"], info["tokio"]), {
        "perf_inline": True, "rust": True, "names": RUST_NAMES["tokio"],
        "inline": RUST_INLINE["tokio"]}


def run_node(tmp):
    node = shutil.which("node") or shutil.which("nodejs")
    if not node:
        skip("node is not installed: apt-get install nodejs")
    version = subprocess.run([node, "--version"], capture_output=True, text=True).stdout.strip()
    rec = fl.Recording("node", tmp)
    script = os.path.join(TESTDATA, "node", "workload.js")
    pid = None
    try:
        # In tmp: node 20's --perf-basic-prof also writes isolate-*-v8.log
        # files into its working folder.
        with fl.Child([node, "--perf-basic-prof", script, "60", str(NODE_WARM_UP)],
                      cwd=tmp) as child:
            pid = child.pid
            child.wait_line("ready")
            fl.record_pid_both(rec, child, SECONDS, FREQ)
        ctx = {"perf_inline": False, "node": True}
        # perf script reads /tmp/perf-PID.map after the process is gone.
        ctx["perf_result"] = fl.perf_fold(rec, inline=False)
    finally:
        if pid:
            try:
                os.unlink("/tmp/perf-%d.map" % pid)
            except OSError:
                pass
    return rec, "%s %s --perf-basic-prof (perf script --no-inline: perf's addr2line takes " \
        "~90 s over node's DWARF)" % (node, version), ctx


def run_python(tmp):
    python = "/usr/bin/python3"
    if not os.access(python, os.X_OK):
        skip("Debian's /usr/bin/python3 is not installed")
    version = subprocess.run([python, "--version"], capture_output=True, text=True).stdout.strip()
    rec = fl.Recording("python3", tmp)
    with fl.Child([python, os.path.join(TESTDATA, "python", "cpu_work.py"), "60"]) as child:
        child.wait_line("ready")
        fl.record_pid_both(rec, child, SECONDS, FREQ)
    return rec, "%s (%s, stripped)" % (python, version), {"perf_inline": False}


def make_text(path, size):
    """Deterministic text that xz compresses at a few MB/s: words drawn from
    a small vocabulary with numbers between them."""
    words = ("stack frame sample profile thread module symbol inline unwind record "
             "kernel buffer perf event folded graph render value cache").split()
    x = 12345
    out = []
    total = 0
    while total < size:
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        piece = "%s %d %s\n" % (words[x % len(words)], x % 100003, words[(x >> 8) % len(words)])
        out.append(piece)
        total += len(piece)
    with open(path, "w") as f:
        f.write("".join(out))


def run_xz(tmp):
    xz = "/usr/bin/xz"
    if not os.access(xz, os.X_OK):
        skip("Debian's xz is not installed: apt-get install xz-utils")
    version = subprocess.run([xz, "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    data = os.path.join(tmp, "data.txt")
    make_text(data, 3 * 1024 * 1024)
    rec = fl.Recording("xz", tmp)
    cmd = [xz, "-9", "-T1", "-c", data]
    out_sf = os.path.join(tmp, "sf.xz")
    with open(out_sf, "wb") as out:
        r = subprocess.run(rec.stackfire_args(FREQ) + ["-d", "10", "--"] + cmd, stdout=out,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    rec.sf_stderr = r.stderr
    if not check(r.returncode == 0, "stackfire record -- %s exited %d (the command's status is "
                 "passed on; dashed arguments go to the command): %s"
                 % (" ".join(cmd), r.returncode, r.stderr.strip())):
        return rec, version, None
    back = subprocess.run([xz, "-dc", out_sf], capture_output=True)
    with open(data, "rb") as f:
        check(back.returncode == 0 and back.stdout == f.read(),
              "xz under stackfire record wrote a stream that does not decompress to its input "
              "(the command's arguments or stdout were not passed through)")
    out_perf = os.path.join(tmp, "perf.xz")
    with open(out_perf, "wb") as out:
        p = subprocess.run(rec.perf_args(FREQ) + ["--"] + cmd, stdout=out,
                           stderr=subprocess.PIPE, text=True, timeout=120)
    if p.returncode != 0:
        raise RuntimeError("perf record -- xz exited %d: %s" % (p.returncode, p.stderr))
    return rec, "%s -9 -T1 (stripped, liblzma stripped), launched by each tool in turn" % version, {
        "perf_inline": False}


def run_redis(tmp):
    server, bench = "/usr/bin/redis-server", "/usr/bin/redis-benchmark"
    for path, pkg in ((server, "redis-server"), (bench, "redis-tools")):
        if not os.access(path, os.X_OK):
            skip("%s is not installed: apt-get install %s" % (path, pkg))
    version = subprocess.run([server, "--version"], capture_output=True, text=True).stdout.strip()
    rec = fl.Recording("redis", tmp)
    port = fl.free_port()
    args = [server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--daemonize", "no", "--dir", tmp, "--logfile", "", "--protected-mode", "yes"]
    with fl.Child(args) as srv:
        wait_ready(srv, "Ready to accept connections")
        load = [bench, "-h", "127.0.0.1", "-p", str(port), "-q", "-l", "-c", "4", "-P", "32",
                "-r", "100000", "-t", "set,get,incr,lpush,lpop,sadd,hset,zadd,lrange_100"]
        with fl.Child(load, stdout=subprocess.DEVNULL):
            wait_busy(srv.pid)
            # Its user time is a third of its CPU time: twice the rate.
            fl.record_pid_both(rec, srv, SECONDS, 2 * FREQ)
    return rec, "%s (stripped, exports its functions), redis-benchmark -c 4 -P 32" % (
        version.split(" sha=")[0]), {
        "perf_inline": False}


def run_rocksdb(tmp):
    bench = "/usr/bin/db_bench"
    if not os.access(bench, os.X_OK):
        skip("Debian's db_bench is not installed: apt-get install rocksdb-tools")
    db = os.path.join(tmp, "db")
    common = [bench, "--db=" + db, "--num=100000", "--value_size=256", "--threads=1"]
    fill = subprocess.run(common + ["--benchmarks=fillrandom"], capture_output=True, timeout=300)
    if fill.returncode != 0:
        raise RuntimeError("db_bench fillrandom exited %d: %s"
                           % (fill.returncode, fill.stderr.decode(errors="replace")))
    rec = fl.Recording("rocksdb", tmp)
    load = common + ["--benchmarks=readrandomwriterandom", "--use_existing_db=1",
                     "--duration=60"]
    with fl.Child(load, stdout=subprocess.DEVNULL) as child:
        wait_busy(child.pid)
        # Opening the database replays its log first (deep stacks that
        # only the sampler that starts first would see); a server
        # attached by PID is past that.
        time.sleep(ROCKSDB_WARM_UP)
        child.check_running()
        fl.record_pid_both(rec, child, SECONDS, FREQ)
    version = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "rocksdb-tools"],
                             capture_output=True, text=True).stdout.strip()
    return rec, "db_bench of RocksDB %s (stripped; librocksdb exports its functions), " \
        "readrandomwriterandom" % (version or "?"), {"perf_inline": False}


def wait_ready(child, text, timeout=30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        line = child.proc.stdout.readline().decode(errors="replace")
        if not line:
            break
        if text in line:
            return
    raise RuntimeError("%s did not print %r" % (child.args[0], text))


RUNNERS = {
    "rust-legacy": lambda tmp: run_rust_service(tmp, "rust-legacy"),
    "rust-v0": lambda tmp: run_rust_service(tmp, "rust-v0"),
    "rust-rustup": lambda tmp: run_rust_service(tmp, "rust-rustup"),
    "tokio": run_tokio,
    "node": run_node,
    "python3": run_python,
    "xz": run_xz,
    "redis": run_redis,
    "rocksdb": run_rocksdb,
}


# ---------------------------------------------------------------------------
# The checks.

def compare(program, rec, ctx):
    """Measures both tools, checks the thresholds, returns the table row."""
    if "perf_result" in ctx:
        perf, perf_modules, perf_inline = ctx["perf_result"]
    else:
        perf, perf_modules, perf_inline = fl.perf_fold(rec, inline=ctx["perf_inline"])
    sf_all = fl.Profile(fl.read_folded(rec.sf_folded), comm_root=False)
    sf = fl.Profile(sf_all.stacks, comm_root=False, drop_inline=not ctx["perf_inline"])
    sf_modules = fl.pprof_function_modules(rec.sf_pprof)
    sf_samples = fl.summary_samples(rec.sf_stderr)
    perf_samples = rec.perf_text.count("cpu-clock")
    print("stackfire: %d samples; perf: %d samples" % (sf_samples, perf_samples))
    check(sf_samples >= MIN_SAMPLES and perf_samples >= MIN_SAMPLES,
          "%s: too few samples to compare (stackfire %d, perf %d, need %d each): the machine "
          "was too busy, or a recording did not attach" % (program, sf_samples, perf_samples,
                                                           MIN_SAMPLES))

    gap, gap_fn, gap_sf, gap_perf, rows = fl.top10_gap(sf, perf)
    print("top-10 self shares (normalised), stackfire vs perf:")
    for d, fn, a, b in rows:
        print("  %6.2f %6.2f  %5.2f  %s" % (a, b, d, fn[:150]))
    check(gap <= GAP[program],
          "%s: top-10 self-share gap %.1f points > %d: %s is %.1f%% in stackfire, %.1f%% in perf"
          % (program, gap, GAP[program], gap_fn[:200], gap_sf, gap_perf))

    sf_rooted, perf_rooted = sf.rooted(), perf.rooted()
    not_rooted = lambda fr: not any(fl.ROOT_RE.match(fl.base_name(f)) for f in fr[:2])
    check(sf_rooted >= perf_rooted - ROOTED_SLACK,
          "%s: stackfire's stacks reach a root in %.1f%% of samples, perf's in %.1f%% "
          "(slack %.0f points); heaviest stackfire stack without one: %s"
          % (program, sf_rooted, perf_rooted, ROOTED_SLACK, example_stack(sf, not_rooted)))

    sf_unnamed, perf_unnamed = sf.unnamed(), perf.unnamed()
    has_unnamed = lambda fr: any(fl.is_unnamed(f) for f in fr)
    check(sf_unnamed <= perf_unnamed + UNNAMED_SLACK,
          "%s: %.1f%% of stackfire's samples have an unnamed frame, %.1f%% of perf's (slack %.0f "
          "point); heaviest: %s" % (program, sf_unnamed, perf_unnamed, UNNAMED_SLACK,
                                   example_stack(sf, has_unnamed, fl.is_unnamed)))

    sf_stripped = fl.stripped_frames(sf, sf_modules)
    perf_stripped = fl.stripped_frames(perf, perf_modules)
    stripped_mods = sorted(set().union(*perf_stripped.values(), *sf_stripped.values()))
    if perf_stripped or sf_stripped:
        print("stripped modules sampled: %s" % ", ".join(stripped_mods))
        bare = {"[%s]" % m for m in stripped_mods}
        bare_share = sf.share(lambda fr: any(fl.strip_marker(f) in bare for f in fr))
        check(bare_share <= BARE_STRIPPED_MAX,
              "%s: %.1f%% of stackfire's samples have a bare frame of a stripped module (%s) "
              "where the function's start (from .eh_frame) would split it (max %.0f%%); e.g. %s"
              % (program, bare_share, ", ".join(sorted(bare)), BARE_STRIPPED_MAX,
                 example_stack(sf, lambda fr: any(fl.strip_marker(f) in bare for f in fr),
                               lambda f: fl.strip_marker(f) in bare)))
        need = len(perf_stripped) - STRIPPED_SLACK(len(perf_stripped))
        check(len(sf_stripped) >= need,
              "%s: %d distinct frames in stripped modules (%s) in stackfire, %d in perf (at "
              "least %d wanted)" % (program, len(sf_stripped), ", ".join(stripped_mods),
                                    len(perf_stripped), need))

    row = {"program": program, "samples": [sf_samples, perf_samples],
           "gap": round(gap, 1), "gap_function": gap_fn[:120],
           "rooted": [round(sf_rooted, 1), round(perf_rooted, 1)],
           "unnamed": [round(sf_unnamed, 1), round(perf_unnamed, 1)],
           "stripped": [len(sf_stripped), len(perf_stripped)]}
    if ctx.get("rust"):
        row.update(check_rust(program, sf_all, perf, perf_inline, ctx))
    if ctx.get("node"):
        check_node(sf_all, perf, rec)
    return row


def search_key(name):
    """The function's own identifier in a Rust path, to list stackfire's
    names that hold it: "score" for "service::score::<u64>", "handle" for
    "<service::Catalog as service::Handler>::handle", "call_once" for
    "core::ops::function::FnOnce::call_once{{vtable.shim}}"."""
    name = re.sub(r"::<[^<>]*>$", "", name)
    name = re.sub(r"\{\{?[^{}]*\}?\}", "", name)
    parts = [p for p in re.split(r"::", name) if re.match(r"^\w+$", p)]
    return parts[-1] if parts else name


def check_rust(program, sf, perf, perf_inline, ctx):
    frames = {fl.strip_marker(f) for f in sf.frame_names()}
    for regex, what in ((HASH_RE, 'a "::h<16 hex>" hash'), (ESCAPE_RE, 'a "$LT$"-style escape'),
                        (RAW_RE, 'a raw "_ZN"/"_R" symbol'), (LLVM_RE, 'a ".llvm." suffix')):
        bad = sorted(f for f in frames if regex.search(f))
        share = sf.share(lambda fr: any(regex.search(f) for f in fr))
        check(not bad, "%s: %d frames (in %.1f%% of samples) keep %s, e.g. %s"
              % (program, len(bad), share, what, "; ".join(b[:140] for b in bad[:3])))
    perf_frames = {fl.strip_marker(f) for f in perf.frame_names()}
    for name in ctx["names"]:
        if name in frames:
            continue
        key = search_key(name)
        near = sorted(f for f in frames if key in f)[:3]
        check(False, "%s: no frame named %r (perf %s it); stackfire's names with %r: %s"
              % (program, name, "shows" if name in perf_frames else "does not show", key,
                 "; ".join(n[:140] for n in near) or "(none)"))
    sf_inline = sf.share(lambda fr: any(f.endswith("_[i]") and "::" in f for f in fr))
    check(sf_inline >= perf_inline - INLINE_SLACK and sf_inline > 0,
          "%s: %.1f%% of stackfire's samples have a Rust inline frame, %.1f%% of perf's have an "
          "inlined frame (slack %.0f points)" % (program, sf_inline, perf_inline, INLINE_SLACK))
    for regex in ctx["inline"]:
        r = re.compile(regex)
        check(any(r.search(f) for f in sf.frame_names()),
              "%s: no inline frame matching %s" % (program, regex))
    rust_bad = sf.share(lambda fr: any(HASH_RE.search(f) or ESCAPE_RE.search(f) or
                                       RAW_RE.search(fl.strip_marker(f)) for f in fr))
    return {"rust_mangled": round(rust_bad, 1), "inline": [round(sf_inline, 1),
                                                           round(perf_inline, 1)]}


def check_node(sf, perf, rec):
    node_bare = sf.share(lambda fr: any(fl.strip_marker(f) == "[node]" for f in fr))
    perf_bare = perf.share(lambda fr: any(f == "[node]" for f in fr))
    check(node_bare <= 2.0,
          "node: %.1f%% of stackfire's samples have a bare [node] frame (perf: %.1f%%): V8's "
          "builtins, mapped from inside a PT_LOAD segment, are not named" % (node_bare, perf_bare))
    for warning in ("no PT_LOAD segment at file offset", "missing or corrupt"):
        lines = [l for l in rec.sf_stderr.splitlines() if warning in l]
        check(not lines, "node: stackfire warns %r" % (lines[0] if lines else ""))
    # perf-PID.map grows while V8 compiles and moves code: a name read from
    # it must be the function that was there when the sample was taken.
    # Checked without perf (which cannot unwind out of JIT code): the JS
    # frame called by V8's sort and map builtins is the comparator and the
    # mapper the workload passed them.
    for builtin, callee in NODE_CALLBACKS.items():
        wrong = collections.Counter()
        for frames, w in sf.items():
            for i, f in enumerate(frames):
                if fl.strip_marker(f) != builtin:
                    continue
                for g in frames[i + 1:]:
                    g = fl.strip_marker(g)
                    if g.startswith("JS:"):
                        if not re.match(r"^JS:\S?%s " % callee, g):
                            wrong[g] += w
                        break
                    if not g.startswith("Builtins_"):
                        break
                break
        share = 100.0 * sum(wrong.values()) / sf.total if sf.total else 0
        check(share <= WRONG_CALLBACK_MAX,
              "node: in %.1f%% of samples the JS function that %s calls is named %s, not %s "
              "(an entry of /tmp/perf-PID.map for code that was moved or replaced since?)"
              % (share, builtin, ", ".join("%s (%.1f%%)" % (n[:80], 100.0 * v / sf.total)
                                          for n, v in wrong.most_common(3)), callee))
    sf_js = sf.share(lambda fr: any(f.startswith("JS:") for f in fr))
    perf_js = perf.share(lambda fr: any(f.startswith("JS:") for f in fr))
    check(sf_js >= perf_js - 5,
          "node: %.1f%% of stackfire's samples have a JS frame (from /tmp/perf-PID.map), %.1f%% "
          "of perf's" % (sf_js, perf_js))


# ---------------------------------------------------------------------------
# The table.

COLUMNS = ("| program | what ran | samples sf / perf | largest top-10 gap (pts) | "
           "reach a root sf / perf | unnamed frame sf / perf | distinct frames in stripped "
           "modules sf / perf | Rust: mangled, inline sf / perf | checks |")


def table(results_dir):
    rows = []
    for name in sorted(os.listdir(results_dir)):
        if name.endswith(".json"):
            with open(os.path.join(results_dir, name)) as f:
                rows.append(json.load(f))
    order = list(RUNNERS)
    rows.sort(key=lambda r: order.index(r["program"]) if r["program"] in order else 99)
    lines = [COLUMNS, "|" + "---|" * (COLUMNS.count("|") - 1)]
    for r in rows:
        if "skipped" in r or "gap" not in r:
            lines.append("| %s | %s |  |  |  |  |  |  | %s |" % (
                r["program"], "skipped: " + r["skipped"] if "skipped" in r else r["what"],
                "; ".join(r.get("failures", []))[:200]))
            continue
        rust = ""
        if "inline" in r:
            rust = "%.1f%% mangled, inline %.1f%% / %.1f%%" % (r["rust_mangled"], *r["inline"])
        lines.append("| %s | %s | %d / %d | %.1f (%s) | %.1f%% / %.1f%% | %.1f%% / %.1f%% | "
                     "%d / %d | %s | %s |" % (
                         r["program"], r["what"], r["samples"][0], r["samples"][1], r["gap"],
                         r["gap_function"][:60].replace("|", "\\|"), r["rooted"][0],
                         r["rooted"][1], r["unnamed"][0], r["unnamed"][1], r["stripped"][0],
                         r["stripped"][1], rust,
                         "pass" if not r["failures"] else "%d failed" % len(r["failures"])))
    return "\n".join(lines) + "\n"


def write_results(program, row):
    results = os.path.join(BUILD, "results")
    os.makedirs(results, exist_ok=True)
    row["time"] = time.strftime("%Y-%m-%d %H:%M:%S")
    with open(os.path.join(results, program + ".json"), "w") as f:
        json.dump(row, f, indent=1)
    text = table(results)
    with open(os.path.join(BUILD, "RESULTS-field.md"), "w") as f:
        f.write(text)
    print("\nThe field table so far (%s):\n%s" % (os.path.join(BUILD, "RESULTS-field.md"), text))


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in RUNNERS:
        print("usage: check_field.py {%s}" % ",".join(RUNNERS), file=sys.stderr)
        return 2
    program = sys.argv[1]
    results = os.path.join(BUILD, "results", program + ".json")
    if os.path.exists(results):
        os.unlink(results)
    if shutil.which("perf") is None:
        print("SKIP: perf is not installed (apt-get install linux-perf): it is the reference")
        return fl.SKIP
    tmp = tempfile.mkdtemp(prefix="field-%s-" % program)
    try:
        try:
            refused = fl.perf_event_refused(tmp)
            if refused:
                skip("perf_event_open is refused here: " + refused)
            rec, what, ctx = RUNNERS[program](tmp)
        except Skip as e:
            print("SKIP: %s" % e)
            write_results(program, {"program": program, "skipped": str(e)})
            return fl.SKIP
        except (RuntimeError, build_rust.BuildError, subprocess.TimeoutExpired) as e:
            check(False, "%s: %s" % (program, e))
            write_results(program, {"program": program, "what": "did not run",
                                    "failures": failures})
            return 1
        print("%s: %s" % (program, what))
        row = {"program": program, "what": what}
        if ctx is not None:
            try:
                row.update(compare(program, rec, ctx))
            except (RuntimeError, subprocess.TimeoutExpired) as e:
                check(False, "%s: %s" % (program, e))
        row["failures"] = failures
        write_results(program, row)
    finally:
        if failures:
            print("kept the recordings in %s" % tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
