// Test helper: reads the frames of a flame-graph SVG leniently (string
// scanning, no XML parser: one reference file is not well-formed), from
// flamegraph.pl's layout (<g><title>T</title><rect x y width height>) or
// stackfire's: the JSON frame table in <metadata id="sfdata"> (see
// render/svg_script.h), in count units mapped by the #zoom group's
// transform. The stackfire reader also checks that the paths under #zoom
// draw exactly the table's frames, each in its colour; a document that
// fails that (or any other check) comes back with no frames and `error` set.
#ifndef STACKFIRE_TESTS_RENDER_SVG_FRAMES_H_
#define STACKFIRE_TESTS_RENDER_SVG_FRAMES_H_

#include <string>
#include <vector>

namespace stackfire::testing {

struct SvgFrame {
  std::string title;  // unescaped
  std::string name;   // title up to the last " (" of its first line
  double samples = 0; // from "(N countname"
  double x = 0, y = 0, width = 0, height = 0;  // pixels
  int depth = 0;
  bool removed = false;
  std::string fill;
};

struct SvgDoc {
  std::vector<SvgFrame> frames;
  std::vector<std::string> labels;  // text of the frame labels
  double image_height = 0;
  std::string error;  // why a stackfire document could not be read
};

std::string Unescape(const std::string& s);
SvgDoc ParseReferenceSvg(const std::string& svg);
SvgDoc ParseStackfireSvg(const std::string& svg);
std::string ReadFile(const std::string& path);

}  // namespace stackfire::testing

#endif  // STACKFIRE_TESTS_RENDER_SVG_FRAMES_H_
