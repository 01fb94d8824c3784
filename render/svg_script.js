// The script of every flame graph stackfire draws, embedded at build time:
// render/embed_script.py turns this file into the kFlameGraphScript string of
// render/svg_script.h (which states the document contract it relies on), and
// render/svg_writer.cc writes it into each SVG's <script> CDATA section.
// These leading comment lines are not embedded; everything after them is,
// byte for byte. Keep the text free of "]]>" (the build fails on it).

"use strict";
var NS = "http://www.w3.org/2000/svg";
var svg, zoomG, labelsG, details, unzoomBtn, searchBtn, icBtn, matchedTxt;
var xpad, fs, fw, nametype, fullW, baseT;
var N = 0, X, W, D, NI, TIP, NAMES, RM, Y0, DY, FH, rows, removedRows;
var matched = null, zlabelsG = null, tip = null, parentsEl, matchEl, hoverEl;
var zoomed = -1, hovered = -1, term = null, ignorecase = false;
function init(evt) {
  svg = document.documentElement;
  zoomG = document.getElementById("zoom");
  labelsG = document.getElementById("labels");
  details = document.getElementById("details").firstChild;
  unzoomBtn = document.getElementById("unzoom");
  searchBtn = document.getElementById("search");
  icBtn = document.getElementById("ignorecase");
  matchedTxt = document.getElementById("matched");
  xpad = +svg.getAttribute("data-xpad"); fs = +svg.getAttribute("data-fs");
  fw = +svg.getAttribute("data-fw");
  nametype = svg.getAttribute("data-nametype") || "";
  fullW = +svg.getAttribute("width") - 2 * xpad;
  baseT = zoomG.getAttribute("transform");
  // Overlays over the frames' paths: faded parents of a zoom, search
  // matches, the hovered frame's outline; and one tooltip for all frames.
  parentsEl = overlay("sfparents"); matchEl = overlay("sfmatch"); hoverEl = overlay("sfhover");
  tip = document.createElementNS(NS, "title");
  var p = getParams();
  if (p.i == "1") setIgnorecase(true);
  if (p.x && p.y) {
    load();
    var px = +p.x, py = +p.y;
    for (var i = 1; i < N; i++) {
      if (X[i] == px && yOf(i) == py && !RM[i]) { zoom(i); break; }
    }
  }
  if (p.s) search(p.s);
  // Read the frame table once the picture is up, not on the first click.
  setTimeout(load, 0);
}
function overlay(id) {
  var el = document.createElementNS(NS, "path");
  el.setAttribute("id", id);
  zoomG.appendChild(el);
  return el;
}
function load() {
  if (N) return;
  var t = JSON.parse(document.getElementById("sfdata").textContent);
  X = t.x; W = t.w; D = t.depth; NI = t.name; TIP = t.tip; NAMES = t.names;
  Y0 = t.y0; DY = t.dy; FH = t.fh;
  RM = new Uint8Array(X.length);
  for (var r = 0; r < t.removed.length; r++) RM[t.removed[r]] = 1;
  // Frames by depth, left to right, for finding the one under the pointer.
  rows = []; removedRows = [];
  for (var i = 0; i < X.length; i++) {
    var list = RM[i] ? removedRows : rows;
    (list[D[i]] || (list[D[i]] = [])).push(i);
  }
  for (var d = 0; d < rows.length; d++) if (rows[d]) rows[d].sort(function(a, b) { return X[a] - X[b]; });
  N = X.length;
}
function yOf(i) { return Y0 + D[i] * DY; }
function nameOf(i) { return NAMES[NI[i]]; }
function titleOf(i) { return NAMES[NI[i]] + TIP[i]; }
function rectOf(i) {
  return "M" + X[i] + " " + yOf(i) + "h" + W[i] + "v" + FH + "h" + (-W[i]) + "z";
}
// The frame under a mouse event, from its coordinates: -1 if none.
function frameAt(e) {
  load();
  var m = zoomG.getScreenCTM();
  if (!N || !m) return -1;
  var pt = svg.createSVGPoint();
  pt.x = e.clientX; pt.y = e.clientY;
  pt = pt.matrixTransform(m.inverse());
  var d = Math.round((pt.y - Y0 - FH / 2) / DY);
  if (d < 0 || pt.y < Y0 + d * DY || pt.y > Y0 + d * DY + FH) return -1;
  // A removed frame (diff) is a zero-width mark with a 4 px stroke.
  var rr = removedRows[d], best = -1, dist = 3 / m.a;
  for (var r = 0; rr && r < rr.length; r++) {
    var dx = Math.abs(X[rr[r]] - pt.x);
    if (dx <= dist) { dist = dx; best = rr[r]; }
  }
  if (best >= 0) return best;
  var row = rows[d];
  if (!row) return -1;
  var lo = 0, hi = row.length - 1, at = -1;
  while (lo <= hi) {
    var mid = (lo + hi) >> 1;
    if (X[row[mid]] <= pt.x) { at = mid; lo = mid + 1; } else hi = mid - 1;
  }
  return at >= 0 && pt.x <= X[row[at]] + W[row[at]] ? row[at] : -1;
}
function onFrame(e) { return e.target && e.target.parentNode === zoomG; }
function getParams() {
  var params = {}, parts = window.location.search.substr(1).split("&");
  for (var i = 0; i < parts.length; i++) {
    var eq = parts[i].indexOf("=");
    if (eq <= 0) continue;
    try { params[parts[i].substring(0, eq)] = decodeURIComponent(parts[i].substring(eq + 1)); } catch (e) {}
  }
  return params;
}
function setParams(change) {
  var params = getParams(), uri = "", k;
  for (k in change) { if (change[k] === null) delete params[k]; else params[k] = change[k]; }
  for (k in params) uri += (uri ? "&" : "?") + k + "=" + encodeURIComponent(params[k]);
  try { history.replaceState(null, null, uri || window.location.pathname); } catch (e) {}
}
function addLabel(frag, i, x, w) {
  var chars = Math.floor(w / (fs * fw));
  if (chars < 3) return;
  var name = nameOf(i), txt = name.length <= chars ? name : name.substring(0, chars - 2) + "..";
  var t = document.createElementNS(NS, "text");
  t.setAttribute("x", (x + 3).toFixed(2));
  t.setAttribute("y", yOf(i) + FH / 2 + 3);
  t.textContent = txt;
  frag.appendChild(t);
}
function relabel(parents) {
  // The static labels stay in the document (hidden while zoomed), so a reset
  // costs no text layout; zoomed labels go to a second group.
  if (zlabelsG === null) {
    zlabelsG = document.createElementNS(NS, "g");
    zlabelsG.setAttribute("id", "zlabels");
    labelsG.parentNode.insertBefore(zlabelsG, labelsG.nextSibling);
  }
  zlabelsG.textContent = "";
  if (zoomed < 0) { labelsG.removeAttribute("visibility"); return; }
  labelsG.setAttribute("visibility", "hidden");
  var frag = document.createDocumentFragment(), z = zoomed, k = fullW / W[z], x0 = X[z];
  for (var a = 0; a < parents.length; a++) addLabel(frag, parents[a], xpad, fullW);
  addLabel(frag, z, xpad, fullW);
  var minw = 3 * fs * fw / k;
  for (var j = z + 1; j < N && D[j] > D[z]; j++) {
    if (W[j] >= minw && !RM[j]) addLabel(frag, j, xpad + (X[j] - x0) * k, W[j] * k);
  }
  zlabelsG.appendChild(frag);
}
function zoom(i) {
  load();
  if (i <= 0 || i >= N || !(W[i] > 0) || RM[i]) { if (i == 0) clearzoom(); return; }
  var k = fullW / W[i];
  zoomG.setAttribute("transform", "matrix(" + k + " 0 0 1 " + (xpad - X[i] * k) + " 0)");
  var parents = [], d = "";
  for (var j = i - 1, depth = D[i]; j >= 0 && depth > 0; j--) {
    if (D[j] < depth && !RM[j]) { parents.push(j); d += rectOf(j); depth = D[j]; }
  }
  parentsEl.setAttribute("d", d);
  zoomed = i;
  unzoomBtn.classList.remove("hide");
  relabel(parents);
  setParams({x: String(X[i]), y: String(yOf(i))});
  if (term !== null) updateMatched();
}
function clearzoom() {
  if (zoomed < 0) return;
  zoomG.setAttribute("transform", baseT);
  parentsEl.setAttribute("d", "");
  zoomed = -1;
  unzoomBtn.classList.add("hide");
  relabel([]);
  setParams({x: null, y: null});
  if (term !== null) updateMatched();
}
function setIgnorecase(on) {
  ignorecase = on;
  if (on) icBtn.classList.add("show"); else icBtn.classList.remove("show");
}
function toggleIgnorecase() {
  setIgnorecase(!ignorecase);
  setParams({i: ignorecase ? "1" : null});
  if (term !== null) search(term);
}
function search(t) {
  load();
  var re;
  try { re = new RegExp(t, ignorecase ? "i" : ""); } catch (e) {
    matchedTxt.classList.remove("hide");
    matchedTxt.firstChild.nodeValue = "Invalid regex";
    return;
  }
  term = t;
  // Each distinct name is tested once.
  var hit = new Uint8Array(NAMES.length), parts = [];
  for (var n = 0; n < NAMES.length; n++) hit[n] = re.test(NAMES[n]) ? 1 : 0;
  matched = new Uint8Array(N);
  for (var i = 0; i < N; i++) {
    if (hit[NI[i]]) { matched[i] = 1; if (!RM[i]) parts.push(rectOf(i)); }
  }
  matchEl.setAttribute("d", parts.join(""));
  searchBtn.classList.add("show");
  searchBtn.firstChild.nodeValue = "Reset Search";
  setParams({s: t});
  updateMatched();
}
function updateMatched() {
  var lo = 0, hi = W[0];
  if (zoomed >= 0) { lo = X[zoomed]; hi = lo + W[zoomed]; }
  var count = 0, end = -Infinity;
  for (var i = 0; i < N; i++) {
    if (!matched[i]) continue;
    var s = Math.max(X[i], lo, end), f = Math.min(X[i] + W[i], hi);
    if (f > s) { count += f - s; end = f; }
  }
  var pct = hi > lo ? 100 * count / (hi - lo) : 0;
  matchedTxt.classList.remove("hide");
  matchedTxt.firstChild.nodeValue = "Matched: " + (pct >= 99.99995 ? "100" : pct.toFixed(1)) + "%";
}
function resetSearch() {
  matched = null;
  matchEl.setAttribute("d", "");
  term = null;
  searchBtn.classList.remove("show");
  searchBtn.firstChild.nodeValue = "Search";
  matchedTxt.classList.add("hide");
  matchedTxt.firstChild.nodeValue = " ";
  setParams({s: null});
}
function searchPrompt() {
  if (term !== null) { resetSearch(); return; }
  var t = prompt("Enter a search term (regexp allowed, eg: ^ext4_)" +
      (ignorecase ? ", ignoring case" : "") + "\nPress Ctrl-i to toggle case sensitivity", "");
  if (t) search(t);
}
function hover(i) {
  if (i === hovered) return;
  hovered = i;
  if (i < 0) {
    details.nodeValue = " ";
    hoverEl.setAttribute("d", "");
    if (tip.parentNode) tip.parentNode.removeChild(tip);
    return;
  }
  // The outline takes the pointer over the frame and holds the tooltip, so
  // that no frame path changes (a changed path repaints the whole graph).
  var t = titleOf(i);
  details.nodeValue = nametype + " " + t.replace(/\n/g, "; ");
  tip.textContent = t;
  if (tip.parentNode !== hoverEl) hoverEl.appendChild(tip);
  hoverEl.setAttribute("d", rectOf(i));
}
window.addEventListener("click", function(e) {
  if (onFrame(e)) { var i = frameAt(e); if (i >= 0) zoom(i); return; }
  var id = e.target.id;
  if (id == "unzoom") clearzoom();
  else if (id == "search") searchPrompt();
  else if (id == "ignorecase") toggleIgnorecase();
}, false);
window.addEventListener("mousemove", function(e) { hover(onFrame(e) ? frameAt(e) : -1); }, false);
window.addEventListener("mouseout", function(e) { if (!e.relatedTarget) hover(-1); }, false);
window.addEventListener("keydown", function(e) {
  if (e.keyCode === 114 || (e.ctrlKey && e.keyCode === 70)) { e.preventDefault(); searchPrompt(); }
  else if (e.ctrlKey && e.keyCode === 73) { e.preventDefault(); toggleIgnorecase(); }
  else if (e.keyCode === 27) { if (term !== null) resetSearch(); else clearzoom(); }
}, false);
