// The pprof reader's fuzz target (export/pprof_reader.h), and through it the
// significance code: whatever the bytes, reading returns a profile or an
// error; a profile read has only well-formed stacks (no newline, no empty
// frame list) with positive, finite counts, and compared with itself in
// `stackfire diff` it shows no change (every p-value 1) and draws a
// well-formed SVG.
#include <cmath>
#include <sstream>
#include <string>
#include <string_view>

#include "export/pprof_reader.h"
#include "fuzz/fuzz_check.h"
#include "fuzz/targets.h"
#include "render/diff_report.h"
#include "render/significance.h"
#include "render/significant_diff.h"

namespace stackfire::fuzz {

void FuzzPprof(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  exporter::PprofReadOptions options;
  options.max_bytes = 1 << 20;
  absl::StatusOr<exporter::PprofStacks> p = exporter::ReadPprof(bytes, "fuzz", options);
  if (!p.ok()) {
    FUZZ_CHECK(!p.status().message().empty(), "an error without a message");
    return;
  }
  double total = 0;
  for (const collapse::FoldedRecord& r : p->folded.records) {
    FUZZ_CHECK(!r.stack.empty(), "an empty stack");
    FUZZ_CHECK(r.stack.find('\n') == std::string_view::npos, std::string(r.stack));
    FUZZ_CHECK(r.count > 0 && std::isfinite(r.count), std::to_string(r.count));
    total += r.count;
  }
  FUZZ_CHECK(!p->types.empty(), "a profile without sample types");
  if (p->folded.records.empty() || !(total < 1e15)) return;
  absl::StatusOr<render::DiffRuns> runs =
      render::DiffRuns::Make({&p->folded}, {&p->folded}, {}, {});
  FUZZ_CHECK(runs.ok(), std::string(runs.status().message()));
  for (const render::FunctionChange& f : render::TestFunctions(*runs, {})) {
    FUZZ_CHECK(!f.change.self.significant() && !f.change.total.significant(),
               "a change between a profile and itself: " + f.name);
  }
  render::RenderOptions o;
  o.minwidth = "0";
  std::ostringstream out;
  if (render::WriteSignificantDiffFlameGraph(*runs, o, {}, out).ok()) {
    std::string problem = CheckSvg(out.str());
    FUZZ_CHECK(problem.empty(), problem);
  }
}

}  // namespace stackfire::fuzz
