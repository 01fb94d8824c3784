#include "render/svg_script.h"

namespace stackfire::render {

// Keep this free of "]]>" (it sits in a CDATA section).
const char kFlameGraphScript[] = R"JS(
"use strict";
var NS = "http://www.w3.org/2000/svg";
var svg, zoomG, frames, labelsG, details, unzoomBtn, searchBtn, icBtn, matchedTxt;
var xpad, fs, fw, fh, nametype, fullW, baseT;
var N = 0, X, W, Y, D, names = null, matched = null, zlabelsG = null;
var tip = null, zoomed = -1, parents = [], term = null, ignorecase = false;
function init(evt) {
  svg = document.documentElement;
  zoomG = document.getElementById("zoom");
  frames = zoomG.children;
  labelsG = document.getElementById("labels");
  details = document.getElementById("details").firstChild;
  unzoomBtn = document.getElementById("unzoom");
  searchBtn = document.getElementById("search");
  icBtn = document.getElementById("ignorecase");
  matchedTxt = document.getElementById("matched");
  xpad = +svg.getAttribute("data-xpad"); fs = +svg.getAttribute("data-fs");
  fw = +svg.getAttribute("data-fw"); fh = +svg.getAttribute("data-fh");
  nametype = svg.getAttribute("data-nametype") || "";
  fullW = +svg.getAttribute("width") - 2 * xpad;
  baseT = zoomG.getAttribute("transform");
  // One tooltip for all frames, moved into the frame under the mouse.
  tip = document.createElementNS(NS, "title");
  var p = getParams();
  if (p.i == "1") setIgnorecase(true);
  if (p.x && p.y) {
    for (var i = 0; i < frames.length; i++) {
      var r = frames[i];
      if (r.getAttribute("x") == p.x && r.getAttribute("y") == p.y) { zoom(i); break; }
    }
  }
  if (p.s) search(p.s);
  // Read the frame geometry once the picture is up, not on the first click.
  setTimeout(load, 0);
}
function load() {
  if (N) return;
  N = frames.length;
  X = new Float64Array(N); W = new Float64Array(N); Y = new Float64Array(N); D = new Int32Array(N);
  for (var i = 0; i < N; i++) {
    var r = frames[i];
    X[i] = +r.getAttribute("x"); W[i] = +r.getAttribute("width"); Y[i] = +r.getAttribute("y");
    D[i] = Math.round(Math.abs(Y[i] - Y[0]) / fh);
  }
  // Names next, in the background too, so the first search is as quick as the others.
  setTimeout(function() { for (var k = 0; k < N; k++) nameOf(k); }, 0);
}
function titleOf(i) { return frames[i].getAttribute("data-t"); }
function nameOf(i) {
  if (names === null) names = new Array(N);
  var n = names[i];
  if (n === undefined) {
    var t = titleOf(i), nl = t.indexOf("\n");
    if (nl >= 0) t = t.substring(0, nl);
    var p = t.lastIndexOf(" (");
    n = names[i] = p >= 0 ? t.substring(0, p) : t;
  }
  return n;
}
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
function frameIndex(el) {
  if (!el || el.parentNode !== zoomG) return -1;
  return Array.prototype.indexOf.call(frames, el);
}
function frameOf(target) { return frameIndex(target); }
function addLabel(frag, i, x, w) {
  var chars = Math.floor(w / (fs * fw));
  if (chars < 3) return;
  var name = nameOf(i), txt = name.length <= chars ? name : name.substring(0, chars - 2) + "..";
  var t = document.createElementNS(NS, "text");
  t.setAttribute("x", (x + 3).toFixed(2));
  t.setAttribute("y", Y[i] + (fh - 1) / 2 + 3);
  t.textContent = txt;
  frag.appendChild(t);
}
function relabel() {
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
    if (W[j] >= minw) addLabel(frag, j, xpad + (X[j] - x0) * k, W[j] * k);
  }
  zlabelsG.appendChild(frag);
}
function zoom(i) {
  load();
  if (i <= 0 || W[i] <= 0 || frames[i].classList.contains("rm")) { if (i == 0) clearzoom(); return; }
  var k = fullW / W[i];
  zoomG.setAttribute("transform", "matrix(" + k + " 0 0 1 " + (xpad - X[i] * k) + " 0)");
  for (var a = 0; a < parents.length; a++) frames[parents[a]].classList.remove("p");
  parents = [];
  for (var j = i - 1, d = D[i]; j >= 0 && d > 0; j--) {
    if (D[j] < d) { parents.push(j); frames[j].classList.add("p"); d = D[j]; }
  }
  zoomed = i;
  unzoomBtn.classList.remove("hide");
  relabel();
  setParams({x: frames[i].getAttribute("x"), y: frames[i].getAttribute("y")});
  if (term !== null) updateMatched();
}
function clearzoom() {
  if (zoomed < 0) return;
  zoomG.setAttribute("transform", baseT);
  for (var a = 0; a < parents.length; a++) frames[parents[a]].classList.remove("p");
  parents = [];
  zoomed = -1;
  unzoomBtn.classList.add("hide");
  relabel();
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
  if (!matched) matched = new Uint8Array(N);
  for (var i = 0; i < N; i++) {
    var m = re.test(nameOf(i)) ? 1 : 0;
    if (m != matched[i]) { matched[i] = m; if (m) frames[i].classList.add("m"); else frames[i].classList.remove("m"); }
  }
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
  if (matched) {
    for (var i = 0; i < N; i++) if (matched[i]) { matched[i] = 0; frames[i].classList.remove("m"); }
  }
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
window.addEventListener("click", function(e) {
  var i = frameOf(e.target);
  if (i >= 0) { zoom(i); return; }
  var id = e.target.id;
  if (id == "unzoom") clearzoom();
  else if (id == "search") searchPrompt();
  else if (id == "ignorecase") toggleIgnorecase();
}, false);
window.addEventListener("mouseover", function(e) {
  var i = frameOf(e.target);
  if (i < 0) return;
  var t = titleOf(i);
  details.nodeValue = nametype + " " + t.replace(/\n/g, "; ");
  tip.textContent = t;
  frames[i].appendChild(tip);
}, false);
window.addEventListener("mouseout", function(e) {
  if (frameOf(e.target) >= 0) details.nodeValue = " ";
}, false);
window.addEventListener("keydown", function(e) {
  if (e.keyCode === 114 || (e.ctrlKey && e.keyCode === 70)) { e.preventDefault(); searchPrompt(); }
  else if (e.ctrlKey && e.keyCode === 73) { e.preventDefault(); toggleIgnorecase(); }
  else if (e.keyCode === 27) { if (term !== null) resetSearch(); else clearzoom(); }
}, false);
)JS";

}  // namespace stackfire::render
