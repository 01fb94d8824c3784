// Reader for FlameGraph's folded format: one stack per line, frames joined
// by ';' root first, then whitespace and a count ("main;foo;bar 31").
//
// The line grammar is flamegraph.pl's, so that every file it draws parses
// the same way here:
//   - the count is the token after the LAST whitespace character and must
//     match \d+(\.\d*)? (no sign, no exponent); everything before that one
//     whitespace character is the stack, spaces and trailing blanks included;
//   - a two-column line "stack BEFORE AFTER" (difffolded.pl's output) is
//     recognised when the stack itself ends in such a count; the width is
//     AFTER and the difference AFTER-BEFORE colours the frame;
//   - anything else (blank lines included) is a bad line: it is counted,
//     skipped, and the first one is remembered with its file and line number.
// One deliberate difference: a trailing '\r' (CRLF files) is ignored, where
// flamegraph.pl rejects every such line.
//
// FoldedInput keeps the records in input order without merging them, because
// a flame chart (--flamechart) draws repeated stacks as separate frames.
#ifndef STACKFIRE_COLLAPSE_FOLDED_H_
#define STACKFIRE_COLLAPSE_FOLDED_H_

#include <cstdint>
#include <deque>
#include <memory>
#include <iosfwd>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "stackfire/profile.h"

namespace stackfire::collapse {

// One line split into its parts. `stack` points into the parsed line.
struct FoldedLine {
  std::string_view stack;
  double count = 0;       // the last column (AFTER in a two-column line)
  double before = 0;      // the column before it when two_column
  bool two_column = false;
  char separator = ' ';   // the whitespace byte that ends the stack
  std::string_view tail;  // the text after it: the count column(s)
};

// Parses one line (without its '\n'). With allow_two_columns false the
// whole text before the last count is the stack (difffolded.pl's reading).
std::optional<FoldedLine> ParseFoldedLine(std::string_view line, bool allow_two_columns = true);

struct FoldedRecord {
  std::string_view stack;  // points into FoldedInput::storage
  double count = 0;
  double before = 0;
  char separator = ' ';
  std::string_view tail;  // the count column(s) as written
};

struct FoldedInput {
  FoldedInput() = default;
  FoldedInput(FoldedInput&&) = default;
  FoldedInput& operator=(FoldedInput&&) = default;
  FoldedInput(const FoldedInput&) = delete;  // records point into storage
  FoldedInput& operator=(const FoldedInput&) = delete;

  std::vector<FoldedRecord> records;  // input order, not merged
  std::deque<std::string> storage;    // the text the records point into
  std::vector<std::shared_ptr<const void>> owners;  // or buffers kept alive for them
  bool differential = false;          // at least one two-column line
  uint64_t lines = 0;                 // lines read, bad ones included
  uint64_t bad_lines = 0;
  std::string first_bad_source;       // file name of the first bad line
  uint64_t first_bad_line = 0;        // its 1-based line number
  std::string first_bad_text;         // its text, cut to 200 bytes

  double total() const;  // sum of counts (AFTER for two-column lines)
  // "ignored N lines with invalid format (first: FILE:LINE: "TEXT")", or
  // empty when every line parsed.
  std::string BadLinesMessage() const;
};

// Appends every line of `in` to *out. `source` names the input in messages
// ("-" for stdin). Fails only on a read error; bad lines are counted.
absl::Status ReadFolded(std::istream& in, std::string_view source, FoldedInput* out,
                        bool allow_two_columns = true);

// Parses text that arrives in pieces (a pipe, inflated gzip): each piece is
// copied into out->storage, so it need not outlive Feed(). A line may span
// pieces. Finish() parses the last line when the text does not end in '\n'.
class FoldedStreamParser {
 public:
  FoldedStreamParser(std::string_view source, FoldedInput* out, bool allow_two_columns = true);
  void Feed(std::string_view piece);
  // Parses a piece that is already the last element of out->storage (no copy).
  void FeedStored(std::string_view piece);
  void Finish();

 private:
  std::string source_;
  FoldedInput* out_;
  bool allow_two_columns_;
  std::string carry_;  // the start of a line cut by the end of a piece
  uint64_t line_no_ = 0;
};

// Parses a whole text (e.g. a mapped file). The records point into `text`:
// the caller keeps it alive, for instance by adding its owner to out->owners.
void ParseFoldedText(std::string_view text, std::string_view source, FoldedInput* out,
                     bool allow_two_columns = true);

// Merges the records by stack (counts summed; BEFORE columns are dropped).
Profile ToProfile(const FoldedInput& input);

}  // namespace stackfire::collapse

#endif  // STACKFIRE_COLLAPSE_FOLDED_H_
