// Appended to a copy of a flame-graph SVG by bench/svg_interaction.sh and
// tests/render/browser_test.cc. On load it hovers and clicks a frame (zoom),
// resets, and searches (Ctrl-F, answering the prompt with the frame's name),
// timing each step with performance.now() (forcing style and layout with
// getBoundingClientRect so the browser's work is counted, not only the
// script's), and writes the results as JSON into <text id="harness">.
window.addEventListener("load", function() {
  setTimeout(function() {
    var out = {};
    var stackfire = !!document.getElementById("zoom");
    var frames = stackfire ? document.getElementById("zoom").children
                           : document.querySelectorAll("#frames > g");
    out.frames = frames.length;
    function rectOf(i) { return stackfire ? frames[i] : frames[i].querySelector("rect"); }
    function click(el) { el.dispatchEvent(new MouseEvent("click", {bubbles: true, cancelable: true})); }
    function settle() { document.documentElement.getBoundingClientRect(); document.body; }
    // The frame to zoom: the widest one at the second level below the root.
    var rootY = +rectOf(0).getAttribute("y"), best = -1, bestW = -1;
    for (var i = 0; i < frames.length; i++) {
      var r = rectOf(i);
      if (r.getAttribute("y") == "" + (rootY - 32) || r.getAttribute("y") == "" + (rootY + 32)) {
        var w = r.getBoundingClientRect().width;
        if (w > bestW && w < 1000) { bestW = w; best = i; }
      }
    }
    var target = rectOf(best);
    var title = stackfire ? target.firstChild.textContent
                          : target.parentNode.querySelector("title").textContent;
    out.target = title.split("\n")[0];
    out.target_width = target.getBoundingClientRect().width;
    target.dispatchEvent(new MouseEvent("mouseover", {bubbles: true}));
    out.details = document.getElementById("details").textContent;
    var t0 = performance.now();
    click(target);
    settle();
    out.zoom_ms = performance.now() - t0;
    out.zoomed_width = target.getBoundingClientRect().width;
    out.url_after_zoom = window.location.search;
    t0 = performance.now();
    click(document.getElementById("unzoom"));
    settle();
    out.reset_ms = performance.now() - t0;
    out.width_after_reset = target.getBoundingClientRect().width;
    var name = out.target.substring(0, out.target.lastIndexOf(" ("));
    // Unanchored, so that flamegraph.pl's search (over whole titles) finds it too.
    var term = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    out.term = term;
    window.prompt = function() { return term; };
    t0 = performance.now();
    window.dispatchEvent(new KeyboardEvent("keydown", {keyCode: 70, ctrlKey: true, bubbles: true}));
    settle();
    out.search_ms = performance.now() - t0;
    out.matched = document.getElementById("matched").textContent;
    out.url_after_search = window.location.search;
    var t = document.createElementNS("http://www.w3.org/2000/svg", "text");
    t.setAttribute("id", "harness");
    t.textContent = JSON.stringify(out);
    document.documentElement.appendChild(t);
  }, 0);
});
