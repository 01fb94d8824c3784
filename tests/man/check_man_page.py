#!/usr/bin/env python3
"""Checks one stackfire manual page against the binary's --help.

  check_man_page.py --page man/stackfire-report.1 --command report
  check_man_page.py --page man/stackfire.1              (the top-level page)
  check_man_page.py --self-test --page man/stackfire-report.1 --command report

For the page of `stackfire COMMAND` (binary from $STACKFIRE_BIN):
  - every flag in the options column of `stackfire COMMAND --help` (short and
    long, e.g. "-o,--output") is documented: it is in the tag line of a .TP
    entry of the OPTIONS section, written with escaped hyphens (\\-\\-output);
  - every flag documented there is one that --help lists (no stale options);
  - the sections NAME, SYNOPSIS, DESCRIPTION, OPTIONS, EXIT STATUS, EXAMPLES
    and SEE ALSO are there, in that order, and .TH and NAME name the page;
  - `man -l` and `groff -man -ww -z` render it without a single warning.
For the top-level page, the COMMANDS section also lists every subcommand.

With --skip-if-missing, a COMMAND that this binary does not have (`stackfire
help COMMAND` fails or the top-level --help does not list it) makes the check
exit 77, which meson reports as SKIP.
--self-test breaks copies of the page in known ways and fails unless the
checks catch every one of them.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

SKIP = 77
REQUIRED_SECTIONS = ["NAME", "SYNOPSIS", "DESCRIPTION", "OPTIONS", "EXIT STATUS", "EXAMPLES",
                     "SEE ALSO"]
FLAG_RE = re.compile(r"(?<![\w-])(--?[A-Za-z0-9][A-Za-z0-9-]*)")


def run(args, **kw):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def help_text(binary, command):
    args = [binary] + ([command] if command else []) + ["--help"]
    r = run(args)
    if r.returncode != 0:
        raise SystemExit(f"FAIL: {' '.join(args)} exited {r.returncode}: {r.stderr}")
    return r.stdout


def help_flags(text):
    """Flags in the options column of CLI11's help: lines '  -o,--output TEXT ...'."""
    flags = set()
    for line in text.splitlines():
        m = re.match(r"^  (-\S+)", line)
        if not m:
            continue
        for token in m.group(1).split(","):
            token = token.split("=")[0]
            if re.fullmatch(r"--?[A-Za-z0-9][A-Za-z0-9-]*", token):
                flags.add(token)
    return flags


def help_subcommands(text):
    names, in_section = [], False
    for line in text.splitlines():
        if line.startswith("Subcommands:"):
            in_section = True
            continue
        if in_section:
            m = re.match(r"^  ([a-z][a-z0-9-]*)\s", line)
            if m:
                names.append(m.group(1))
            elif line and not line.startswith(" "):
                in_section = False
    return names


def plain(roff):
    """A roff line without font escapes, quotes and macro names; '\\-' is '-'."""
    s = re.sub(r"\\f(\[[^\]]*\]|\(..|.)", "", roff)
    s = s.replace("\\-", "-").replace("\\&", "").replace('"', " ")
    return re.sub(r"^\.[A-Za-z]+\s*", "", s)


def sections(lines):
    """[(name, [lines])] for every .SH; .SS subsections stay in their .SH."""
    out = []
    for line in lines:
        if line.startswith(".SH"):
            out.append((line[3:].strip().strip('"'), []))
        elif out:
            out[-1][1].append(line)
    return out


def tag_lines(lines):
    """The tag line of every .TP entry (the line after .TP)."""
    return [lines[i + 1] for i, l in enumerate(lines[:-1]) if l.strip() == ".TP"]


def check_page(text, page_name, command, helptext):
    """Returns a list of problems with the page's source text."""
    problems = []
    lines = text.splitlines()
    secs = sections(lines)
    names = [n for n, _ in secs]
    present = [n for n in names if n in REQUIRED_SECTIONS]
    for req in REQUIRED_SECTIONS:
        if req not in names:
            problems.append(f"section {req} is missing")
    if [n for n in REQUIRED_SECTIONS if n in present] != present:
        problems.append(f"sections out of order: {present}")

    title = page_name.rsplit(".", 1)[0]
    th = next((l for l in lines if l.startswith(".TH ")), "")
    th_words = plain(th).split()
    if len(th_words) < 2 or th_words[0] != title.upper() or th_words[1] != "1":
        problems.append(f".TH should start with {title.upper()} 1, found: {th!r}")
    name_body = plain(" ".join(dict(secs).get("NAME", []))).strip()
    if not name_body.startswith(title + " - "):
        problems.append(f"NAME should read '{title} \\- summary', found: {name_body!r}")

    options = dict(secs).get("OPTIONS", [])
    tags = tag_lines(options)
    documented = {}
    for tag in tags:
        for flag in FLAG_RE.findall(plain(tag)):
            documented.setdefault(flag, tag)
    wanted = help_flags(helptext)
    if not wanted:
        problems.append("found no flags in --help (is it CLI11's format?)")
    for flag in sorted(wanted):
        tag = documented.get(flag)
        if tag is None:
            problems.append(f"{flag} (from --help) has no .TP entry in OPTIONS")
        elif flag.replace("-", "\\-") not in tag:
            problems.append(f"{flag} is written with unescaped hyphens: {tag!r} (use \\-)")
    for flag in sorted(set(documented) - wanted):
        problems.append(f"{flag} is documented in OPTIONS but --help does not list it")

    if command is None:
        commands = dict(secs).get("COMMANDS", [])
        listed = {plain(t).split()[0] for t in tag_lines(commands) if plain(t).split()}
        for sub in help_subcommands(helptext):
            if sub not in listed:
                problems.append(f"subcommand {sub} is not listed in COMMANDS")
    return problems


def lint(path):
    """Problems found by rendering the page with man and groff."""
    problems = []
    env = dict(os.environ, LC_ALL="C.UTF-8", MANWIDTH="80")
    env.pop("MANPAGER", None)
    env.pop("PAGER", None)
    if shutil.which("man"):
        r = run(["man", "--warnings=w", "-l", path], env=env)
        if r.returncode != 0 or r.stderr.strip():
            problems.append(f"man -l exited {r.returncode}: {r.stderr.strip()}")
        elif "OPTIONS" not in r.stdout:
            problems.append("man -l rendered no OPTIONS section")
    else:
        problems.append("man is not installed (apt-get install man-db; scripts/setup.sh does)")
    if shutil.which("groff"):
        r = run(["groff", "-man", "-ww", "-z", path], env=env)
        if r.returncode != 0 or r.stderr.strip():
            problems.append(f"groff -ww exited {r.returncode}: {r.stderr.strip()}")
    else:
        problems.append("groff is not installed (apt-get install groff-base)")
    if shutil.which("mandoc"):
        r = run(["mandoc", "-T", "lint", "-W", "warning", path], env=env)
        if r.returncode != 0 or r.stdout.strip():
            problems.append(f"mandoc -T lint: {r.stdout.strip()}")
    return problems


def self_test(text, page_name, command, helptext, path):
    """Each mutation must be caught; returns the list of mutations that were not."""
    flags = sorted(help_flags(helptext))
    long_flag = next(f for f in flags if f.startswith("--") and f != "--help")
    escaped = long_flag.replace("-", "\\-")
    lines = text.splitlines()
    tp = next(i for i, l in enumerate(lines[:-1])
              if l.strip() == ".TP" and escaped in lines[i + 1])
    mutations = {
        f"drop the entry of {long_flag}":
            "\n".join(lines[:tp] + lines[tp + 2:]),
        f"unescaped {long_flag}":
            "\n".join(lines[:tp + 1] + [lines[tp + 1].replace(escaped, long_flag)]
                      + lines[tp + 2:]),
        "document a flag the binary lacks":
            text.replace(".SH EXIT STATUS", ".TP\n.B \\-\\-no\\-such\\-flag\nNothing.\n"
                         ".SH EXIT STATUS"),
        "drop EXAMPLES": text.replace(".SH EXAMPLES", ".SH MORE"),
    }
    missed = []
    for what, mutated in mutations.items():
        if mutated == text or not check_page(mutated, page_name, command, helptext):
            missed.append(what)
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, page_name)
        with open(bad, "w") as f:
            f.write(text.replace(".SH DESCRIPTION", ".SH DESCRIPTION\n.XX unknown macro"))
        if not lint(bad):
            missed.append("an unknown macro (man/groff warnings)")
    return missed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--page", required=True)
    ap.add_argument("--command", default=None)
    ap.add_argument("--skip-if-missing", action="store_true")
    ap.add_argument("--self-test", action="store_true")
    a = ap.parse_args()
    binary = os.environ.get("STACKFIRE_BIN")
    if not binary:
        print("FAIL: STACKFIRE_BIN is not set")
        return 1
    if a.command and (run([binary, "help", a.command]).returncode != 0 or
                      a.command not in help_subcommands(help_text(binary, None))):
        if a.skip_if_missing:
            print(f"SKIP: `stackfire {a.command}` is not in this build yet "
                  f"(`stackfire help {a.command}` failed); {a.page} is not checked")
            return SKIP
        print(f"FAIL: `stackfire help {a.command}` failed: the command is missing")
        return 1
    with open(a.page, encoding="utf-8") as f:
        text = f.read()
    page_name = os.path.basename(a.page)
    helptext = help_text(binary, a.command)
    if a.self_test:
        missed = self_test(text, page_name, a.command, helptext, a.page)
        for m in missed:
            print(f"FAIL: the checks did not catch: {m}")
        if not missed:
            print(f"ok: every mutation of {page_name} was caught")
        return 1 if missed else 0
    problems = check_page(text, page_name, a.command, helptext) + lint(a.page)
    for p in problems:
        print(f"FAIL: {page_name}: {p}")
    if problems:
        return 1
    print(f"ok: {page_name}: {len(help_flags(helptext))} flags of "
          f"`stackfire {a.command or ''} --help` documented; man and groff render it cleanly")
    return 0


if __name__ == "__main__":
    sys.exit(main())
