#include "src/cli/report_output.h"

#include <sys/ioctl.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

#include "absl/strings/numbers.h"

namespace stackfire::cli {
namespace {

constexpr size_t kDefaultColumns = 80;

size_t TerminalColumns(int fd) {
  if (const char* env = std::getenv("COLUMNS"); env != nullptr) {
    size_t columns = 0;
    if (absl::SimpleAtoi(env, &columns) && columns > 0) return columns;
  }
  struct winsize ws = {};
  if (::ioctl(fd, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return kDefaultColumns;
}

}  // namespace

bool ParseColorMode(std::string_view text, ColorMode* mode) {
  if (text == "auto") {
    *mode = ColorMode::kAuto;
  } else if (text == "always") {
    *mode = ColorMode::kAlways;
  } else if (text == "never") {
    *mode = ColorMode::kNever;
  } else {
    return false;
  }
  return true;
}

void FitToTerminal(FILE* out, ColorMode mode, render::ReportOptions* options) {
  const int fd = ::fileno(out);
  const bool tty = fd >= 0 && ::isatty(fd) == 1;
  const char* no_color = std::getenv("NO_COLOR");
  const bool no_color_set = no_color != nullptr && no_color[0] != '\0';
  switch (mode) {
    case ColorMode::kAuto:
      options->color = tty && !no_color_set;
      break;
    case ColorMode::kAlways:
      options->color = true;
      break;
    case ColorMode::kNever:
      options->color = false;
      break;
  }
  options->width = tty ? TerminalColumns(fd) : 0;
}

absl::Status PrintReport(const Profile& profile, const render::ReportOptions& options, FILE* out,
                         ColorMode color) {
  render::ReportOptions fitted = options;
  FitToTerminal(out, color, &fitted);
  absl::StatusOr<render::ReportTable> table = render::BuildReport(profile, fitted);
  if (!table.ok()) return table.status();
  const std::string text = render::FormatReport(*table, fitted);
  if (std::fwrite(text.data(), 1, text.size(), out) != text.size() || std::fflush(out) != 0) {
    return absl::DataLossError("cannot write the report");
  }
  return absl::OkStatus();
}

}  // namespace stackfire::cli
