#!/usr/bin/env python3
"""Writes a synthetic folded profile with N distinct stacks (default 50,000).

The stacks grow as a random call tree: each new stack extends a prefix of an
earlier one, so frames merge the way real profiles do (deep shared prefixes,
wide fan-out near the leaves). Names look like C++/Java/kernel symbols, with
some spaces, templates and annotations. Seeded, so every run writes the same
file. Usage: gen_folded.py [N] [SEED] > stacks.folded
"""
import random
import sys

n = int(sys.argv[1]) if len(sys.argv) > 1 else 50000
seed = int(sys.argv[2]) if len(sys.argv) > 2 else 1
rng = random.Random(seed)

words = ["read", "write", "parse", "alloc", "free", "hash", "lookup", "insert", "encode",
         "decode", "flush", "poll", "send", "recv", "lock", "unlock", "copy", "merge", "sort",
         "scan", "compress", "render", "dispatch", "handle", "visit", "resolve", "update"]
spaces = ["std", "app", "net", "db", "io", "core", "util", "json", "http", "vm"]


def name():
    r = rng.random()
    w = rng.choice(words) + "_" + rng.choice(words)
    if r < 0.5:
        return "%s::%s::%s" % (rng.choice(spaces), rng.choice(spaces).capitalize(), w)
    if r < 0.65:
        return "%s::%s<std::vector<int, std::allocator<int> > >" % (rng.choice(spaces), w)
    if r < 0.8:
        return "Lcom/example/%s/%s:::%s_[j]" % (rng.choice(spaces), w.capitalize(), w)
    if r < 0.9:
        return "%s_%s_[k]" % ("sys", w)
    return w


names = [name() for _ in range(4000)]
stacks = [["main"]]
seen = set()
out = []
while len(out) < n:
    base = rng.choice(stacks[-200:]) if rng.random() < 0.7 else rng.choice(stacks)
    keep = rng.randint(1, len(base))
    new = base[:keep] + [rng.choice(names) for _ in range(rng.randint(1, 6))]
    if len(new) > 60:
        new = new[:60]
    key = ";".join(new)
    if key in seen:
        continue
    seen.add(key)
    stacks.append(new)
    count = max(1, int(rng.paretovariate(1.2)))
    out.append("%s %d\n" % (key, count))
sys.stdout.write("".join(out))
