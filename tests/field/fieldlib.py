"""What the field suite (tests/field) measures, and how both tools are run.

A field program is recorded by `stackfire record` and by
`perf record --call-graph dwarf` on the same process, at the same time when
both attach by PID (two perf_event_open users of one process do not disturb
each other; perf starts when stackfire says it samples, so that both windows
match), else one after the other. perf's recording is folded by
`perf script | stackfire collapse` (byte-compatible with FlameGraph's
stackcollapse-perf.pl). Both sample user space only (`--no-kernel` and
`--all-user`), at the same rate.

The metrics, on each tool's folded stacks (a sample's weight is its count for
stackfire, its period for perf; shares are percentages of the total):

  top-10 gap   the union of both tools' ten functions with the largest self
               share (the leaf frame, after `normalise`); the largest
               difference of self share, in percentage points, over that set.
               Where perf's inline expansion is off (`perf script
               --no-inline`: node, whose DWARF takes perf's addr2line ~90 s,
               and the stripped programs), stackfire's inline frames are left
               out too, so both leaves are real functions.
  rooted       the share of samples whose stack reaches a root: one of the
               first two frames (after perf's comm frame) is _start,
               __libc_start_main, __libc_start_call_main, clone, clone3,
               start_thread or thread_start (the second place because a
               stripped executable's _start has no name of its own).
  unnamed      the share of samples with at least one frame that names no
               function: "[unknown]", a bare "[module]" (perf's and
               stackfire's name for code without a symbol), "[truncated]",
               or a raw address. A "module+0xSTART" frame (a stripped
               function told apart by its start, issue 10 section 4) is not
               unnamed: it is one function, named by address.
  stripped     the number of distinct frames whose code lies in a stripped
               module (an ELF file without .symtab and without a separate
               debug file under /usr/lib/debug/.build-id): perf's modules
               from `perf script`, stackfire's from the mappings of the
               same recording's pprof profile.

Normalisation before comparing names (both tools get the same):
  - the marker suffixes "_[i]" (inlined), "_[k]" (kernel), "_[j]" (JIT) and
    "_[w]" are dropped: stackfire marks inline and JIT frames, while
    `stackfire collapse` of perf script (as stackcollapse-perf.pl without
    options) marks neither;
  - compiler suffixes ".llvm.N", ".cold", ".isra.N", ".constprop.N",
    ".part.N" are dropped, and so is a symbol version ("@@GLIBC_2.34",
    "@GLIBC_2.2.5", which perf prints and stackfire does not);
  - glibc aliases: the "__GI_" prefix goes; a string function's CPU variant
    becomes its plain name (__memmove_avx_unaligned_erms -> memmove,
    __strlen_evex -> strlen, and memcpy and mempcpy -> memmove, one code);
    __libc_start_main_impl -> __libc_start_main; then a lower-case C name
    that starts with "_" loses its leading underscores and a "libc_" prefix
    (___pthread_mutex_lock, __pthread_mutex_lock -> pthread_mutex_lock;
    __libc_write, __write -> write);
  - a function without a symbol is "[module]" on both sides: stackfire's
    "module+0xSTART" becomes "[module]", as perf cannot tell them apart;
  - a C++ call operator "X::operator()" is "X::operator": `stackfire
    collapse` of perf script (as stackcollapse-perf.pl) cuts perf's name
    at its first "(", where stackfire's own names keep the "()".
Rust names are NOT normalised (no hash removal, no demangling): a raw or
hashed name where perf prints a readable one counts against stackfire.
"""
import collections
import gzip
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

BIN = os.environ.get("STACKFIRE_BIN", "stackfire")
SKIP = 77

ROOT_RE = re.compile(
    r"^(_start|__libc_start_main(_impl|_alias_2)?|__libc_start_call_main|__clone3?|clone3?"
    r"|start_thread|thread_start)$")
MARKER_RE = re.compile(r"_\[[ikjw]\]$")
COMPILER_SUFFIX_RE = re.compile(r"(\.(llvm|isra|constprop|part|lto_priv)\.\d+|\.cold(\.\d+)?)+$")
STRING_VARIANT_RE = re.compile(
    r"^__(?P<base>(?:mem|str|stp|wcs|wmem|raw)\w*?)_(?:avx2|avx512|avx|evex512|evex|sse2|sse4_1|"
    r"sse4_2|ssse3|erms|unaligned|aligned|rtm)\w*$")
# "liblzma.so.5.4.1+0x1a2b0" (stackfire, a stripped function by its start),
# also accepted in brackets.
ADDRESS_FRAME_RE = re.compile(r"^\[?(?P<module>[^\[\];\s]+)\+0x[0-9a-f]+\]?$")
BARE_MODULE_RE = re.compile(r"^\[(?P<module>[^\[\]]+)\]$")
RAW_ADDRESS_RE = re.compile(r"^(0x)?[0-9a-f]{6,16}$")


VERSION_RE = re.compile(r"@@?[A-Z][A-Z0-9_.]*$")


def strip_marker(frame):
    return MARKER_RE.sub("", frame)


def base_name(frame):
    """The frame without its marker suffix and symbol version
    (perf prints "__libc_start_main@@GLIBC_2.34", "cfree@GLIBC_2.2.5")."""
    return VERSION_RE.sub("", strip_marker(frame))


def normalise(frame):
    """The name both tools' frames are compared by (module docstring)."""
    name = base_name(frame)
    m = ADDRESS_FRAME_RE.match(name)
    if m and not name.startswith("JS:"):
        return "[%s]" % m.group("module")
    name = COMPILER_SUFFIX_RE.sub("", name)
    if name.startswith("__GI_"):
        name = name[len("__GI_"):]
    m = STRING_VARIANT_RE.match(name)
    if m:
        name = m.group("base")
    if name == "__libc_start_main_impl":
        name = "__libc_start_main"
    if re.match(r"^_+[a-z][a-z0-9_]*$", name):
        name = name.lstrip("_")
        if name.startswith("libc_") and name != "libc_start_main":
            name = name[len("libc_"):]
    if name in ("memcpy", "mempcpy"):
        name = "memmove"
    if name.endswith("::operator()"):
        name = name[:-2]
    return name


def is_unnamed(frame):
    name = strip_marker(frame)
    if name == "[unknown]" or name == "[truncated]":
        return True
    if ADDRESS_FRAME_RE.match(name):
        return False
    return bool(BARE_MODULE_RE.match(name) or RAW_ADDRESS_RE.match(name))


def read_folded(path):
    stacks = collections.Counter()
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            if stack:
                stacks[stack] += float(count)
    return stacks


class Profile:
    """Folded stacks of one tool. `comm_root`: every stack starts with the
    thread's comm (perf script folded by collapse), which is not a frame.
    `drop_inline`: inline frames ("_[i]") are left out, for a comparison
    with `perf script --no-inline`, so that both tools' leaves are the
    innermost real (not inlined) function."""

    def __init__(self, stacks, comm_root, drop_inline=False):
        self.stacks = stacks
        self.comm_root = comm_root
        self.drop_inline = drop_inline
        self.total = sum(stacks.values())

    def frames(self, stack):
        frames = stack.split(";")
        if self.comm_root:
            frames = frames[1:]
        if self.drop_inline:
            frames = [f for f in frames if not f.endswith("_[i]")]
        return frames

    def items(self):
        for stack, w in self.stacks.items():
            yield self.frames(stack), w

    def share(self, predicate):
        """Percent of the weight whose frame list satisfies predicate."""
        if not self.total:
            return 0.0
        return 100.0 * sum(w for frames, w in self.items() if predicate(frames)) / self.total

    def self_shares(self):
        out = collections.Counter()
        for frames, w in self.items():
            if frames:
                out[normalise(frames[-1])] += w
        return {k: 100.0 * v / self.total for k, v in out.items()} if self.total else {}

    def rooted(self):
        return self.share(lambda fr: any(ROOT_RE.match(base_name(f)) for f in fr[:2]))

    def unnamed(self):
        return self.share(lambda fr: any(is_unnamed(f) for f in fr))

    def frame_names(self):
        names = set()
        for frames, _ in self.items():
            names.update(frames)
        return names

    def samples_with(self, regex):
        r = re.compile(regex)
        return self.share(lambda fr: any(r.search(f) for f in fr))


def top10_gap(sf, perf):
    """(largest gap in points, the function, sf share, perf share, table)."""
    a, b = sf.self_shares(), perf.self_shares()
    top = set(sorted(a, key=a.get, reverse=True)[:10]) | set(sorted(b, key=b.get, reverse=True)[:10])
    rows = sorted(((abs(a.get(f, 0) - b.get(f, 0)), f, a.get(f, 0), b.get(f, 0)) for f in top),
                  reverse=True)
    if not rows:
        return 0.0, "", 0.0, 0.0, []
    return rows[0][0], rows[0][1], rows[0][2], rows[0][3], rows


# ---------------------------------------------------------------------------
# Modules: which files are stripped, and which frames lie in them.

_stripped_cache = {}


def elf_is_stripped(path):
    """True for an ELF file without .symtab and without a separate debug
    file under /usr/lib/debug/.build-id; None when it cannot be read."""
    if path in _stripped_cache:
        return _stripped_cache[path]
    result = None
    if os.path.isfile(path):
        r = subprocess.run(["readelf", "-S", "-n", "-W", path], capture_output=True, text=True)
        if r.returncode == 0:
            has_symtab = re.search(r"\]\s+\.symtab\s", r.stdout) is not None
            m = re.search(r"Build ID:\s*([0-9a-f]+)", r.stdout)
            debug = False
            if m:
                bid = m.group(1)
                debug = os.path.exists("/usr/lib/debug/.build-id/%s/%s.debug" % (bid[:2], bid[2:]))
            result = not has_symtab and not debug
    _stripped_cache[path] = result
    return result


def _varint(buf, i):
    shift = value = 0
    while True:
        b = buf[i]
        i += 1
        value |= (b & 0x7F) << shift
        if b < 0x80:
            return value, i
        shift += 7


def _fields(buf):
    """(field number, wire type, value) of one protobuf message."""
    i = 0
    while i < len(buf):
        key, i = _varint(buf, i)
        field, wire = key >> 3, key & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 1:
            value, i = buf[i:i + 8], i + 8
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = buf[i:i + n], i + n
        elif wire == 5:
            value, i = buf[i:i + 4], i + 4
        else:
            raise ValueError("protobuf wire type %d" % wire)
        yield field, wire, value


def _packed(value, wire):
    if wire == 0:
        return [value]
    out, i = [], 0
    while i < len(value):
        v, i = _varint(value, i)
        out.append(v)
    return out


def pprof_function_modules(path):
    """{function name: {mapping file path}} from a pprof profile
    (profile.proto: mapping=3, location=4, function=5, string_table=6)."""
    with gzip.open(path, "rb") as f:
        data = f.read()
    strings, mappings, locations, functions = [], {}, [], {}
    for field, wire, value in _fields(data):
        if field == 6:
            strings.append(value.decode("utf-8", "surrogateescape"))
        elif field == 3:
            m = {k: v for k, _, v in _fields(value)}
            mappings[m.get(1, 0)] = m.get(5, 0)
        elif field == 4:
            mapping_id, fids = 0, []
            for k, w, v in _fields(value):
                if k == 2:
                    mapping_id = v
                elif k == 4:
                    for lk, lw, lv in _fields(v):
                        if lk == 1:
                            fids.append(lv)
            locations.append((mapping_id, fids))
        elif field == 5:
            fn = {k: v for k, _, v in _fields(value)}
            functions[fn.get(1, 0)] = fn.get(2, 0)
    out = collections.defaultdict(set)
    for mapping_id, fids in locations:
        if mapping_id not in mappings:
            continue
        filename = strings[mappings[mapping_id]]
        for fid in fids:
            if fid in functions:
                out[strings[functions[fid]]].add(filename)
    return out


PERF_FRAME_RE = re.compile(r"^\s+[0-9a-f]+\s+(?P<sym>.*?)(?:\+0x[0-9a-f]+)?\s+\((?P<dso>.*)\)\s*$")


def perf_script_frames(text):
    """{collapsed frame name: {dso path}} and the share (percent of
    samples) with an inlined frame, from perf script's default output."""
    modules = collections.defaultdict(set)
    samples = with_inline = 0
    in_sample = inline_here = False
    for line in text.splitlines():
        if not line.strip():
            if in_sample:
                samples += 1
                with_inline += inline_here
            in_sample = inline_here = False
            continue
        if not line[0].isspace():
            in_sample, inline_here = True, False
            continue
        m = PERF_FRAME_RE.match(line)
        if not m:
            continue
        sym, dso = m.group("sym"), m.group("dso")
        if dso == "inlined":
            inline_here = True
            continue
        if sym == "[unknown]":
            sym = "[%s]" % os.path.basename(dso)
        modules[sym].add(dso)
    if in_sample:
        samples += 1
        with_inline += inline_here
    return modules, (100.0 * with_inline / samples if samples else 0.0)


def stripped_frames(profile, frame_modules):
    """{frame (marker suffix dropped): {stripped module's base name}} for
    the frames whose code lies in a stripped module. frame_modules: {frame
    name: {file path}}; a "[module]" or "module+0xSTART" frame also names
    its module by base name."""
    paths_by_base = {}
    for mods in frame_modules.values():
        for path in mods:
            paths_by_base.setdefault(os.path.basename(path), path)
    names = {}
    for frame in profile.frame_names():
        name = strip_marker(frame)
        mods = set(frame_modules.get(name, ()))
        m = ADDRESS_FRAME_RE.match(name) or BARE_MODULE_RE.match(name)
        if m and m.group("module") in paths_by_base:
            mods.add(paths_by_base[m.group("module")])
        stripped = {os.path.basename(path) for path in mods if elf_is_stripped(path)}
        if stripped:
            names[name] = stripped
    return names


# ---------------------------------------------------------------------------
# Running the tools.

def perf_event_refused(tmp):
    """None when stackfire can sample here, else why not."""
    r = subprocess.run([BIN, "record", "-q", "-o", os.path.join(tmp, "probe.folded"), "--", "true"],
                       capture_output=True, text=True, timeout=60)
    return None if r.returncode == 0 else r.stderr.strip()


class Recording:
    """Both tools' results for one program."""

    def __init__(self, name, tmp):
        self.name = name
        self.tmp = tmp
        self.sf_folded = os.path.join(tmp, name + ".sf.folded")
        self.sf_pprof = os.path.join(tmp, name + ".sf.pb.gz")
        self.perf_data = os.path.join(tmp, name + ".perf.data")
        self.sf_stderr = ""
        self.perf_text = ""

    def stackfire_args(self, freq):
        return [BIN, "record", "--no-kernel", "-F", str(freq), "-o", self.sf_folded, "-o",
                self.sf_pprof]

    def perf_args(self, freq):
        return ["perf", "record", "-q", "--call-graph", "dwarf", "--all-user", "-F", str(freq),
                "-o", self.perf_data]


def record_pid_both(rec, child, seconds, freq=499):
    """stackfire and perf on one process (a Child) at the same time for
    `seconds`: perf starts when stackfire says it samples (after loading the
    target's tables), so that both sample the same window of a load that
    is not steady (tokio's once differed by 8 points when perf started
    first)."""
    pid = child.pid
    sf = subprocess.Popen(rec.stackfire_args(freq) + ["-p", str(pid), "-d", str(seconds)],
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    first = sf.stderr.readline()  # "stackfire: sampling at ..." (or an error, then EOF)
    perf = subprocess.Popen(rec.perf_args(freq) + ["-p", str(pid), "--", "sleep", str(seconds)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    _, sf_err = sf.communicate(timeout=seconds + 120)
    _, perf_err = perf.communicate(timeout=seconds + 120)
    sf_err = first + sf_err
    rec.sf_stderr = sf_err
    child.check_running()
    if sf.returncode != 0:
        raise RuntimeError("stackfire record -p %d exited %d:\n%s" % (pid, sf.returncode, sf_err))
    if perf.returncode != 0 or not os.path.exists(rec.perf_data):
        raise RuntimeError("perf record -p %d exited %d:\n%s" % (pid, perf.returncode, perf_err))


def perf_fold(rec, inline):
    """perf script (with or without perf's inline expansion) | stackfire
    collapse. Returns the perf Profile and perf script's frame modules."""
    args = ["perf", "script", "-i", rec.perf_data] + ([] if inline else ["--no-inline"])
    script = subprocess.run(args, capture_output=True, timeout=600)
    if script.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (" ".join(args), script.returncode,
                                                script.stderr.decode(errors="replace")))
    folded_path = os.path.join(rec.tmp, rec.name + ".perf.folded")
    with open(folded_path, "wb") as out:
        c = subprocess.run([BIN, "collapse"], input=script.stdout, stdout=out,
                           stderr=subprocess.PIPE, timeout=300)
    if c.returncode != 0:
        raise RuntimeError("stackfire collapse of perf script exited %d: %s"
                           % (c.returncode, c.stderr.decode(errors="replace")))
    rec.perf_text = script.stdout.decode("utf-8", "surrogateescape")
    modules, inline_share = perf_script_frames(rec.perf_text)
    return Profile(read_folded(folded_path), comm_root=True), modules, inline_share


def summary_samples(stderr):
    m = re.search(r": (\d+) samples", stderr)
    return int(m.group(1)) if m else 0


class Child:
    """A workload process that is killed (its process group) on exit."""

    def __init__(self, args, cwd=None, env=None, stdout=subprocess.PIPE):
        self.args = args
        self.proc = subprocess.Popen(args, cwd=cwd, env=env, stdout=stdout,
                                     stderr=subprocess.PIPE, start_new_session=True)

    @property
    def pid(self):
        return self.proc.pid

    def wait_line(self, prefix, timeout=60):
        """Reads stdout until a line starting with prefix; returns it."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            text = line.decode(errors="replace")
            if text.startswith(prefix):
                return text.strip()
        err = self.proc.stderr.read().decode(errors="replace") if self.proc.poll() is not None else ""
        raise RuntimeError("%s did not print %r (exit %s): %s"
                           % (self.args[0], prefix, self.proc.poll(), err))

    def check_running(self):
        if self.proc.poll() is not None:
            err = self.proc.stderr.read().decode(errors="replace")
            raise RuntimeError("%s exited (status %d) while it was recorded: %s"
                               % (" ".join(self.args), self.proc.returncode, err[-2000:]))

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
