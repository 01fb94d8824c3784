// See command_input.h.
#include "src/cli/command_input.h"

#include "absl/strings/str_cat.h"
#include "src/cli/commands.h"
#include "src/io/folded_input.h"

namespace stackfire::cli {
namespace {

// The file as a shell argument in a hint.
std::string Arg(const std::string& path) {
  return path == "-" || path.empty() ? "perf.data" : std::string(path);
}

// The rest of the pipeline after `stackfire collapse` for each command.
std::string AfterCollapse(const std::string& command) {
  if (command == "collapse") return "";
  if (command == "render") return " | stackfire render > flame.svg";
  return absl::StrCat(" | stackfire ", command);
}

}  // namespace

bool PerfScriptSource(io::InputReader* reader, collapse::CollapseSource* source) {
  absl::StatusOr<std::optional<std::string_view>> mapped = reader->Mapped();
  if (!mapped.ok()) {
    PrintError(std::string(mapped.status().message()));
    return false;
  }
  source->whole = *mapped;
  source->next = [reader] { return reader->Next(); };
  source->release = [reader](size_t begin, size_t end) { reader->ReleaseMapped(begin, end); };
  return true;
}

std::string BinaryInputHint(io::InputFormat format, const std::string& command,
                            const std::string& path) {
  switch (format) {
    case io::InputFormat::kPerfData:
      if (command == "diff") {  // diff reads `perf script` text itself
        return absl::StrCat("turn it into text first: perf script -i ", Arg(path),
                            " > profile.txt, and give stackfire diff the text");
      }
      return absl::StrCat("turn it into text first: perf script -i ", Arg(path),
                          " | stackfire collapse", AfterCollapse(command));
    case io::InputFormat::kElf:
      return absl::StrCat("to profile a program, run it under `stackfire record -- ",
                          path == "-" ? "PROGRAM" : std::string(path), "`");
    default:
      return command == "collapse"
                 ? "collapse reads the text `perf script` prints; for a perf.data file run "
                   "`perf script -i perf.data | stackfire collapse`"
                 : absl::StrCat(command,
                                " reads folded stacks (text from `stackfire collapse` or "
                                "`stackfire record -o FILE.folded`)");
  }
}

std::unique_ptr<io::InputReader> OpenTextInput(const std::string& path, const std::string& command,
                                               std::string_view open_hint,
                                               io::InputFormat* format) {
  absl::StatusOr<std::unique_ptr<io::InputReader>> reader = io::InputReader::Open(path);
  if (!reader.ok()) {
    PrintError(std::string(reader.status().message()), open_hint);
    return nullptr;
  }
  io::InputFormat sniffed = io::InputFormat::kText;
  if (absl::Status s = io::RequireText(**reader, &sniffed); !s.ok()) {
    PrintError(std::string(s.message()), io::IsBinary(sniffed)
                                             ? BinaryInputHint(sniffed, command, path)
                                             : "no output was written; fix or re-create the input");
    return nullptr;
  }
  if (format != nullptr) *format = sniffed;
  return *std::move(reader);
}

bool ReadFoldedArg(const std::string& path, const std::string& command, std::string_view open_hint,
                   collapse::FoldedInput* input, bool allow_two_columns, io::InputFormat* format) {
  std::unique_ptr<io::InputReader> reader = OpenTextInput(path, command, open_hint, format);
  if (reader == nullptr) return false;
  if (absl::Status s = io::ReadFoldedInput(std::move(reader), input, allow_two_columns); !s.ok()) {
    PrintError(std::string(s.message()), "no output was written; fix or re-create the input");
    return false;
  }
  return true;
}

std::string WrongTextHint(io::InputFormat format, const std::string& command,
                          const std::string& path) {
  const std::string arg = path == "-" || path.empty() ? "" : absl::StrCat(" ", path);
  if (format == io::InputFormat::kPerfScript && command != "collapse") {
    return absl::StrCat("this looks like `perf script` output; fold it first: stackfire collapse",
                        arg, AfterCollapse(command));
  }
  if (format == io::InputFormat::kFolded && command == "collapse") {
    return absl::StrCat("this looks like folded stacks already; draw them with stackfire render",
                        arg, " > flame.svg");
  }
  return "";
}

}  // namespace stackfire::cli
