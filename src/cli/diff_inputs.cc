#include "src/cli/diff_inputs.h"

#include <memory>
#include <string_view>
#include <utility>

#include "collapse/perf_script.h"
#include "export/pprof_reader.h"
#include "src/io/input_reader.h"

namespace stackfire::cli {
namespace {

// The first line that is neither blank nor a '#' comment.
std::string_view FirstDataLine(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    pos = end + 1;
    size_t first = line.find_first_not_of(" \t");
    if (first == std::string_view::npos || line[first] == '#') continue;
    return line;
  }
  return {};
}

}  // namespace

absl::StatusOr<DiffInput> LoadDiffInput(const std::string& path, const DiffInputOptions& options,
                                        io::InputFormat* sniffed) {
  absl::StatusOr<std::unique_ptr<io::InputReader>> opened = io::InputReader::Open(path);
  if (!opened.ok()) return opened.status();
  std::shared_ptr<io::InputReader> reader = std::move(*opened);
  // perf.data and ELF files are refused as the other commands refuse them;
  // other binary data may be pprof (below).
  io::InputFormat format = io::InputFormat::kText;
  absl::Status text = io::RequireText(*reader, &format);
  if (sniffed != nullptr) *sniffed = format;
  if (format == io::InputFormat::kPerfData || format == io::InputFormat::kElf) return text;
  if (!text.ok() && !io::IsBinary(format)) return text;  // the head could not be read
  DiffInput in;
  in.path = reader->name();
  absl::StatusOr<std::optional<std::string_view>> mapped = reader->Mapped();
  if (!mapped.ok()) return mapped.status();
  std::string_view bytes;
  std::shared_ptr<std::string> copy;
  if (mapped->has_value()) {
    bytes = **mapped;
  } else {
    copy = std::make_shared<std::string>();
    while (true) {
      absl::StatusOr<std::string_view> piece = reader->Next();
      if (!piece.ok()) return piece.status();
      if (piece->empty()) break;
      copy->append(*piece);
    }
    bytes = *copy;
  }

  std::string_view first = FirstDataLine(bytes);
  const bool folded_line =
      !first.empty() && collapse::ParseFoldedLine(first, /*allow_two_columns=*/false).has_value();
  if (exporter::LooksBinary(bytes)) {
    // Binary is pprof, unless it is folded text whose (untrusted) names
    // hold control bytes: a profile that does not parse falls back to text.
    exporter::PprofReadOptions po;
    po.sample_type = options.sample_type;
    absl::StatusOr<exporter::PprofStacks> p = exporter::ReadPprof(bytes, in.path, po);
    if (p.ok()) {
      in.kind = "pprof";
      in.sample_type = p->type + "/" + p->unit;
      in.folded = std::move(p->folded);
      return in;
    }
    if (!folded_line || absl::IsNotFound(p.status())) return p.status();
  }
  if (first.empty() || folded_line) {
    in.kind = "folded";
    in.sample_type = "samples/count";
    collapse::ParseFoldedText(bytes, in.path, &in.folded, /*allow_two_columns=*/false);
    if (copy != nullptr) {
      in.folded.owners.push_back(copy);
    } else {
      in.folded.owners.push_back(reader);
    }
    return in;
  }
  collapse::PerfScriptOptions po;
  po.weigh_by_period = options.weigh_by_period;
  collapse::PerfScriptStats stats;
  Profile profile = collapse::CollapsePerfScript(bytes, po, &stats);
  in.kind = "perf script";
  in.sample_type = "samples/count";
  for (const Profile::Entry& e : profile.entries()) {
    const std::string& stack = in.folded.storage.emplace_back(e.stack);
    collapse::FoldedRecord r;
    r.stack = stack;
    r.count = e.weight;
    in.folded.records.push_back(r);
  }
  in.folded.lines = stats.lines;
  in.folded.bad_lines = stats.unparsable_lines;
  if (stats.unparsable_lines > 0) {
    in.folded.first_bad_source = in.path;
    in.folded.first_bad_line = stats.first_unparsable_line;
    in.folded.first_bad_text = stats.first_unparsable_text;
  }
  return in;
}

absl::Status CheckSampleTypes(const std::vector<const DiffInput*>& inputs) {
  for (const DiffInput* in : inputs) {
    const DiffInput* first = inputs.front();
    if (in->sample_type != first->sample_type) {
      return absl::InvalidArgumentError(
          first->path + " (" + first->kind + ") counts " + first->sample_type + " but " +
          in->path + " (" + in->kind + ") counts " + in->sample_type +
          ": the sample types must agree");
    }
  }
  return absl::OkStatus();
}

}  // namespace stackfire::cli
