// A CPU-bound JavaScript workload for the field suite (tests/field), run as
//   node --perf-basic-prof workload.js SECONDS
// Builds records, sorts them with a comparator (V8's TimSort builtins and
// localeCompare), joins strings (ArrayPrototypeJoin), round-trips JSON and
// fills a Map through a regex replace: JIT-compiled JS (named from
// /tmp/perf-PID.map) calling V8's builtins (code inside node's own file).
// Prints "ready" when it starts and "rounds N" at the end.
'use strict';

function makeRecords(n, seed) {
  const out = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    out.push({ id: i, name: 'item' + (x % 1000), score: x % 9973, tags: ['a' + (x % 7), 'b' + (x % 11)] });
  }
  return out;
}

function rank(records) {
  return records.slice().sort((a, b) => a.score - b.score || a.name.localeCompare(b.name));
}

function render(records) {
  return records.map(r => [r.id, r.name, r.score, r.tags.join('|')].join(',')).join('\n');
}

function index(records) {
  const m = new Map();
  for (const r of records) {
    const k = r.name.replace(/[0-9]+$/, d => String(Number(d) % 50));
    m.set(k, (m.get(k) || 0) + r.score);
  }
  return m;
}

const end = Date.now() + 1000 * Number(process.argv[2] || 5);
let rounds = 0;
console.log('ready');
while (Date.now() < end) {
  const recs = makeRecords(20000, rounds + 1);
  const sorted = rank(recs);
  const text = render(sorted);
  const parsed = JSON.parse(JSON.stringify(sorted.slice(0, 2000)));
  const idx = index(parsed);
  rounds += text.length % 3 + idx.size % 2 + 1;
}
console.log('rounds', rounds);
