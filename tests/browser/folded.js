// Folded stacks ("a;b;c 12"), read independently of stackfire, and what a
// flame graph of them must show: which frames exist (one per distinct path
// prefix), the samples under a path, and the share of samples that a search
// matches. The browser test compares the SVG's behaviour with these.
'use strict';

const fs = require('fs');

// [{frames: [...], weight}], in file order; blank lines are skipped.
function readFolded(file) {
  const out = [];
  for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const sp = line.lastIndexOf(' ');
    const weight = Number(line.substring(sp + 1));
    if (sp <= 0 || !Number.isFinite(weight)) throw new Error(`${file}: bad folded line: ${line}`);
    out.push({ frames: line.substring(0, sp).split(';'), weight });
  }
  return out;
}

function writeFolded(file, stacks) {
  fs.writeFileSync(file, stacks.map((s) => `${s.frames.join(';')} ${s.weight}\n`).join(''));
}

// The name a flame graph shows: flamegraph.pl's annotations (_[k] kernel,
// _[j] JIT, _[i] inlined, _[w] waker) become colours, not text.
function shownName(frame) {
  return /_\[[kwij]\]$/.test(frame) ? frame.slice(0, -4) : frame;
}

function total(stacks) {
  return stacks.reduce((t, s) => t + s.weight, 0);
}

function hasPrefix(frames, path) {
  if (frames.length < path.length) return false;
  for (let i = 0; i < path.length; i++) if (shownName(frames[i]) !== path[i]) return false;
  return true;
}

// Samples of the stacks that pass through `path` (shown names, root first).
function samplesUnder(stacks, path) {
  return stacks.reduce((t, s) => t + (hasPrefix(s.frames, path) ? s.weight : 0), 0);
}

// The percentage that "Matched: N%" must show for `re`: the share of samples
// (under `path`, when zoomed) whose stack has a frame that matches.
function matchedPercent(stacks, re, path) {
  path = path || [];
  let all = 0, hit = 0;
  for (const s of stacks) {
    if (!hasPrefix(s.frames, path)) continue;
    all += s.weight;
    if (s.frames.some((f) => re.test(shownName(f)))) hit += s.weight;
  }
  return all ? 100 * hit / all : 0;
}

// The frames a search must highlight: distinct path prefixes that end in a
// matching name (as strings "a;b;c").
function matchingFrames(stacks, re) {
  const seen = new Set();
  for (const s of stacks) {
    const names = s.frames.map(shownName);
    for (let i = 0; i < names.length; i++) {
      if (re.test(names[i])) seen.add(names.slice(0, i + 1).join(';'));
    }
  }
  return seen;
}

module.exports = { readFolded, writeFolded, shownName, total, samplesUnder, matchedPercent,
                   matchingFrames };
