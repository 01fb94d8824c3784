#!/usr/bin/env python3
"""How many runs per side `stackfire diff` needs to detect a 5 % change.

A profile shaped like the diff test workload (testdata/workloads/
diff_workload.cc: functions with 25 %, 25 % and 50 % of the samples, plus a
thin tail of small frames) is drawn K times per side with N samples per run
(multinomial draws, Python's seeded random), AFTER with one function's work
(25 % share, `target`) made 5 % larger, and, to model run-to-run spread
larger than sampling noise, each run's function shares multiplied by
(1 + e), e ~ Normal(0, SPREAD) (relative). `stackfire diff --report --format
json` then says whether `target`'s self share changed significantly (q <=
0.05). Detection rate over TRIALS seeded trials for K = 1..8:

  python3 bench/diff_power.py [--samples N] [--spread S] [--trials T]

Prints a Markdown table. One run per side uses the exact binomial test;
two or more, Welch's t-test on per-run shares.
"""
import argparse
import json
import os
import random
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BIN = os.environ.get("STACKFIRE_BIN", os.path.join(ROOT, "build/src/cli/stackfire"))

BASE = {
    "main;work;target": 25.0,
    "main;work;steady": 25.0,
    "main;work;heavy": 50.0,
}
for i in range(40):  # a tail of small frames, 2 % of the samples together
    BASE[f"main;tail;t{i}"] = 0.05


def draw(weights, n, rng, spread):
    stacks = list(weights)
    w = [weights[s] * max(0.0, 1 + rng.gauss(0, spread)) for s in stacks]
    counts = {}
    for s in rng.choices(stacks, weights=w, k=n):
        counts[s] = counts.get(s, 0) + 1
    return "".join(f"{s} {c}\n" for s, c in sorted(counts.items()))


def detected(tmp, k, n, change, spread, rng, extra):
    after = dict(BASE)
    after["main;work;target"] *= 1 + change
    files = []
    for side, weights in (("b", BASE), ("a", after)):
        for r in range(k):
            path = os.path.join(tmp, f"{side}{r}.folded")
            with open(path, "w") as f:
                f.write(draw(weights, n, rng, spread))
            files.append(path)
    args = [BIN, "diff", "--report", "--format", "json", "--top", "0"] + extra
    args += files[:k] + (["--"] if k > 1 else []) + files[k:]
    r = subprocess.run(args, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"stackfire diff failed: {r.stderr}")
    for row in json.loads(r.stdout)["rows"]:
        if row["name"] == "target":
            return row["self"]["verdict"] == "grew"
    return False


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=2000, help="samples per run")
    ap.add_argument("--spread", type=float, default=0.0,
                    help="run-to-run relative spread of each share (e.g. 0.02)")
    ap.add_argument("--change", type=float, default=0.05)
    ap.add_argument("--trials", type=int, default=20)
    ap.add_argument("--max-runs", type=int, default=8)
    ap.add_argument("--pool", action="store_true", help="stackfire diff --pool")
    ap.add_argument("--grep", default="",
                    help="test only these functions (e.g. ^target$), as a gate with --grep")
    a = ap.parse_args()
    rng = random.Random(20261126)
    print(f"| runs per side | detected ({a.trials} trials), {a.samples} samples/run, "
          f"spread {a.spread:.0%}, +{a.change:.0%} of a 25 % function"
          f"{', --grep ' + a.grep if a.grep else ''}{', --pool' if a.pool else ''} |")
    print("|---|---|")
    with tempfile.TemporaryDirectory() as tmp:
        for k in range(1, a.max_runs + 1):
            hits = sum(detected(tmp, k, a.samples, a.change, a.spread, rng,
                                (["--grep", a.grep] if a.grep else []) +
                                (["--pool"] if a.pool else []))
                       for _ in range(a.trials))
            print(f"| {k} | {hits}/{a.trials} ({hits / a.trials:.0%}) |", flush=True)


if __name__ == "__main__":
    main()
