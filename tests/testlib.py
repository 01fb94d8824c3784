"""Helpers shared by the Python test scripts under tests/ (the field suite
keeps its own, tests/field/fieldlib.py):

  - check(), failures and finish(): a failed check prints "FAIL: ..." and is
    counted; finish() turns the count into the script's exit status;
  - SKIP: the exit status that meson reports as a skipped test;
  - stackfire(): runs the binary under test ($STACKFIRE_BIN), capturing;
  - read_folded() and parse_folded(): folded stacks, from a file or from
    text, as a Counter of stack -> count;
  - validate_speedscope(): a speedscope document against speedscope's
    published schema (from the npm package that tests/export pins).

The scripts are run by meson from the source tree; each finds this module
with sys.path.insert(0, <its folder>/..) before importing it.
"""
import collections
import json
import os
import subprocess

SKIP = 77  # meson's exit status for a skipped test

failures = []


def check(cond, what):
    """Records `what` as failed unless cond holds; returns cond."""
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def finish(passed, failed="%d check(s) failed"):
    """The exit status once the checks have run: 1, printing `failed` with
    the number of failures, or 0, printing `passed`."""
    if failures:
        print(failed % len(failures))
        return 1
    print(passed)
    return 0


def stackfire(args, **kw):
    """`stackfire ARGS` ($STACKFIRE_BIN), its stdout and stderr captured;
    keywords go to subprocess.run."""
    return subprocess.run([os.environ["STACKFIRE_BIN"]] + args, capture_output=True, **kw)


def parse_folded(text, number=int):
    """Folded stacks text ("a;b;c COUNT" lines) -> Counter(stack -> count)."""
    out = collections.Counter()
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        out[stack] += number(count)
    return out


def read_folded(path, number=int):
    """A folded file -> Counter(stack -> count); names that are not UTF-8
    are kept (surrogateescape)."""
    out = collections.Counter()
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        for line in f:
            stack, _, count = line.rstrip("\n").rpartition(" ")
            out[stack] += number(count)
    return out


SPEEDSCOPE_SCHEMA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "export",
                                 "node_modules", "speedscope", "dist", "release",
                                 "file-format-schema.json")


def validate_speedscope(doc, what):
    """Checks doc against speedscope's published schema; says SKIP (and
    checks nothing) without python3's jsonschema or the npm package."""
    try:
        import jsonschema
    except ImportError:
        print("SKIP: schema validation of %s: python3 has no jsonschema module" % what)
        return
    if not os.path.exists(SPEEDSCOPE_SCHEMA):
        print("SKIP: schema validation of %s: run `npm ci` in tests/export (scripts/test.sh "
              "does) to get speedscope's file-format-schema.json" % what)
        return
    with open(SPEEDSCOPE_SCHEMA) as f:
        schema = json.load(f)
    try:
        jsonschema.validate(doc, schema)
    except jsonschema.ValidationError as e:
        check(False, "%s against speedscope's schema: %s" % (what, e.message))
