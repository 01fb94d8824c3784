#!/usr/bin/env python3
"""Rust names and inline frames: stackfire record against perf record --call-graph dwarf.

For each build of testdata/workloads/record_rust.rs that build_rust.sh made
(Debian's rustc 1.63 and rustup's, legacy and v0 mangling; the manifest is
BUILD_DIR/tests/symbolize/rust_workloads.txt, made by
`ninja -C BUILD_DIR tests/symbolize/rust_workloads.txt`), records the
program twice, one profiler after the other (same arguments, same duration):

  stackfire record -F 999 --no-kernel -o X.folded -- PROG SECONDS
  perf record -F 999 --call-graph dwarf -o X.data -- PROG SECONDS; perf script -i X.data

and prints, per profiler, over user frames only: samples, frames and inlined
frames per stack, the share of stacks with an inlined frame, and the share of
frames whose name is demangled (no ::h<hash>, no $..$ escape, no ".llvm.",
not a raw _ZN/_R name).

Usage: bench/rust_names.py BUILD_DIR [--seconds S] [--stackfire BINARY]
(--stackfire: another build's binary, e.g. an older one, on the same programs)
Prints a Markdown table on stdout.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

RAW = re.compile(r"::h[0-9a-f]{16}|\$(LT|GT|u7b|u7d|u20|C)\$|\.\.|\.llvm\.|^_ZN|^_R[A-Z]")


def stats(stacks):
    """stacks: list of (frames root first, inline flags). Returns a dict."""
    n = len(stacks)
    frames = sum(len(f) for f, _ in stacks)
    inl = sum(sum(flags) for _, flags in stacks)
    with_inl = sum(1 for _, flags in stacks if any(flags))
    raw = sum(1 for f, _ in stacks for name in f if RAW.search(name))
    return {
        "samples": n,
        "frames": frames / n if n else 0,
        "inline": inl / n if n else 0,
        "with_inline": 100.0 * with_inl / n if n else 0,
        "demangled": 100.0 - 100.0 * raw / frames if frames else 0,
    }


def stackfire_stacks(folded):
    out = []
    with open(folded) as f:
        for line in f:
            stack, count = line.rstrip("\n").rsplit(" ", 1)
            frames = stack.split(";")
            flags = [fr.endswith("_[i]") for fr in frames]
            names = [fr[:-4] if fr.endswith("_[i]") else fr for fr in frames]
            out.extend([(names, flags)] * int(count))
    return out


FRAME = re.compile(r"^\s*[0-9a-f]+ (.*) \((.*)\)$")


def perf_stacks(text):
    out, names, flags = [], [], []
    for line in text.splitlines() + [""]:
        if not line.strip():
            if names:
                out.append((names, flags))
            names, flags = [], []
            continue
        m = FRAME.match(line)
        if not m:
            continue  # the sample's header line
        name, module = m.group(1), m.group(2)
        if module == "[kernel.kallsyms]":
            continue
        names.append(re.sub(r"\+0x[0-9a-f]+$", "", name))
        flags.append(module == "inlined")
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("build")
    ap.add_argument("--seconds", default="2")
    ap.add_argument("--stackfire")
    args = ap.parse_args()
    build = os.path.abspath(args.build)
    stackfire = args.stackfire or os.path.join(build, "src/cli/stackfire")
    manifest = os.path.join(build, "tests/symbolize/rust_workloads.txt")
    if not os.path.exists(manifest):
        sys.exit(f"no {manifest}: ninja -C {args.build} tests/symbolize/rust_workloads.txt")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for line in open(manifest):
            if line.startswith("#"):
                print(f"note: {line.strip()}", file=sys.stderr)
                continue
            label, prog, rustc, version = line.split()
            folded = os.path.join(tmp, label + ".folded")
            subprocess.run([stackfire, "record", "-q", "-F", "999", "--no-kernel", "-o", folded,
                            "--", prog, args.seconds], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            data = os.path.join(tmp, label + ".data")
            subprocess.run(["perf", "record", "-q", "-F", "999", "--call-graph", "dwarf", "-o", data,
                            "--", prog, args.seconds], check=True, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
            text = subprocess.run(["perf", "script", "-i", data], check=True, capture_output=True,
                                  text=True, errors="replace").stdout
            rows.append((label, f"rustc {version}", "stackfire", stats(stackfire_stacks(folded))))
            rows.append((label, f"rustc {version}", "perf", stats(perf_stacks(text))))
    print("| build | compiler | profiler | samples | user frames/stack | inlined frames/stack "
          "| stacks with an inlined frame | frames demangled |")
    print("|---|---|---|---|---|---|---|---|")
    for label, compiler, prof, s in rows:
        print(f"| {label} | {compiler} | {prof} | {s['samples']} | {s['frames']:.1f} | "
              f"{s['inline']:.1f} | {s['with_inline']:.1f}% | {s['demangled']:.2f}% |")


if __name__ == "__main__":
    main()
