// Drives an SVG flame graph in Debian's chromium through playwright-core.
//
// Shared by the browser test (flame_graph_test.js), the interaction benchmark
// (bench/svg_interaction.js) and the README screenshots
// (examples/screenshots/shoot.js). It knows both stackfire's SVG (frames are
// the <rect>s of <g id="zoom">) and flamegraph.pl's (one <g> per frame under
// <g id="frames">), so the benchmark can time both with the same code.
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

// In-page helpers, installed by install(): the frame list, each frame's
// geometry and name, whichever tool wrote the SVG.
function pageHelpers() {
  const stackfire = !!document.getElementById('zoom');
  const rects = stackfire ? Array.from(document.getElementById('zoom').children)
                          : Array.from(document.querySelectorAll('#frames > g > rect'));
  function title(r) {
    return stackfire ? r.getAttribute('data-t') : r.parentNode.querySelector('title').textContent;
  }
  function name(r) {
    const t = title(r).split('\n')[0];
    const p = t.lastIndexOf(' (');
    return p >= 0 ? t.substring(0, p) : t;
  }
  window.__sf = { stackfire, rects, title, name };
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
    let target;
    if (step.kind === 'click') target = sf.rects[step.index];
    if (step.kind === 'unzoom') target = document.getElementById('unzoom');
    if (step.kind === 'search') window.prompt = () => step.term;
    const t0 = performance.now();
    if (target) {
      target.dispatchEvent(new MouseEvent('click', { bubbles: true, cancelable: true }));
    } else {
      window.dispatchEvent(new KeyboardEvent('keydown', { keyCode: 70, ctrlKey: true, bubbles: true }));
    }
    document.documentElement.getBoundingClientRect();
    const sync = performance.now() - t0;
    requestAnimationFrame(() => setTimeout(() => resolve({ sync, frame: performance.now() - t0 }), 0));
  }), step);
}

module.exports = { kChromium, kSkip, requireBrowserOrSkip, launch, newPage, open, install, timeStep };
