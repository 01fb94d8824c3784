// stackfire's SVG flame graphs in a real browser (Debian's chromium driven by
// playwright-core; see flame_page.js):
//   - a flame.svg recorded by `stackfire record` of a testdata workload:
//     clicking a frame zooms it to full width and shows the reset control,
//     reset restores, and every label fits its frame; Ctrl-F (a prompt()
//     answered by a dialog handler) highlights the frames a regex matches and
//     shows "Matched: N%", checked against the folded stacks; the URL keeps
//     zoom, search and case, and a reload restores them;
//   - a diff.svg of that recording against a copy with a known change: the
//     tooltip shows before, after and delta (and removed frames are kept);
//   - an SVG of 50,000 distinct stacks (bench/gen_folded.py) loads and is
//     interactive.
// Correctness only: timings are in bench/svg_interaction.js. Screenshots go
// to $STACKFIRE_ARTIFACTS (meson's build dir for this test).
//
// Env: STACKFIRE_BIN, STACKFIRE_TESTDATA, RECORD_WORKLOAD (record_profile);
// BROWSER_TEST_ONLY=2,5 runs only those checks.
// Exit 0 all passed, 1 a check failed, 77 skipped (no chromium, no
// playwright-core, or perf_event_open refused), with the reason printed.
'use strict';

const fp = require('./flame_page');
fp.requireBrowserOrSkip();

const assert = require('node:assert/strict');
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const folded = require('./folded');

const bin = process.env.STACKFIRE_BIN;
const testdata = process.env.STACKFIRE_TESTDATA;
const workload = process.env.RECORD_WORKLOAD;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'stackfire-browser-'));
const artifacts = process.env.STACKFIRE_ARTIFACTS || tmp;
fs.mkdirSync(artifacts, { recursive: true });

// ---- A small runner: named checks in order, each passes, fails or skips.
const checks = [];
function check(name, fn) { checks.push({ name, fn }); }
class Skip extends Error {}

function run(cmd, args, opts) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 28, ...opts });
  if (r.error) throw r.error;
  return r;
}
function stackfire(args) {
  const r = run(bin, args);
  assert.equal(r.status, 0, `stackfire ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  return r;
}

// ---- In-page helpers over stackfire's SVG: the frame table (JSON in
// <metadata id="sfdata">, x and w in counts) read by flame_page.js's
// helpers (window.__sf), which also give each frame's box on the page.
function frameInfo() {
  const t = window.__sf.table;
  const removed = new Set(t.removed);
  const info = t.x.map((x, i) => ({
    i, name: t.names[t.name[i]], title: t.names[t.name[i]] + t.tip[i], x, w: t.w[i],
    y: t.y0 + t.depth[i] * t.dy, depth: t.depth[i], removed: removed.has(i) }));
  // Each frame's path (names root first, "all" left out): the ancestors are
  // the frames one level down whose range holds it.
  const byDepth = [];
  for (const f of info) (byDepth[f.depth] = byDepth[f.depth] || []).push(f);
  for (const f of info) {
    const p = [];
    let cur = f;
    while (cur.depth > 0) {
      p.unshift(cur.name);
      const lo = cur.x, hi = cur.x + cur.w;
      cur = byDepth[cur.depth - 1].find((a) => a.x <= lo + 1e-6 && a.x + a.w >= hi - 1e-6 &&
                                                  !a.removed);
      if (!cur) { p.unshift('?'); break; }
    }
    f.path = p;
  }
  return info;
}

// The rectangles an overlay path (#sfmatch, #sfparents, #sfhover) draws, as
// frame indices: each "M x y h w v fh h -w z" matched to the table's frame
// with that x and y.
function overlayFrames(id) {
  const t = window.__sf.table;
  const d = document.getElementById(id).getAttribute('d') || '';
  const out = [];
  const re = /M([^ ]+) ([^h]+)h([^v]+)v([^h]+)h([^z]+)z/g;
  let m;
  while ((m = re.exec(d)) !== null) {
    const x = Number(m[1]), y = Number(m[2]), w = Number(m[3]);
    const i = t.x.findIndex((fx, k) => fx === x && t.y0 + t.depth[k] * t.dy === y &&
                                        t.w[k] === w && !t.removed.includes(k));
    out.push(i);
  }
  return out;
}

// Frame i's box on the page, through the #zoom group's current transform.
async function box(page, i) {
  return page.evaluate((i) => {
    const b = window.__sf.box(i);
    return { x: b.x, y: b.y, w: b.width, h: b.height };
  }, i);
}
async function visible(page, id) {
  return page.evaluate((id) => {
    const el = document.getElementById(id);
    return getComputedStyle(el).display !== 'none' && el.getBoundingClientRect().width > 0;
  }, id);
}
async function text(page, id) {
  return page.evaluate((id) => document.getElementById(id).textContent, id);
}
function query(page) { return new URL(page.url()).searchParams; }

async function openFresh(browser, file, q) {
  const page = await fp.newPage(browser);
  await fp.open(page, file, q);
  await fp.install(page);
  return page;
}

// Saves the picture, at the SVG's size, as a test artifact.
async function shot(page, name) {
  const size = await page.evaluate(() => {
    const s = document.documentElement;
    return { width: +s.getAttribute('width'), height: +s.getAttribute('height') };
  });
  // (fullPage screenshots of an SVG document never finish: size the viewport.)
  await page.setViewportSize(size);
  await page.screenshot({ path: path.join(artifacts, name) });
}

function assertNoPageErrors(page) {
  assert.deepEqual(page.__errors || [], [], 'the page threw');
}

// Labels wider than their frame, as drawn (static ones, or the zoomed ones
// while zoomed). The SVG fits labels with a fixed character width, so this
// fails when the font the browser picks is wider than that (setup.sh installs
// fonts-liberation and fonts-dejavu-core for that reason).
async function overflowingLabels(page) {
  return page.evaluate(() => {
    const zl = document.getElementById('zlabels');
    const group = zl && zl.childElementCount ? zl : document.getElementById('labels');
    const sf = window.__sf;
    const boxes = [];
    for (let i = 0; i < sf.count; i++) boxes.push(sf.box(i));
    const bad = [];
    for (const t of group.children) {
      const b = t.getBoundingClientRect();
      const cy = b.top + b.height / 2;
      const r = boxes.find((f) => f.top <= cy && cy <= f.bottom && f.left <= b.left && b.left < f.right);
      if (!r || b.right > r.right + 0.5) bad.push(`${t.textContent} (${b.width.toFixed(1)} px in ${r ? r.width.toFixed(1) : '?'} px)`);
    }
    return { labels: group.childElementCount, bad };
  });
}

// The script finds the frame under the pointer from its coordinates: moving
// the pointer to the centre of frames (each one at least 2 px wide, up to
// 300, on the page) must show each one's own tooltip in the details line.
async function assertHoverNamesEachFrame(page) {
  const r = await page.evaluate(() => {
    const sf = window.__sf;
    let ok = 0;
    const bad = [];
    for (let i = 1; i < sf.count && ok + bad.length < 300; i++) {
      const b = sf.box(i);
      if (b.width < 2 || b.y < 0 || b.y + b.height > window.innerHeight) continue;
      const x = b.x + b.width / 2, y = b.y + b.height / 2;
      document.elementFromPoint(x, y).dispatchEvent(
          new MouseEvent('mousemove', { bubbles: true, clientX: x, clientY: y }));
      const d = document.getElementById('details').textContent;
      if (d === 'Function: ' + sf.title(i).replace(/\n/g, '; ')) ok++;
      else bad.push(`frame ${i} (${sf.title(i)}) shows "${d}"`);
    }
    return { ok, bad };
  });
  assert.ok(r.ok >= 50 && r.bad.length === 0, `${r.ok} frames named right; ${r.bad.slice(0, 3)}`);
}

// Clicks the centre of frame i with the mouse, as a user would.
async function clickFrame(page, i) {
  const b = await box(page, i);
  await page.mouse.click(b.x + b.w / 2, b.y + b.h / 2);
}

// Ctrl-F, answering the prompt() with `term`.
async function searchFor(page, term) {
  let asked = null;
  page.once('dialog', async (d) => { asked = d.type(); await d.accept(term); });
  await page.keyboard.press('Control+f');
  await page.waitForFunction(() => document.getElementById('matched').textContent.trim() !== '');
  assert.equal(asked, 'prompt', 'Ctrl-F must open the search prompt');
}

function parseMatched(s) {
  const m = /^Matched: ([0-9.]+)%$/.exec(s.trim());
  assert.ok(m, `"Matched" text: ${JSON.stringify(s)}`);
  return Number(m[1]);
}

// The matched percentage is shown with one decimal ("100" when whole).
function assertMatched(shown, expected, what) {
  assert.ok(Math.abs(parseMatched(shown) - expected) <= 0.05 + 1e-9,
            `${what}: shown ${shown}, expected ${expected.toFixed(3)}%`);
}

// Checks that exactly the frames matching `re` are highlighted (drawn by
// the #sfmatch overlay, in its colour), against the folded stacks.
async function assertHighlighted(page, stacks, re) {
  const info = await page.evaluate(frameInfo);
  const lit = await page.evaluate(overlayFrames, 'sfmatch');
  assert.ok(!lit.includes(-1), 'the highlight draws a rectangle that is no frame');
  const got = new Set(lit.map((i) => info[i].path.join(';')));
  const want = folded.matchingFrames(stacks, re);
  assert.ok(want.size > 0, `${re} matches no frame of the recording`);
  assert.deepEqual([...got].sort(), [...want].sort(), 'highlighted frames');
  const fill = await page.evaluate(() => getComputedStyle(document.getElementById('sfmatch')).fill);
  assert.equal(fill, 'rgb(230, 0, 230)', 'highlight colour');
}
async function highlightedCount(page) {
  return (await page.evaluate(overlayFrames, 'sfmatch')).length;
}

// ---- The recording: record_profile spends 60/30/10 % of its time in
// leaf_sixty, leaf_thirty and leaf_ten, called from run_mix.
let recorded = null;  // {svg, folded, stacks} or {skip: reason}
function recording() {
  if (recorded) {
    if (recorded.skip) throw new Skip(recorded.skip);
    return recorded;
  }
  const svg = path.join(tmp, 'flame.svg');
  const fold = path.join(tmp, 'flame.folded');
  const rec = run(bin, ['record', '-q', '-F', '499', '-o', fold, '--', workload, '2']);
  if (rec.status !== 0 && /perf_event_open|perf_event_paranoid|CAP_PERFMON/.test(rec.stderr) &&
      /denied|not permitted|paranoid|EACCES|EPERM/i.test(rec.stderr)) {
    recorded = { skip: `stackfire record cannot sample here (perf_event_open refused): ${rec.stderr.trim()}` };
    throw new Skip(recorded.skip);
  }
  assert.equal(rec.status, 0, `stackfire record failed: ${rec.stderr}`);
  const stacks = folded.readFolded(fold);
  assert.ok(folded.total(stacks) >= 300, `too few samples recorded: ${folded.total(stacks)}`);
  // record writes .folded or .svg; the SVG is rendered from this very
  // recording (record's own SVG is checked by the first check) so that the
  // expectations come from the same samples.
  stackfire(['render', '--title', 'record_profile', fold, '-o', svg]);
  fs.copyFileSync(svg, path.join(artifacts, 'flame.svg'));
  recorded = { svg, fold, stacks };
  return recorded;
}

function isFunction(frame, name) { return frame === name || frame.endsWith('::' + name); }

// The widest frame of function `name` (the workload's functions sit in an
// anonymous namespace), under `parent`'s path if given.
async function frameNamed(page, name, parent) {
  const info = await page.evaluate(frameInfo);
  const under = (f) => !parent || parent.path.every((n, d) => f.path[d] === n);
  const hits = info.filter((f) => isFunction(f.name, name) && under(f))
      .sort((a, b) => b.w - a.w);
  assert.ok(hits.length > 0, `no frame named ${name}`);
  return hits[0];
}

// ---- The checks.
let browser;

check('stackfire record -o flame.svg writes an SVG that loads and zooms', async () => {
  const svg = path.join(tmp, 'direct.svg');
  const rec = run(bin, ['record', '-q', '-F', '499', '-o', svg, '--', workload, '1']);
  if (rec.status !== 0 && /perf_event_open|perf_event_paranoid|CAP_PERFMON/.test(rec.stderr)) {
    throw new Skip(`perf_event_open refused: ${rec.stderr.trim()}`);
  }
  assert.equal(rec.status, 0, `stackfire record failed: ${rec.stderr}`);
  const page = await openFresh(browser, svg);
  const f = await frameNamed(page, 'leaf_sixty');
  const root = await box(page, 0);
  await clickFrame(page, f.i);
  const b = await box(page, f.i);
  assert.ok(Math.abs(b.w - root.w) < 0.5, `zoomed width ${b.w}, full ${root.w}`);
  assertNoPageErrors(page);
  await page.close();
});

check('click zooms a frame to full width, shows reset; reset restores', async () => {
  const { svg, stacks } = recording();
  const page = await openFresh(browser, svg);
  // leaf_thirty: about 30 % of the samples, with Spin under it.
  const f = await frameNamed(page, 'leaf_thirty');
  assert.equal(await visible(page, 'unzoom'), false, 'reset control shown before any zoom');
  const root = await box(page, 0);
  const before = await box(page, f.i);
  const child = await frameNamed(page, 'Spin', f);
  const childBefore = await box(page, child.i);
  assert.ok(before.w < root.w - 1, 'leaf_thirty must not already be full width');
  const fit = await overflowingLabels(page);
  assert.ok(fit.labels > 5 && fit.bad.length === 0, `labels overflow: ${fit.bad.slice(0, 5)}`);

  await clickFrame(page, f.i);
  const after = await box(page, f.i);
  assert.ok(Math.abs(after.x - root.x) < 0.5 && Math.abs(after.w - root.w) < 0.5,
            `zoomed frame at x=${after.x} w=${after.w}; full width is x=${root.x} w=${root.w}`);
  assert.equal(await visible(page, 'unzoom'), true, 'reset control hidden after zoom');
  // Children scale by the same factor.
  const k = root.w / before.w;
  const childAfter = await box(page, child.i);
  assert.ok(Math.abs(childAfter.w - childBefore.w * k) < 0.5,
            `child width ${childAfter.w}, expected ${childBefore.w * k}`);
  // The zoomed frame is labelled with its name.
  const labels = await page.evaluate(() =>
    Array.from(document.querySelectorAll('#zlabels text')).map((t) => t.textContent));
  assert.ok(labels.includes(f.name), `no ${f.name} label after zoom: ${labels.slice(0, 10)}`);
  const zfit = await overflowingLabels(page);
  assert.ok(zfit.bad.length === 0, `zoomed labels overflow: ${zfit.bad.slice(0, 5)}`);
  // The tooltip (details line) on hover names the frame with its samples,
  // and the frame is outlined.
  await page.mouse.move(after.x + after.w / 2, after.y + after.h / 2);
  const n = folded.samplesUnder(stacks, f.path);
  const details = await text(page, 'details');
  assert.ok(details.includes(`${f.name} (${n.toLocaleString('en-US')} samples`),
            `details: ${details}, expected ${n} samples`);
  assert.deepEqual(await page.evaluate(overlayFrames, 'sfhover'), [f.i], 'hover outline');
  // Its parents are drawn faded while zoomed.
  const faded = await page.evaluate(overlayFrames, 'sfparents');
  const info = await page.evaluate(frameInfo);
  assert.deepEqual(faded.map((i) => info[i].name).reverse(), ['all', ...f.path.slice(0, -1)],
                   'faded parents of the zoomed frame');
  // A frame next to it in the same row, as small as one pixel, is hit exactly:
  // hovering each of Spin's neighbours names that neighbour.
  const row = info.filter((g) => g.depth === child.depth && !g.removed).sort((a, b) => a.x - b.x);
  for (const g of row) {
    const gb = await box(page, g.i);
    if (gb.w < 1 || gb.x + gb.w / 2 < root.x || gb.x + gb.w / 2 > root.x + root.w) continue;
    await page.mouse.move(gb.x + gb.w / 2, gb.y + gb.h / 2);
    const d = await text(page, 'details');
    assert.ok(d.startsWith(`Function: ${g.name} (`), `hovering ${g.name} shows ${d}`);
  }
  await shot(page, 'flame-zoomed.png');

  await page.click('#unzoom');
  const reset = await box(page, f.i);
  assert.ok(Math.abs(reset.x - before.x) < 0.01 && Math.abs(reset.w - before.w) < 0.01,
            `after reset x=${reset.x} w=${reset.w}, before x=${before.x} w=${before.w}`);
  assert.equal(await visible(page, 'unzoom'), false, 'reset control still shown after reset');
  assert.equal(query(page).get('x'), null, 'reset must clear the zoom from the URL');
  assertNoPageErrors(page);
  await page.close();
});

check('Ctrl-F highlights regex matches and shows the right Matched %', async () => {
  const { svg, stacks } = recording();
  const page = await openFresh(browser, svg);
  await shot(page, 'flame.png');
  const term = 'leaf_(sixty|ten)$';
  await searchFor(page, term);
  const re = new RegExp(term);
  assertMatched(await text(page, 'matched'), folded.matchedPercent(stacks, re), term);
  await assertHighlighted(page, stacks, re);
  assert.equal(query(page).get('s'), term, 'the URL keeps the search');
  await shot(page, 'flame-search.png');

  // Zoomed into run_mix, the share is of run_mix's samples.
  const f = await frameNamed(page, 'run_mix');
  await clickFrame(page, f.i);
  assertMatched(await text(page, 'matched'), folded.matchedPercent(stacks, re, f.path),
                `${term} inside run_mix`);

  // Ctrl-F again resets the search.
  await page.keyboard.press('Control+f');
  assert.equal((await text(page, 'matched')).trim(), '', 'Matched still shown after reset');
  assert.equal(await highlightedCount(page), 0);
  assert.equal(query(page).get('s'), null);

  // An invalid regex says so and highlights nothing.
  await searchFor(page, 'leaf_(');
  assert.equal((await text(page, 'matched')).trim(), 'Invalid regex');
  assertNoPageErrors(page);
  await page.close();
});

check('the URL keeps zoom, search and case; a reload restores them', async () => {
  const { svg, stacks } = recording();
  const page = await openFresh(browser, svg);
  const f = await frameNamed(page, 'run_mix');
  await clickFrame(page, f.i);
  await page.keyboard.press('Control+i');  // case-insensitive
  const term = 'LEAF_T';
  await searchFor(page, term);
  const re = new RegExp(term, 'i');
  const expected = folded.matchedPercent(stacks, re, f.path);
  assertMatched(await text(page, 'matched'), expected, `${term} (ignoring case) in run_mix`);
  const q = query(page);
  assert.equal(Number(q.get('x')), f.x);
  assert.equal(Number(q.get('y')), f.y);
  assert.equal(q.get('s'), term);
  assert.equal(q.get('i'), '1');
  const url = page.url();
  const shown = await text(page, 'matched');
  const highlighted = await highlightedCount(page);
  await page.close();

  const again = await openFresh(browser, svg, new URL(url).search);
  const full = await again.evaluate(() => {  // the frames' visible area
    const c = document.querySelector('#clip rect');
    return { x: +c.getAttribute('x'), w: +c.getAttribute('width') };
  });
  const b = await box(again, f.i);
  assert.ok(Math.abs(b.x - full.x) < 0.5 && Math.abs(b.w - full.w) < 0.5,
            `restored zoom: x=${b.x} w=${b.w}`);
  assert.equal(await visible(again, 'unzoom'), true, 'reset control after restoring a zoom');
  assert.equal(await text(again, 'matched'), shown);
  assert.ok(highlighted > 0, 'nothing highlighted');
  assert.equal(await highlightedCount(again), highlighted);
  assert.equal(await again.evaluate(() => document.getElementById('ignorecase').classList.contains('show')),
               true, 'case-insensitive flag restored');
  await shot(again, 'flame-restored.png');
  assertNoPageErrors(again);
  await again.close();
});

check('diff.svg tooltip shows before, after and delta', async () => {
  const { fold, stacks } = recording();
  // AFTER: leaf_thirty an eighth, leaf_ten doubled, leaf_sixty gone. The
  // diff compares shares: leaf_thirty's falls (30 % to about 16 %), leaf_ten's
  // rises.
  const after = [];
  const has = (s, fn) => s.frames.some((f) => isFunction(folded.shownName(f), fn));
  for (const s of stacks) {
    if (has(s, 'leaf_sixty')) continue;
    let w = s.weight;
    if (has(s, 'leaf_thirty')) w = Math.floor(w / 8);
    if (has(s, 'leaf_ten')) w *= 2;
    if (w > 0) after.push({ frames: s.frames, weight: w });
  }
  const afterFile = path.join(tmp, 'after.folded');
  folded.writeFolded(afterFile, after);
  const svg = path.join(tmp, 'diff.svg');
  stackfire(['diff', fold, afterFile, '-o', svg]);
  fs.copyFileSync(svg, path.join(artifacts, 'diff.svg'));
  const page = await openFresh(browser, svg);
  await shot(page, 'diff.png');

  for (const [name, grew] of [['leaf_thirty', false], ['leaf_ten', true]]) {
    const f = await frameNamed(page, name);
    const b = folded.samplesUnder(stacks, f.path);
    const a = folded.samplesUnder(after, f.path);
    const r = await box(page, f.i);
    await page.mouse.move(r.x + r.w / 2, r.y + r.h / 2);
    const details = await text(page, 'details');
    // "before B (P%), after A (Q%), delta +D% of total, p = …": counts, each
    // side's share of its own total, and the change of share (the diff
    // compares shares, so two recordings of different lengths compare).
    const m = /before ([\d,]+) \(([\d.]+)%\), after ([\d,]+) \(([\d.]+)%\), delta ([+-]?[\d.]+)% of total/.exec(details);
    assert.ok(m, `${name}: the tooltip lacks before/after/delta: ${details}`);
    const num = (s) => Number(s.replace(/,/g, ''));
    const total = (list) => list.reduce((sum, s) => sum + s.weight, 0);
    const shareB = 100 * b / total(stacks);
    const shareA = 100 * a / total(after);
    assert.ok(grew ? a >= 2 * b : 2 * a <= b, `${name}: the change is not in AFTER (${b} -> ${a})`);
    assert.equal(num(m[1]), b, `${name} before`);
    assert.equal(num(m[3]), a, `${name} after`);
    assert.ok(Math.abs(Number(m[2]) - shareB) < 0.006, `${name} before share: ${m[2]} vs ${shareB}`);
    assert.ok(Math.abs(Number(m[4]) - shareA) < 0.006, `${name} after share: ${m[4]} vs ${shareA}`);
    assert.ok(Math.abs(Number(m[5]) - (shareA - shareB)) < 0.011, `${name} delta: ${m[5]}`);
    assert.equal(shareA > shareB, grew, `${name}: its share did not move as planned`);
    // The title element (the browser's own tooltip, one shared element in
    // the hover outline, which takes the pointer over the frame) says the same.
    assert.ok(f.title.includes(details.substring(details.indexOf('before'))), `${name} title`);
    const tip = await page.evaluate((i) => {
      const all = document.getElementsByTagName('title');
      const t = all[0];
      const under = document.elementFromPoint(...(() => {
        const b = window.__sf.box(i);
        return [b.x + b.width / 2, b.y + b.height / 2];
      })());
      return { text: t ? t.textContent : null, count: all.length,
               inOutline: !!t && t.parentNode.id === 'sfhover' && under === t.parentNode };
    }, f.i);
    assert.equal(tip.text, f.title, `${name}: hovered frame's <title>`);
    assert.equal(tip.count, 1, 'one shared <title>');
    assert.ok(tip.inOutline, `${name}: the <title> is in the outline under the pointer`);
    assert.deepEqual(await page.evaluate(overlayFrames, 'sfhover'), [f.i], `${name}: outline`);
    // Colour is by a frame's own samples: Spin, the loop below each leaf.
    const spin = await frameNamed(page, 'Spin', f);
    const fill = await page.evaluate((i) => getComputedStyle(window.__sf.element(i)).fill, spin.i);
    const [red, , blue] = fill.match(/\d+/g).map(Number);
    assert.ok(grew ? red > blue : blue > red, `Spin in ${name} ${grew ? 'grew' : 'shrank'} but is ${fill}`);
  }
  // leaf_sixty exists only in BEFORE: still there, marked removed.
  const info = await page.evaluate(frameInfo);
  const gone = info.filter((f) => isFunction(f.name, 'leaf_sixty'));
  assert.ok(gone.length > 0 && gone.every((f) => f.removed), 'removed frame kept and marked');
  // Drawn as a marker that the pointer finds.
  const gb = await box(page, gone[0].i);
  await page.mouse.move(gb.x + 1, gb.y + gb.h / 2);
  assert.ok((await text(page, 'details')).includes('removed'), 'hovering a removed frame');
  assert.ok(gone.some((f) => / after 0\b/.test(f.title) && /removed/.test(f.title)), gone[0] && gone[0].title);
  // The diff graph zooms like the other.
  const f = await frameNamed(page, 'run_mix');
  const root = await box(page, 0);
  await clickFrame(page, f.i);
  const z = await box(page, f.i);
  assert.ok(Math.abs(z.w - root.w) < 0.5, `diff zoom width ${z.w}`);
  assertNoPageErrors(page);
  await page.close();
});

check('a profile of 50,000 distinct stacks loads and is interactive', async () => {
  const gen = path.join(path.dirname(testdata), 'bench', 'gen_folded.py');
  const big = path.join(tmp, 'big.folded');
  const g = run('python3', [gen, '50000']);
  assert.equal(g.status, 0, g.stderr);
  fs.writeFileSync(big, g.stdout);
  let stacks = folded.readFolded(big);
  assert.equal(stacks.length, 50000);
  // The generator's names repeat at every depth, and frames narrower than
  // 0.1 px are not drawn, so a search's share could miss a little. The
  // widest child of main is renamed to a name of its own: its share is exact.
  const under = new Map();
  for (const s of stacks) if (s.frames.length > 1) under.set(s.frames[1], (under.get(s.frames[1]) || 0) + s.weight);
  const widest = [...under.entries()].sort((a, b) => b[1] - a[1])[0][0];
  const marker = 'browser_test::only_here';
  stacks = stacks.map((s) => (s.frames[1] === widest ? { frames: ['main', marker, ...s.frames.slice(2)], weight: s.weight } : s));
  folded.writeFolded(big, stacks);
  const svg = path.join(tmp, 'big.svg');
  stackfire(['render', big, '-o', svg]);
  const page = await openFresh(browser, svg);
  const info = await page.evaluate(frameInfo);
  assert.ok(info.length > 5000, `only ${info.length} frames`);
  const fit = await overflowingLabels(page);
  assert.ok(fit.labels > 10 && fit.bad.length === 0, `${fit.labels} labels; overflowing: ${fit.bad.slice(0, 5)}`);
  const f = info.find((x) => x.name === marker);
  assert.ok(f && f.depth === 2, 'the renamed frame is not drawn under main');
  const root = await box(page, 0);
  await clickFrame(page, f.i);
  const z = await box(page, f.i);
  assert.ok(Math.abs(z.w - root.w) < 0.5, `zoom on the big profile: width ${z.w}`);
  await page.click('#unzoom');
  const term = 'only_here$';
  await searchFor(page, term);
  assertMatched(await text(page, 'matched'), folded.matchedPercent(stacks, new RegExp(term)), term);
  assert.equal(await highlightedCount(page), 1);
  await shot(page, 'big-search.png');
  await assertHoverNamesEachFrame(page);
  assertNoPageErrors(page);
  await page.close();
  // The same as an icicle graph (rows grow downwards): the pointer still
  // finds each frame.
  const icicle = path.join(tmp, 'big-icicle.svg');
  stackfire(['render', '--inverted', big, '-o', icicle]);
  const ipage = await openFresh(browser, icicle);
  await assertHoverNamesEachFrame(ipage);
  assertNoPageErrors(ipage);
  await ipage.close();
});

(async () => {
  let failed = 0, skipped = 0;
  browser = await fp.launch();
  console.log(`# chromium ${browser.version()}; artifacts in ${artifacts}`);
  // BROWSER_TEST_ONLY=2,5 runs only those checks (when working on them).
  const only = (process.env.BROWSER_TEST_ONLY || '').split(',').filter(Boolean).map(Number);
  for (const [n, c] of checks.entries()) {
    if (only.length && !only.includes(n + 1)) { skipped++; continue; }
    try {
      await c.fn();
      console.log(`ok ${n + 1} - ${c.name}`);
    } catch (e) {
      if (e instanceof Skip) {
        skipped++;
        console.log(`ok ${n + 1} - ${c.name} # SKIP ${e.message}`);
      } else {
        failed++;
        console.log(`not ok ${n + 1} - ${c.name}\n${String(e.stack || e).replace(/^/gm, '#   ')}`);
      }
    }
  }
  await browser.close();
  console.log(`1..${checks.length}`);
  console.log(`# ${checks.length - failed - skipped} passed, ${failed} failed, ${skipped} skipped`);
  if (!failed) fs.rmSync(tmp, { recursive: true, force: true });
  process.exit(failed ? 1 : skipped ? fp.kSkip : 0);
})().catch((e) => {
  console.log(`not ok - the browser run broke: ${e.stack || e}`);
  process.exit(1);
});
