#!/usr/bin/env node
// Browser load time of SVG flame graphs, median of RUNS fresh pages each
// (navigation start -> load, the deferred start-up and the next painted
// frame, as tests/browser/flame_page.js measures it):
//
//   node bench/time_load.js RUNS a.svg b.svg ...
//
// bench/RESULTS-time.md compares stackfire's SVG with a heatmap against
// flamegraph.pl's of the same stacks. Needs `npm ci` in tests/browser and
// Debian's chromium.
'use strict';
const fp = require('../tests/browser/flame_page');

(async () => {
  const runs = Number(process.argv[2] || 3);
  const files = process.argv.slice(3);
  const browser = await fp.launch();
  for (const file of files) {
    const times = [];
    for (let r = 0; r < runs; r++) {
      const page = await fp.newPage(browser);
      times.push(await fp.open(page, require('path').resolve(file)));
      await page.close();
    }
    times.sort((a, b) => a - b);
    console.log(`${file}: load median ${times[times.length >> 1].toFixed(0)} ms ` +
                `(runs: ${times.map((t) => t.toFixed(0)).join(', ')})`);
  }
  await browser.close();
})().catch((e) => { console.error(e); process.exit(1); });
