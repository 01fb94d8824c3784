"""A CPU-bound Python workload for the field suite (tests/field), run by
Debian's stripped interpreter: /usr/bin/python3 cpu_work.py SECONDS.

Pure-Python loops, dict and set work, string formatting and splitting,
sorting with a key function, a regex and json: the interpreter's eval loop
and object code, most of it in functions that .dynsym does not name.
Prints "ready" when it starts and "rounds N" at the end.
"""
import json
import re
import sys
import time

WORD = re.compile(r"[a-z]+[0-9]*")


def make_rows(n, seed):
    rows = []
    x = seed
    for i in range(n):
        x = (x * 1103515245 + 12345) & 0x7FFFFFFF
        rows.append({"id": i, "name": "user%d" % (x % 977), "score": x % 10007,
                     "tags": ["t%d" % (x % 13), "g%d" % (x % 7)]})
    return rows


def aggregate(rows):
    by_name = {}
    for r in rows:
        entry = by_name.setdefault(r["name"], [0, 0, set()])
        entry[0] += 1
        entry[1] += r["score"]
        entry[2].update(r["tags"])
    return sorted(((name, n, total, sorted(tags)) for name, (n, total, tags) in by_name.items()),
                  key=lambda row: (-row[2], row[0]))


def text_work(rows):
    text = "\n".join("%s,%d,%s" % (r["name"], r["score"], "|".join(r["tags"])) for r in rows)
    words = WORD.findall(text)
    counts = {}
    for w in words:
        counts[w] = counts.get(w, 0) + 1
    return len(text), len(counts)


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def main():
    seconds = float(sys.argv[1]) if len(sys.argv) > 1 else 5
    end = time.time() + seconds
    rounds = 0
    print("ready", flush=True)
    while time.time() < end:
        rows = make_rows(6000, rounds + 1)
        top = aggregate(rows)
        size, distinct = text_work(rows)
        blob = json.loads(json.dumps(top[:300]))
        rounds += 1 + (size + distinct + len(blob) + fib(18)) % 2
    print("rounds", rounds, flush=True)


if __name__ == "__main__":
    main()
