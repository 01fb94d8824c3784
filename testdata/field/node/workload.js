// A CPU-bound JavaScript workload for the field suite (tests/field), run as
//   node --perf-basic-prof workload.js SECONDS [WARM_UP_SECONDS]
// Builds records, sorts them with a comparator (V8's TimSort builtins and
// localeCompare), joins strings (ArrayPrototypeJoin), round-trips JSON and
// fills a Map through a regex replace: JIT-compiled JS (named from
// /tmp/perf-PID.map) calling V8's builtins (code inside node's own file).
// Prints "ready" after the warm-up and "rounds N" at the end.
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

// The comparator and the mapper are named functions, so that the field test
// can check the JS frame right above V8's sort and map builtins by name.
function byScore(a, b) {
  return a.score - b.score || a.name.localeCompare(b.name);
}

function rank(records) {
  return records.slice().sort(byScore);
}

function renderRow(r) {
  return [r.id, r.name, r.score, r.tags.join('|')].join(',');
}

function render(records) {
  return records.map(renderRow).join('\n');
}

function index(records) {
  const m = new Map();
  for (const r of records) {
    const k = r.name.replace(/[0-9]+$/, d => String(Number(d) % 50));
    m.set(k, (m.get(k) || 0) + r.score);
  }
  return m;
}

function round(seed) {
  const recs = makeRecords(20000, seed);
  const sorted = rank(recs);
  const text = render(sorted);
  const parsed = JSON.parse(JSON.stringify(sorted.slice(0, 2000)));
  const idx = index(parsed);
  return text.length % 3 + idx.size % 2 + 1;
}

// "ready" after a warm-up, when V8 has compiled the hot functions: a
// profiler attached then sees a server in its steady state.
const start = Date.now();
const end = start + 1000 * Number(process.argv[2] || 5);
const warmUp = 1000 * Number(process.argv[3] || 0);
let rounds = 0;
let ready = false;
while (Date.now() < end) {
  if (!ready && Date.now() - start >= warmUp) {
    console.log('ready');
    ready = true;
  }
  rounds += round(rounds + 1);
}
console.log('rounds', rounds);
