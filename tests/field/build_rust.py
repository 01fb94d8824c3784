#!/usr/bin/env python3
"""Builds the field suite's Rust programs.

  build_rust.py rustc --compiler debian|rustup --mangling legacy|v0|default \
      --src service.rs --out BIN
  build_rust.py cargo --src DIR --work DIR

tests/field/check_field.py imports it and builds what a test needs, into the
build folder, at the test's start; by hand it does the same (exit 77 when
the toolchain is not installed).

`rustc`: one file, `-C opt-level=2 -g -C force-frame-pointers=no`, plus
`-C symbol-mangling-version=v0` for the v0 build. The Debian compiler is
/usr/bin/rustc (1.63) by its full path, never whatever `rustc` comes first on
PATH; the rustup one is the `rustc` that rustup installs (~/.cargo/bin, or on
PATH when it is not /usr/bin/rustc), whose own std is v0-mangled.

`cargo`: Debian's /usr/bin/cargo with RUSTC=/usr/bin/rustc, offline, from
Debian's crate registry (/usr/share/cargo/registry, package
librust-tokio-dev). The sources are copied into the build tree (WORK), with
a .cargo/config.toml there that replaces crates-io with that directory and
a CARGO_HOME of its own, so that nothing is written into the source tree or
~/.cargo; cargo's target directory stays in WORK between builds, so a
rebuild compiles only what changed.

A compiler or crate that is not installed raises Unavailable (the tests
skip with its message); a compiler error raises BuildError (a failure).
"""
import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys

DEBIAN_RUSTC = "/usr/bin/rustc"
DEBIAN_CARGO = "/usr/bin/cargo"
DEBIAN_REGISTRY = "/usr/share/cargo/registry"
RUST_FLAGS = ["-C", "opt-level=2", "-g", "-C", "force-frame-pointers=no"]

CARGO_CONFIG = """\
# Written by tests/field/build_rust.py: Debian's crates, no network.
[source.crates-io]
replace-with = "debian"

[source.debian]
directory = "%s"

[net]
offline = true
""" % DEBIAN_REGISTRY


class Unavailable(Exception):
    """The compiler or crate is not installed here; the message says which."""


class BuildError(Exception):
    """The compiler failed on a program that should build."""


def rustup_rustc():
    home_rustc = os.path.expanduser("~/.cargo/bin/rustc")
    on_path = shutil.which("rustc")
    for candidate in (on_path, home_rustc):
        if candidate and os.path.realpath(candidate) != os.path.realpath(DEBIAN_RUSTC) \
                and os.access(candidate, os.X_OK):
            return candidate
    return None


def version(tool):
    try:
        r = subprocess.run([tool, "--version"], capture_output=True, text=True, timeout=60)
    except OSError:
        return None
    return r.stdout.strip() if r.returncode == 0 else None


def _sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def build_service(src, out, compiler, mangling):
    """Builds one Rust file into `out` (and `out`.json, its record); reuses
    them when the source, compiler version and command are unchanged.
    Returns the record: {"compiler", "version", "command"}."""
    if compiler == "debian":
        rustc = DEBIAN_RUSTC if os.access(DEBIAN_RUSTC, os.X_OK) else None
        missing = "Debian's rustc (/usr/bin/rustc) is not installed: apt-get install rustc"
    else:
        rustc = rustup_rustc()
        missing = "no rustup toolchain (a rustc other than /usr/bin/rustc) on this machine"
    ver = version(rustc) if rustc else None
    if not ver:
        raise Unavailable(missing)
    flags = list(RUST_FLAGS)
    if mangling == "v0":
        flags += ["-C", "symbol-mangling-version=v0"]
    # legacy and default: no flag (legacy is both compilers' default for the
    # program's own code).
    cmd = [rustc] + flags + ["-o", out, src]
    record = {"compiler": rustc, "version": ver, "command": cmd, "source": _sha256(src)}
    stamp = out + ".json"
    if os.path.exists(out) and os.path.exists(stamp):
        with open(stamp) as f:
            if json.load(f) == record:
                return record
    print("build_rust: %s" % " ".join(cmd), file=sys.stderr)
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError("%s failed:\n%s" % (" ".join(cmd), r.stderr))
    with open(stamp, "w") as f:
        json.dump(record, f)
    return record


def copy_if_changed(src, dst):
    """Copies keeping the mtime, and only when the bytes differ, so that
    cargo's freshness check sees unchanged files as unchanged."""
    if os.path.exists(dst):
        with open(src, "rb") as a, open(dst, "rb") as b:
            if a.read() == b.read():
                return
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    shutil.copy2(src, dst)


def build_tokio(src, work):
    """Builds the cargo project `src` in `work` (sources copied there).
    Returns {"server", "load", "version", "cargo", "tokio", "command"}."""
    for path, what in ((DEBIAN_CARGO, "Debian's cargo (/usr/bin/cargo): apt-get install cargo"),
                       (DEBIAN_RUSTC, "Debian's rustc (/usr/bin/rustc): apt-get install rustc")):
        if not os.access(path, os.X_OK):
            raise Unavailable(what + " is not installed")
    tokio = [d for d in os.listdir(DEBIAN_REGISTRY) if d.startswith("tokio-1.")] \
        if os.path.isdir(DEBIAN_REGISTRY) else []
    if not tokio:
        raise Unavailable("tokio is not in %s: apt-get install librust-tokio-dev"
                          % DEBIAN_REGISTRY)
    work = os.path.abspath(work)
    for root, _, files in os.walk(src):
        for name in files:
            path = os.path.join(root, name)
            copy_if_changed(path, os.path.join(work, os.path.relpath(path, src)))
    os.makedirs(os.path.join(work, ".cargo"), exist_ok=True)
    config = os.path.join(work, ".cargo", "config.toml")
    if not os.path.exists(config) or open(config).read() != CARGO_CONFIG:
        with open(config, "w") as f:
            f.write(CARGO_CONFIG)
    cargo_home = os.path.join(work, "cargo-home")
    os.makedirs(cargo_home, exist_ok=True)
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("CARGO_", "RUSTFLAGS", "RUSTC", "RUSTDOCFLAGS", "RUSTUP_"))}
    env.update(CARGO_HOME=cargo_home, CARGO=DEBIAN_CARGO, RUSTC=DEBIAN_RUSTC)
    cmd = [DEBIAN_CARGO, "build", "--release", "--offline", "--target-dir",
           os.path.join(work, "target")]
    print("build_rust: in %s: %s" % (work, " ".join(cmd)), file=sys.stderr)
    r = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError("in %s: %s failed:\n%s" % (work, " ".join(cmd), r.stderr))
    built = os.path.join(work, "target", "release")
    return {"server": os.path.join(built, "field_tokio_server"),
            "load": os.path.join(built, "field_tokio_load"),
            "version": version(DEBIAN_RUSTC), "cargo": version(DEBIAN_CARGO),
            "tokio": sorted(tokio)[-1], "command": cmd}


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    r = sub.add_parser("rustc")
    r.add_argument("--compiler", choices=["debian", "rustup"], required=True)
    r.add_argument("--mangling", choices=["legacy", "v0", "default"], required=True)
    r.add_argument("--src", required=True)
    r.add_argument("--out", required=True)
    c = sub.add_parser("cargo")
    c.add_argument("--src", required=True)
    c.add_argument("--work", required=True)
    args = p.parse_args()
    try:
        if args.mode == "rustc":
            info = build_service(args.src, args.out, args.compiler, args.mangling)
        else:
            info = build_tokio(args.src, args.work)
    except Unavailable as e:
        print("build_rust: unavailable: %s" % e, file=sys.stderr)
        return 77
    except BuildError as e:
        print("build_rust: %s" % e, file=sys.stderr)
        return 1
    print(json.dumps(info, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
