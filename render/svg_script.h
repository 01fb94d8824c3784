// The script embedded in every flame graph (no external resources).
//
// Document contract, written by svg_writer.cc:
//   <svg data-xpad data-fs data-fw data-fh data-nametype>  page parameters
//   <g id="frames"><g id="zoom" transform="matrix(k 0 0 1 xpad 0)">
//     one empty <rect x=START y=TOP width=COUNT ... data-t="NAME (…)"/>
//     per frame, in pre-order; x and width are in counts; data-t is the
//     tooltip text (lines split by LF), shown on hover in one shared <title>
//   <g id="labels"> <text> labels in pixels, pre-truncated for scripts-off
//   controls: #details #unzoom #search #ignorecase #matched
// Zoom sets the one transform and rebuilds only the labels that fit (their
// number is bounded by the picture's size, not the profile's); search
// toggles a class on frames whose match state changes. Labels are fitted
// with the fixed width estimate fontsize*fontwidth, never measured. State
// lives in the URL: ?x=&y= (the zoomed frame's x and y attributes), ?s=
// (search regex), ?i=1 (ignore case).
#ifndef STACKFIRE_RENDER_SVG_SCRIPT_H_
#define STACKFIRE_RENDER_SVG_SCRIPT_H_

namespace stackfire::render {

extern const char kFlameGraphScript[];

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_SVG_SCRIPT_H_
