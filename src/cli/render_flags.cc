#include "src/cli/render_flags.h"

#include <fstream>
#include <memory>

#include "absl/strings/str_cat.h"
#include "src/io/atomic_file.h"

namespace stackfire::cli {

void AddRenderFlags(CLI::App* app, render::RenderOptions* o) {
  app->add_option("--title", o->title, "Title text (default \"Flame Graph\")");
  app->add_option("--subtitle", o->subtitle, "Second-level title");
  app->add_option("--width", o->width, "Width of the image in pixels")->capture_default_str();
  app->add_option("--height", o->height, "Height of each frame in pixels")->capture_default_str();
  app->add_option("--minwidth", o->minwidth,
                  "Omit frames narrower than this many pixels, or \"N%\" of the total")
      ->capture_default_str();
  app->add_option("--fonttype", o->fonttype, "Font family")->capture_default_str();
  app->add_option("--fontsize", o->fontsize, "Font size")->capture_default_str();
  app->add_option("--fontwidth", o->fontwidth,
                  "Average glyph width relative to the font size (fits the labels)")
      ->capture_default_str();
  app->add_option("--countname", o->countname, "Count type label")->capture_default_str();
  app->add_option("--nametype", o->nametype, "Name type label")->capture_default_str();
  app->add_option("--colors,--color", o->colors,
                  "Palette: hot, mem, io, wakeup, chain, java, js, perl, red, green, blue, aqua, "
                  "yellow, purple, orange, or wall (frames mostly under [off-cpu] leaves in "
                  "blues, the others hot)")
      ->capture_default_str();
  app->add_option("--bgcolors", o->bgcolors,
                  "Background: yellow, blue, green, grey or #rrggbb (default: by palette)");
  app->add_flag("--hash", o->hash,
                "Colour by a hash of the function name (flamegraph.pl's). Without it, colours "
                "are still deterministic: each name seeds the same generator flamegraph.pl uses");
  app->add_flag("--cp", o->consistent_palette,
                "Consistent palette: reuse and update palette.map in the current directory");
  app->add_flag("--reverse", o->reverse, "Stack-reversed flame graph (merge from the leaves)");
  app->add_flag("--inverted", o->inverted, "Icicle graph (root at the top)");
  app->add_flag("--flamechart", o->flamechart,
                "Flame chart: input order (time) on the x axis, stacks not merged");
  app->add_flag("--negate", o->negate, "Swap differential hues (blue <-> red)");
  app->add_option("--factor", o->factor, "Factor to scale the counts by in tooltips")
      ->capture_default_str();
  app->add_option("--notes", o->notes, "Notes to embed in the SVG as a comment");
  app->add_option("--total", o->total,
                  "Total count to scale against, used when larger than the actual sum");
}

void AddReportFlags(CLI::App* app, ReportFlags* flags) {
  app->add_option("--top", flags->top, "Print the N hottest rows; 0 prints all")
      ->capture_default_str();
  app->add_option("--by", flags->by, "Sort key: self or total")->capture_default_str();
  app->add_option("--grep", flags->grep,
                  "Only rows whose function name matches this regular expression (RE2 syntax)");
}

absl::StatusOr<render::ReportOptions> ValidateReportFlags(const ReportFlags& flags,
                                                          std::string* hint) {
  render::ReportOptions options;
  if (flags.top < 0) {
    *hint = "give the number of rows to print, or 0 for all of them";
    return absl::InvalidArgumentError(absl::StrCat("--top ", flags.top, " is negative"));
  }
  options.top = static_cast<size_t>(flags.top);
  if (!render::ParseReportSortKey(flags.by, &options.by)) {
    return absl::InvalidArgumentError(absl::StrCat("--by: '", flags.by, "' is not self or total"));
  }
  options.grep = flags.grep;
  if (absl::Status s = render::BuildReport(Profile(), options).status(); !s.ok()) {
    *hint =
        "--grep takes a regular expression in RE2 syntax (like egrep), e.g. --grep '^std::' or "
        "--grep 'malloc|free'";
    return s;
  }
  return options;
}

namespace {

absl::Status RenderStacks(std::vector<render::StackWeight> stacks, bool differential,
                          render::RenderOptions opts, std::ostream& out) {
  constexpr const char* kPaletteFile = "palette.map";
  render::PaletteMap map;
  if (opts.consistent_palette) {
    std::ifstream in(kPaletteFile);
    if (in) map = render::ReadPaletteMap(in);
    opts.palette_map = &map;
  }
  absl::Status s = render::WriteFlameGraph(std::move(stacks), differential, opts, out);
  if (s.ok() && opts.consistent_palette) {
    absl::StatusOr<std::unique_ptr<io::AtomicFile>> pf = io::AtomicFile::Create(kPaletteFile);
    if (pf.ok()) {
      render::WritePaletteMap(map, (*pf)->stream());
      if (absl::Status c = (*pf)->Commit(); !c.ok()) pf = c;
    }
    if (!pf.ok()) {
      return absl::PermissionDeniedError("cannot write palette.map in the current directory");
    }
  }
  return s;
}

}  // namespace

absl::Status RenderWithPalette(const collapse::FoldedInput& input, render::RenderOptions opts,
                               std::ostream& out) {
  return RenderStacks(render::StacksOf(input), input.differential, std::move(opts), out);
}

absl::Status RenderWithPalette(const Profile& profile, render::RenderOptions opts,
                               std::ostream& out) {
  return RenderStacks(render::StacksOf(profile), false, std::move(opts), out);
}

}  // namespace stackfire::cli
