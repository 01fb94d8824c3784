// What an input holds, told from its first bytes (InputReader::Head(), so
// after gzip is inflated): folded stacks, `perf script` text, other text, or
// binary data (a perf.data file, an ELF file, anything else).
//
// Every command that reads text (collapse, render, diff, report) calls
// RequireText first, so binary input fails with an error naming the file
// instead of being parsed as garbage text. perf.data is recognised by its
// magic: "PERFILE2" (perf's file format since 2009), or "PERFFILE" (the
// first version), at offset 0. Other binary data is recognised by a NUL
// byte in the head: neither text format ever holds one.
//
// The text sniff is a guess used for hints only ("this looks like `perf
// script` output"); the parsers decide what a line is.
#ifndef STACKFIRE_SRC_IO_INPUT_FORMAT_H_
#define STACKFIRE_SRC_IO_INPUT_FORMAT_H_

#include <string_view>

#include "absl/status/status.h"
#include "src/io/input_reader.h"

namespace stackfire::io {

enum class InputFormat {
  kEmpty,       // no bytes at all
  kFolded,      // every line "frame;frame COUNT"
  kPerfScript,  // event lines with indented frame lines under them
  kText,        // some other text
  kPerfData,    // perf record's binary file
  kElf,         // an executable or a library
  kBinary,      // other binary data
};

InputFormat SniffInputFormat(std::string_view head);

// "folded stacks", "`perf script` output", "a perf.data file", ...
const char* InputFormatName(InputFormat format);

inline bool IsBinary(InputFormat format) {
  return format == InputFormat::kPerfData || format == InputFormat::kElf ||
         format == InputFormat::kBinary;
}

// Sniffs the reader's head. kInvalidArgument when it is binary, with a
// message naming the input and what it is ("'perf.data' is a perf.data file
// (perf record's binary output), not text"); errors from reading the head
// (a corrupt gzip stream) as they come. *format, when given, gets the
// sniffed format.
absl::Status RequireText(InputReader& reader, InputFormat* format = nullptr);

}  // namespace stackfire::io

#endif  // STACKFIRE_SRC_IO_INPUT_FORMAT_H_
