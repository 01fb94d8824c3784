// The fuzz target bodies (see targets.h).
#include "fuzz/targets.h"

#include <cstdio>
#include <cstdlib>
#include <sstream>
#include <string>
#include <string_view>

#include "collapse/folded.h"
#include "collapse/perf_script.h"
#include "fuzz/fuzz_check.h"
#include "render/diff.h"
#include "render/diff_report.h"
#include "render/significance.h"
#include "render/significant_diff.h"
#include "render/flamegraph.h"
#include "src/io/input_format.h"

namespace stackfire::fuzz {
namespace {

std::string_view AsText(const uint8_t* data, size_t size) { return FuzzText(data, size); }

// The first byte picks options, the rest is the input.
uint8_t TakeFlags(const uint8_t** data, size_t* size) {
  if (*size == 0) return 0;
  uint8_t f = (*data)[0];
  ++*data;
  --*size;
  return f;
}

void CheckRendered(const std::ostringstream& out) {
  std::string problem = CheckSvg(out.str());
  FUZZ_CHECK(problem.empty(), problem);
}

}  // namespace

void FuzzPerfScript(const uint8_t* data, size_t size) {
  uint8_t flags = TakeFlags(&data, &size);
  collapse::PerfScriptOptions o;
  o.include_pid = flags & 1;
  o.include_tid = flags & 2;
  o.annotate_kernel = flags & 4;
  o.annotate_jit = flags & 8;
  o.include_addrs = flags & 16;
  o.max_line_bytes = 256;  // exercise the long-line path with small inputs
  std::string_view text = AsText(data, size);
  // Fed in two pieces split at a data-dependent point: a split line must
  // collapse the same way as a whole one.
  size_t cut = size == 0 ? 0 : (flags * 7919u) % (size + 1);
  collapse::PerfScriptCollapser c(o);
  c.Feed(text.substr(0, cut));
  c.Feed(text.substr(cut));
  c.Finish();
  collapse::PerfScriptStats whole_stats;
  Profile whole = collapse::CollapsePerfScript(text, o, &whole_stats);
  FUZZ_CHECK(whole.size() == c.profile().size(), "split feed changed the stack count");
  FUZZ_CHECK(whole_stats.samples == c.stats().samples, "split feed changed the sample count");
  std::ostringstream a, b;
  WriteFolded(whole, a);
  WriteFolded(c.profile(), b);
  FUZZ_CHECK(a.str() == b.str(), "split feed changed the folded output");
}

void FuzzFolded(const uint8_t* data, size_t size) {
  uint8_t flags = TakeFlags(&data, &size);
  bool two = flags & 1;
  std::string text(AsText(data, size));
  collapse::FoldedInput from_text;
  collapse::ParseFoldedText(text, "fuzz", &from_text, two);
  std::istringstream in(text);
  collapse::FoldedInput from_stream;
  FUZZ_CHECK(collapse::ReadFolded(in, "fuzz", &from_stream, two).ok(),
             "ReadFolded failed on a string");
  FUZZ_CHECK(from_text.records.size() == from_stream.records.size(), "record counts differ");
  FUZZ_CHECK(from_text.bad_lines == from_stream.bad_lines, "bad line counts differ");
  // Three pieces cut at data-dependent points, as a pipe or gzip delivers
  // them: a line cut anywhere parses as a whole one.
  collapse::FoldedInput from_pieces;
  {
    collapse::FoldedStreamParser parser("fuzz", &from_pieces, two);
    std::string_view rest = text;
    size_t cut = text.empty() ? 0 : (flags * 7919u) % (text.size() + 1);
    parser.Feed(rest.substr(0, cut));
    rest.remove_prefix(cut);
    cut = rest.empty() ? 0 : (flags * 104729u) % (rest.size() + 1);
    parser.Feed(rest.substr(0, cut));
    parser.Feed(rest.substr(cut));
    parser.Finish();
  }
  FUZZ_CHECK(from_pieces.records.size() == from_text.records.size(),
             "pieces: record counts differ");
  FUZZ_CHECK(from_pieces.bad_lines == from_text.bad_lines, "pieces: bad line counts differ");
  for (size_t i = 0; i < from_text.records.size(); ++i) {
    FUZZ_CHECK(from_pieces.records[i].stack == from_text.records[i].stack &&
                   from_pieces.records[i].count == from_text.records[i].count,
               "pieces: a record differs");
  }
  // The format sniff sees any input without crashing; a NUL byte in its
  // head always makes the input binary.
  const io::InputFormat format = io::SniffInputFormat(std::string_view(text).substr(0, 4096));
  if (std::string_view(text).substr(0, 4096).find('\0') != std::string_view::npos) {
    FUZZ_CHECK(io::IsBinary(format), "a NUL byte in the head is binary");
  }
  Profile p = collapse::ToProfile(from_stream);
  std::ostringstream folded;
  WriteFolded(p, folded);
  // What we print parses back to the same profile.
  collapse::FoldedInput again;
  std::string printed = folded.str();
  collapse::ParseFoldedText(printed, "again", &again, false);
  FUZZ_CHECK(again.bad_lines == 0, "WriteFolded printed a bad line: " + again.first_bad_text);
}

void FuzzRenderSvg(const uint8_t* data, size_t size) {
  uint8_t flags = TakeFlags(&data, &size);
  collapse::FoldedInput input;
  std::string text(AsText(data, size));
  collapse::ParseFoldedText(text, "fuzz", &input);
  render::RenderOptions o;
  o.inverted = flags & 1;
  o.flamechart = flags & 2;
  o.reverse = flags & 4;
  o.hash = flags & 8;
  o.negate = flags & 16;
  static const char* kColors[] = {"hot", "java", "js", "mem", "io", "wakeup", "chain", "aqua"};
  o.colors = kColors[(flags >> 5) & 7];
  o.minwidth = std::string("0");
  // Input text in every user-facing string too.
  std::string head(text.substr(0, 64));
  o.title = head;
  o.subtitle = head;
  o.notes = head;
  o.nametype = head;
  o.countname = head;
  std::ostringstream out;
  (void)render::WriteFlameGraph(input, o, out);  // an error still writes a picture
  CheckRendered(out);
}

void FuzzDiffSvg(const uint8_t* data, size_t size) {
  uint8_t flags = TakeFlags(&data, &size);
  std::string_view text = AsText(data, size);
  // BEFORE and AFTER are split at the first form feed (or the middle).
  size_t cut = text.find('\f');
  if (cut == std::string_view::npos) cut = text.size() / 2;
  std::string before_text(text.substr(0, cut));
  std::string after_text(text.substr(std::min(cut + 1, text.size())));
  collapse::FoldedInput before, after;
  collapse::ParseFoldedText(before_text, "before", &before, false);
  collapse::ParseFoldedText(after_text, "after", &after, false);
  render::DiffOptions d;
  d.normalize = flags & 1;
  d.strip_hex = flags & 2;
  render::DiffProfile diff = render::MakeDiff(before, after, d);
  std::ostringstream folded;
  render::WriteDiffFolded(diff, folded);
  render::RenderOptions o;
  o.negate = flags & 4;
  o.inverted = flags & 8;
  o.minwidth = std::string("0");
  std::ostringstream out;
  (void)render::WriteDiffFlameGraph(diff, o, out);
  CheckRendered(out);
  // The same with the significance tests (and per unit of work).
  render::SignificanceOptions sig;
  if (flags & 16) {
    sig.before_units = {1.0 + (flags >> 5)};
    sig.after_units = {2};
  }
  absl::StatusOr<render::DiffRuns> runs = render::DiffRuns::Make({&before}, {&after}, d, sig);
  FUZZ_CHECK(runs.ok(), std::string(runs.status().message()));
  std::ostringstream sig_out;
  if (render::WriteSignificantDiffFlameGraph(*runs, o, sig, sig_out).ok()) {
    CheckRendered(sig_out);
  }
  absl::StatusOr<render::DiffReport> report =
      render::BuildDiffReport(*runs, render::TestFunctions(*runs, sig), {});
  FUZZ_CHECK(report.ok(), std::string(report.status().message()));
  (void)render::FormatDiffReport(*report, {});
  (void)render::DiffReportJson(*report, nullptr, 0);
}

bool RunTarget(std::string_view name, const uint8_t* data, size_t size) {
  if (name == "perf_script") {
    FuzzPerfScript(data, size);
  } else if (name == "folded") {
    FuzzFolded(data, size);
  } else if (name == "render_svg") {
    FuzzRenderSvg(data, size);
  } else if (name == "diff_svg") {
    FuzzDiffSvg(data, size);
  } else if (name == "proc_maps") {
    FuzzProcMaps(data, size);
  } else if (name == "perf_record") {
    FuzzPerfRecord(data, size);
  } else if (name == "demangle") {
    FuzzDemangle(data, size);
  } else if (name == "pprof") {
    FuzzPprof(data, size);
  } else if (name == "names") {
    FuzzNames(data, size);
  } else if (name == "proc_task") {
    FuzzProcTask(data, size);
  } else {
    return false;
  }
  return true;
}

}  // namespace stackfire::fuzz
