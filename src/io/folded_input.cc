// See folded_input.h.
#include "src/io/folded_input.h"

#include <string>
#include <utility>

namespace stackfire::io {

absl::Status ReadFoldedInput(std::unique_ptr<InputReader> reader, collapse::FoldedInput* out,
                             bool allow_two_columns) {
  const std::string name = reader->name();
  absl::StatusOr<std::optional<std::string_view>> mapped = reader->Mapped();
  if (!mapped.ok()) return mapped.status();
  if (*mapped) {
    collapse::ParseFoldedText(**mapped, name, out, allow_two_columns);
    out->owners.push_back(std::shared_ptr<InputReader>(std::move(reader)));
    return absl::OkStatus();
  }
  collapse::FoldedStreamParser parser(name, out, allow_two_columns);
  while (true) {
    absl::StatusOr<std::string_view> piece = reader->Next();
    if (!piece.ok()) return piece.status();
    if (piece->empty()) break;
    parser.Feed(*piece);
  }
  parser.Finish();
  return absl::OkStatus();
}

}  // namespace stackfire::io
