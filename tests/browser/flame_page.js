// Drives an SVG flame graph in Debian's chromium through playwright-core.
//
// Shared by the browser test (flame_graph_test.js), the interaction benchmark
// (bench/svg_interaction.js) and the README screenshots
// (examples/screenshots/shoot.js). It knows both stackfire's SVG (frames are
// drawn as one path per colour under <g id="zoom">, described by the JSON
// frame table in <metadata id="sfdata">) and flamegraph.pl's (one <g> per
// frame under <g id="frames">), so the benchmark can time both alike.
//
// The browser is never downloaded: playwright-core only drives the chromium
// binary that Debian installs. /usr/bin/chromium is a wrapper script, so the
// binary itself is launched (CHROMIUM overrides it).
'use strict';

const fs = require('fs');

const kChromium = process.env.CHROMIUM || '/usr/lib/chromium/chromium';
const kSkip = 77;  // meson's "skipped" exit code

// Exits with 77 and says why when the browser or playwright-core is missing:
// a test that cannot run must say so, not pass.
function requireBrowserOrSkip() {
  if (!fs.existsSync(kChromium)) {
    console.log(`SKIP: ${kChromium} not found: install Debian's chromium ` +
                '(apt-get install chromium, or STACKFIRE_SETUP_TESTS=1 bash scripts/setup.sh)');
    process.exit(kSkip);
  }
  try {
    require.resolve('playwright-core');
  } catch (e) {
    console.log('SKIP: playwright-core is not installed: run `npm ci` in tests/browser ' +
                '(STACKFIRE_SETUP_TESTS=1 bash scripts/setup.sh does it)');
    process.exit(kSkip);
  }
}

async function launch() {
  const { chromium } = require('playwright-core');
  return chromium.launch({
    executablePath: kChromium,
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking'],
  });
}

// Runs in every page before its own scripts. After the load event it lets the
// page's deferred start-up run (stackfire reads the frame geometry and names
// in setTimeout callbacks), forces style and layout, waits for the next
// painted frame and stores the time since navigation start: "load" is the
// time until the picture is up and the script is ready.
const kLoadProbe = `
window.addEventListener('load', function() {
  setTimeout(function() { setTimeout(function() { setTimeout(function() {
    document.documentElement.getBoundingClientRect();
    requestAnimationFrame(function() {
      setTimeout(function() { window.__sfLoadMs = performance.now(); }, 0);
    });
  }, 0); }, 0); }, 0);
});`;

async function newPage(browser, viewport) {
  const page = await browser.newPage({ viewport: viewport || { width: 1280, height: 900 } });
  page.setDefaultTimeout(180000);  // the shared CI machine can be very slow
  await page.addInitScript(kLoadProbe);
  page.on('pageerror', (e) => { (page.__errors = page.__errors || []).push(String(e)); });
  return page;
}

// Opens `file` (an absolute path) with an optional "?x=..&y=.." query and
// waits until the probe has fired. Returns the load time in ms.
async function open(page, file, query, timeoutMs) {
  await page.goto('file://' + file + (query || ''), { waitUntil: 'load', timeout: timeoutMs || 120000 });
  await page.waitForFunction(() => window.__sfLoadMs !== undefined, null,
                             { timeout: timeoutMs || 120000 });
  return page.evaluate(() => window.__sfLoadMs);
}

// In-page helpers, installed by install(): the frames of the picture,
// whichever tool wrote the SVG, as window.__sf = {stackfire, count, name(i),
// title(i), box(i), click(i)}. box(i) is frame i's rectangle on the page (as
// getBoundingClientRect gives it); click(i) dispatches a click at its centre.
//
// stackfire draws a path per colour and keeps the frame table in
// <metadata id="sfdata">; a frame's box is its table geometry through the
// #zoom group's current transform, and the click goes to the path that draws
// it, with the coordinates the page's script hit-tests. flamegraph.pl draws a
// <g><title/><rect/></g> per frame.
function pageHelpers() {
  const zoomG = document.getElementById('zoom');
  if (zoomG) {
    const t = JSON.parse(document.getElementById('sfdata').textContent);
    const removed = new Set(t.removed);
    const byFill = new Map();
    for (const p of zoomG.querySelectorAll('path')) {
      if (p.getAttribute('fill')) byFill.set(p.getAttribute('fill'), p);
    }
    const rm = zoomG.querySelector('path.rm');
    const svg = document.documentElement;
    function box(i) {
      const m = zoomG.getScreenCTM();
      const y = t.y0 + t.depth[i] * t.dy;
      const a = svg.createSVGPoint(), b = svg.createSVGPoint();
      a.x = t.x[i]; a.y = y; b.x = t.x[i] + t.w[i]; b.y = y + t.fh;
      const p = a.matrixTransform(m), q = b.matrixTransform(m);
      return { x: p.x, y: p.y, width: q.x - p.x, height: q.y - p.y, left: p.x, top: p.y, right: q.x, bottom: q.y };
    }
    function name(i) { return t.names[t.name[i]]; }
    window.__sf = {
      stackfire: true, count: t.x.length, table: t, box, name,
      title: (i) => name(i) + t.tip[i],
      element: (i) => (removed.has(i) ? rm : byFill.get(t.colors[t.color[i]])),
      click(i) {
        const b = box(i);
        window.__sf.element(i).dispatchEvent(new MouseEvent('click', {
          bubbles: true, cancelable: true, clientX: b.x + b.width / 2, clientY: b.y + b.height / 2 }));
      },
    };
  } else {
    const rects = Array.from(document.querySelectorAll('#frames > g > rect'));
    const title = (i) => rects[i].parentNode.querySelector('title').textContent;
    window.__sf = {
      stackfire: false, count: rects.length, title,
      name(i) {
        const first = title(i).split('\n')[0];
        const p = first.lastIndexOf(' (');
        return p >= 0 ? first.substring(0, p) : first;
      },
      box: (i) => rects[i].getBoundingClientRect(),
      element: (i) => rects[i],
      click(i) { rects[i].dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true })); },
    };
  }
}

async function install(page) {
  await page.evaluate(pageHelpers);
}

// One step timed in the page: from dispatching the event to a forced style
// and layout ("sync"), and to the next painted frame ("frame"). `step` is
// {kind: 'click', index} (a frame), {kind: 'unzoom'} or {kind: 'search',
// term} (Ctrl-F with prompt() answered by `term`).
async function timeStep(page, step) {
  return page.evaluate((step) => new Promise((resolve) => {
    const sf = window.__sf;
    if (step.kind === 'search') window.prompt = () => step.term;
    const t0 = performance.now();
    if (step.kind === 'click') {
      sf.click(step.index);
    } else if (step.kind === 'unzoom') {
      document.getElementById('unzoom').dispatchEvent(
          new MouseEvent('click', { bubbles: true, cancelable: true }));
    } else {
      window.dispatchEvent(new KeyboardEvent('keydown', { keyCode: 70, ctrlKey: true, bubbles: true }));
    }
    document.documentElement.getBoundingClientRect();
    const sync = performance.now() - t0;
    requestAnimationFrame(() => setTimeout(() => resolve({ sync, frame: performance.now() - t0 }), 0));
  }), step);
}

module.exports = { kChromium, kSkip, requireBrowserOrSkip, launch, newPage, open, install, timeStep };
