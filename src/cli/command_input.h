// How every command opens its input (io/): a file or stdin ("-"), gzip
// inflated on the fly, and binary input refused with an error that names
// the file and says how to turn it into text (a perf.data file: `perf
// script -i FILE | stackfire collapse`). Each function prints the error and
// its hint itself; the caller returns exit status 1.
#ifndef STACKFIRE_SRC_CLI_COMMAND_INPUT_H_
#define STACKFIRE_SRC_CLI_COMMAND_INPUT_H_

#include <memory>
#include <string>
#include <string_view>

#include "collapse/folded.h"
#include "collapse/parallel_collapse.h"
#include "src/io/input_format.h"
#include "src/io/input_reader.h"

namespace stackfire::cli {

// Opens path for `stackfire COMMAND` and checks that it is text. On
// failure prints the error (with open_hint when the file cannot be opened)
// and returns nullptr. *format, when given, gets the sniffed format.
std::unique_ptr<io::InputReader> OpenTextInput(const std::string& path, const std::string& command,
                                               std::string_view open_hint,
                                               io::InputFormat* format = nullptr);

// Opens and reads folded stacks for render, diff or report: appends to
// *input (bad lines are only counted there). False after printing the
// error.
bool ReadFoldedArg(const std::string& path, const std::string& command, std::string_view open_hint,
                   collapse::FoldedInput* input, bool allow_two_columns = true,
                   io::InputFormat* format = nullptr);

// The perf script text of an opened input, as the collapsers read it: the
// whole file when it could be mapped, else its chunks; mapped pages are given
// back as the collapser passes them. Valid while reader lives. False after
// printing the error (a file that could not be read).
bool PerfScriptSource(io::InputReader* reader, collapse::CollapseSource* source);

// The hint for binary input given to `stackfire COMMAND` at path: how to turn
// a perf.data file into text, what to do with a program, or what the
// command reads.
std::string BinaryInputHint(io::InputFormat format, const std::string& command,
                            const std::string& path);

// What to say when a command found nothing to draw or count in an input of
// this (sniffed) format, if the format explains it: perf script text given
// to render needs collapse first, and folded stacks given to collapse are
// folded already. Empty otherwise.
std::string WrongTextHint(io::InputFormat format, const std::string& command,
                          const std::string& path);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_COMMAND_INPUT_H_
