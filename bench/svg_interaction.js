#!/usr/bin/env node
// Times load, click-zoom, reset and search of stackfire's SVG against
// flamegraph.pl's SVG of the same input, in the same browser run, with
// in-page performance.now() (tests/browser/flame_page.js does the driving).
//
//   FLAMEGRAPH_DIR=/path/to/FlameGraph node bench/svg_interaction.js [RUNS]
//
// STACKFIRE_BIN defaults to build/src/cli/stackfire. Inputs come from
// bench/gen_folded.py. For each case and tool, every run opens a fresh page
// and times, for the same frame (the widest narrower than half the graph):
//   load   navigation start -> load event, the page's deferred start-up,
//          a forced style and layout, and the next painted frame; beside
//          it, the renderer main thread's CPU time meanwhile, from a
//          Chromium trace (steadier on a busy machine);
//   zoom   a click on the frame; reset: a click on "Reset Zoom";
//   search Ctrl-F with prompt() answering the frame's name (unanchored);
// each to a forced layout ("sync") and to the next painted frame. The median
// of the runs is printed as a markdown table, with the SVG sizes. Needs
// `npm ci` in tests/browser and Debian's chromium.
'use strict';

const path = require('path');
const fs = require('fs');
const os = require('os');
const { spawnSync } = require('child_process');
const fp = require('../tests/browser/flame_page');

const root = path.resolve(__dirname, '..');
const runs = Number(process.argv[2] || 3);
const bin = process.env.STACKFIRE_BIN || path.join(root, 'build/src/cli/stackfire');
const fg = process.env.FLAMEGRAPH_DIR;
if (!fg || !fs.existsSync(path.join(fg, 'flamegraph.pl'))) {
  console.error('svg_interaction: set FLAMEGRAPH_DIR to a FlameGraph checkout');
  process.exit(2);
}
fp.requireBrowserOrSkip();

const cases = [
  { name: 'gen_folded.py 3100 4', gen: ['3100', '4'], flags: [] },
  { name: 'gen_folded.py 50000', gen: ['50000'], flags: [] },
  { name: 'gen_folded.py 17000 2, --minwidth 0', gen: ['17000', '2'], flags: ['--minwidth', '0'] },
];

function sh(cmd, args, out) {
  const r = spawnSync(cmd, args, { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  if (out) fs.writeFileSync(out, r.stdout);
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

// The target frame: the widest narrower than half the graph, found by name
// and position so that both tools' pictures use the same one.
async function pickTarget(page, want) {
  return page.evaluate((want) => {
    const sf = window.__sf;
    const rootW = sf.box(0).width;
    let best = -1, bestW = -1;
    for (let i = 0; i < sf.count; i++) {
      const b = sf.box(i);
      if (want) {
        if (sf.name(i) === want.name && Math.abs(b.x - want.x) < 1 && Math.abs(b.width - want.w) < 1) best = i;
      } else if (b.width < rootW / 2 && b.width > bestW) {
        bestW = b.width; best = i;
      }
    }
    if (best < 0) return null;
    const b = sf.box(best);
    return { index: best, name: sf.name(best), x: b.x, w: b.width, frames: sf.count };
  }, want);
}

// Main-thread CPU time of the renderer over a Chromium trace: the thread
// time of its top-level tasks, which a busy machine does not inflate the way
// it does wall time.
function rendererMainCpuMs(trace) {
  const events = JSON.parse(trace.toString()).traceEvents;
  const main = new Set(events.filter((e) => e.ph === 'M' && e.name === 'thread_name' &&
                                            e.args.name === 'CrRendererMain')
                             .map((e) => `${e.pid}/${e.tid}`));
  const per = {};
  for (const e of events) {
    const key = `${e.pid}/${e.tid}`;
    if (e.ph === 'X' && e.name === 'RunTask' && e.tdur !== undefined && main.has(key)) {
      per[key] = (per[key] || 0) + e.tdur / 1000;
    }
  }
  return Math.max(0, ...Object.values(per));
}

async function measure(browser, file, want) {
  const page = await fp.newPage(browser);
  await browser.startTracing(page, {
    categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
  const load = await fp.open(page, file, '', 600000);
  const loadCpu = rendererMainCpuMs(await browser.stopTracing());
  await fp.install(page);
  const target = await pickTarget(page, want);
  if (!target) throw new Error(`${file}: target frame ${want && want.name} not found`);
  const zoom = await fp.timeStep(page, { kind: 'click', index: target.index });
  const zoomedW = await page.evaluate((i) => window.__sf.box(i).width, target.index);
  const reset = await fp.timeStep(page, { kind: 'unzoom' });
  const term = target.name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const search = await fp.timeStep(page, { kind: 'search', term });
  const matched = await page.evaluate(() => document.getElementById('matched').textContent);
  await page.close();
  return { load, loadCpu, zoom, reset, search, target, zoomedW, matched };
}

(async () => {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'svg-bench-'));
  const browser = await fp.launch();
  console.log(`chromium ${browser.version()}, ${runs} runs, median; ${os.cpus().length} CPUs, load ${os.loadavg().map((x) => x.toFixed(1)).join(' ')}`);
  const rows = [];
  for (const c of cases) {
    const folded = path.join(tmp, 'in.folded');
    sh('python3', [path.join(root, 'bench/gen_folded.py'), ...c.gen], folded);
    const sfSvg = path.join(tmp, 'stackfire.svg');
    const plSvg = path.join(tmp, 'flamegraph.svg');
    sh(bin, ['render', ...c.flags, folded], sfSvg);
    sh('perl', [path.join(fg, 'flamegraph.pl'), ...c.flags, folded], plSvg);
    const res = { stackfire: [], 'flamegraph.pl': [] };
    let want = null;
    for (let r = 0; r < runs; r++) {
      // Alternate the order so that a change of load hits both alike.
      const order = r % 2 ? ['flamegraph.pl', 'stackfire'] : ['stackfire', 'flamegraph.pl'];
      for (const tool of order) {  // run 0 starts with stackfire, which picks the frame
        const m = await measure(browser, tool === 'stackfire' ? sfSvg : plSvg, want);
        want = want || m.target;
        res[tool].push(m);
      }
    }
    for (const tool of ['stackfire', 'flamegraph.pl']) {
      const m = res[tool];
      const row = {
        case: c.name, tool, frames: m[0].target.frames,
        bytes: fs.statSync(tool === 'stackfire' ? sfSvg : plSvg).size,
        load: median(m.map((x) => x.load)), loadCpu: median(m.map((x) => x.loadCpu)),
        zoom: median(m.map((x) => x.zoom.frame)), zoomSync: median(m.map((x) => x.zoom.sync)),
        reset: median(m.map((x) => x.reset.frame)), resetSync: median(m.map((x) => x.reset.sync)),
        search: median(m.map((x) => x.search.frame)), searchSync: median(m.map((x) => x.search.sync)),
        target: `${m[0].target.name} (${m[0].target.w.toFixed(0)} px -> ${m[0].zoomedW.toFixed(0)} px)`,
        matched: m[0].matched,
      };
      rows.push(row);
      console.error(JSON.stringify(row));
    }
  }
  await browser.close();
  fs.rmSync(tmp, { recursive: true, force: true });

  const ms = (x) => (x >= 1000 ? `${(x / 1000).toFixed(2)} s` : `${x.toFixed(0)} ms`);
  console.log('\n| input | SVG | frames | size | load (main-thread CPU) | zoom | reset | search |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.case} | ${r.tool} | ${r.frames.toLocaleString('en-US')} | ${(r.bytes / 1e6).toFixed(2)} MB | ` +
                `${ms(r.load)} (${ms(r.loadCpu)}) | ${ms(r.zoom)} | ${ms(r.reset)} | ${ms(r.search)} |`);
  }
  console.log('\n| input | load (CPU) | zoom | reset | search | size | (flamegraph.pl / stackfire) |');
  console.log('|---|---|---|---|---|---|---|');
  for (let i = 0; i < rows.length; i += 2) {
    const s = rows[i], p = rows[i + 1];
    const x = (k) => `**${(p[k] / s[k]).toFixed(1)}x**`;
    console.log(`| ${s.case} | ${x('load')} (${(p.loadCpu / s.loadCpu).toFixed(1)}x) | ${x('zoom')} | ${x('reset')} | ${x('search')} | ` +
                `${(s.bytes / p.bytes * 100).toFixed(0)} % | sync: zoom ${(p.zoomSync / s.zoomSync).toFixed(1)}x, ` +
                `reset ${(p.resetSync / s.resetSync).toFixed(1)}x, search ${(p.searchSync / s.searchSync).toFixed(1)}x; ` +
                `target ${s.target}; Matched ${s.matched.trim()} / ${p.matched.trim()} |`);
  }
})().catch((e) => { console.error(e); process.exit(1); });
