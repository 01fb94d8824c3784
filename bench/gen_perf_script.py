#!/usr/bin/env python3
"""`perf script` text of a synthetic recording, with timestamps:
SECONDS at HZ on THREADS busy threads (default 30 s, 999 Hz, 8 threads:
239,760 samples), each thread walking its own mix of DISTINCT stacks that
changes over time (so the heatmap has something to show).

  bench/gen_perf_script.py [SECONDS [HZ [THREADS [DISTINCT]]]] > x.perf.txt
"""
import random
import sys

seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 30
hz = int(sys.argv[2]) if len(sys.argv) > 2 else 999
threads = int(sys.argv[3]) if len(sys.argv) > 3 else 8
distinct = int(sys.argv[4]) if len(sys.argv) > 4 else 2000
rng = random.Random(14)
names = [f"fn_{i:04d}" for i in range(600)]
stacks = []
for _ in range(distinct):
    depth = rng.randint(4, 14)
    frames = ["main"] + [rng.choice(names[: 40 + 40 * d]) for d in range(depth)]
    text = "".join(f"\t{0x400000 + 16 * i:16x} {f}+0x10 (/usr/bin/app)\n"
                   for i, f in enumerate(reversed(frames)))
    stacks.append(text)
out = sys.stdout
base = 84721.0
n = int(seconds * hz)
for k in range(n):
    t = base + k / hz
    phase = int(k / hz / 2)  # the mix changes every 2 s
    for th in range(threads):
        lo = (phase * 97 + th * 31) % max(1, distinct - 200)
        s = stacks[lo + int(rng.random() ** 3 * 200)]
        out.write(f"app {1000}/{1000 + th} [00{th % 2}] {t + th * 1e-5:.6f}: 1001001 cpu-clock:\n")
        out.write(s)
        out.write("\n")
