// The script embedded in every flame graph (no external resources). Its
// text is render/svg_script.js, which the build turns into this array
// (render/embed_script.py); it holds no "]]>" (it sits in a CDATA section).
//
// Document contract, written by svg_writer.cc:
//   <svg data-xpad data-fs data-fw data-fh data-nametype>  page parameters
//   <metadata id="sfdata"> one JSON object, the frame table: y0, dy (the
//     top y of depth d is y0 + d*dy), fh (frame height), colors, names, and
//     per frame, in pre-order, the columns depth, x and w (in counts), name
//     (index into names), color (index into colors), tip (tooltip text after
//     the name, lines split by LF), and removed (indices of the frames
//     `stackfire diff` kept from BEFORE only)
//   <g id="frames"><g id="zoom" transform="matrix(k 0 0 1 xpad 0)">
//     one <path fill=COLOUR> per colour, a rectangle subpath per frame of
//     that colour, in counts; removed frames in one <path class="rm">
//   <g id="labels"> <text> labels in pixels, pre-truncated for scripts-off
//   controls: #details #unzoom #search #ignorecase #matched
// The frame under the pointer is found from the event's coordinates (row,
// then binary search by x). Zoom sets the one transform and rebuilds only the
// labels that fit (their number is bounded by the picture's size, not the
// profile's); search tests each distinct name once and draws the matches as
// one overlay path (#sfmatch), the zoomed frame's parents fade under
// #sfparents, and #sfhover outlines the hovered frame and holds the one
// shared <title> (it takes the pointer over that frame). Labels are fitted with
// the fixed width estimate fontsize*fontwidth, never measured. State lives in
// the URL: ?x=&y= (the zoomed frame's x in counts and top y), ?s= (search
// regex), ?i=1 (ignore case).
#ifndef STACKFIRE_RENDER_SVG_SCRIPT_H_
#define STACKFIRE_RENDER_SVG_SCRIPT_H_

namespace stackfire::render {

extern const char kFlameGraphScript[];

}  // namespace stackfire::render

#endif  // STACKFIRE_RENDER_SVG_SCRIPT_H_
