// A Node.js workload that spends most of its time in V8's builtins, code
// that lives in node's own file and that V8 maps again from the middle of
// its text segment: Array.prototype.sort with a comparator (ArrayTimSort,
// SortCompareUserFn), Array.prototype.join, JSON.stringify and JSON.parse.
// Run as: node --perf-basic-prof node_builtins.js SECONDS
// (--perf-basic-prof makes node write /tmp/perf-PID.map for its JIT code.)
'use strict';
const seconds = Number(process.argv[2] || 2);

function makeRows(n) {
  const rows = [];
  for (let i = 0; i < n; i++) rows.push({id: (i * 7919) % n, name: 'row' + i, v: i % 13});
  return rows;
}
function byId(a, b) { return a.id - b.id; }
function sortRows(rows) { return rows.slice().sort(byId); }
function joinRows(rows) { return rows.map((r) => r.name).join(','); }
function roundTrip(rows) { return JSON.parse(JSON.stringify(rows)).length; }

const rows = makeRows(20000);
const end = Date.now() + seconds * 1000;
let sink = 0;
while (Date.now() < end) {
  sink += sortRows(rows)[0].id;
  sink += joinRows(rows).length;
  sink += roundTrip(rows);
}
console.log('done', sink > 0);
