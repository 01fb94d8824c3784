// Each subcommand registers itself on the top-level CLI11 app and returns the
// function that runs it once parsing succeeded. main.cc is the only place
// that catches exceptions; runners return the process exit code
// (0 ok, 1 runtime failure, 2 usage error).
#ifndef STACKFIRE_SRC_CLI_COMMANDS_H_
#define STACKFIRE_SRC_CLI_COMMANDS_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "CLI/CLI.hpp"

namespace stackfire::cli {

using Runner = std::function<int()>;

// stackfire record: sample processes or a command into a flame graph.
// *launched is the command given after `--` (main.cc takes it out of the
// arguments before CLI11 parses them); it must outlive the runner.
std::pair<CLI::App*, Runner> RegisterRecord(CLI::App& app,
                                            const std::vector<std::string>* launched);

// Prints "error: MESSAGE" and, when hint is not empty, "hint: HINT" on stderr.
void PrintError(std::string_view message, std::string_view hint = {});

// One function per subcommand, each in its own file.
std::pair<CLI::App*, Runner> RegisterCollapse(CLI::App& app);  // collapse_cmd.cc
std::pair<CLI::App*, Runner> RegisterRender(CLI::App& app);
// stackfire diff: *after is the AFTER files given after `--` (main.cc takes
// them out of the arguments), nullopt without `--`; it must outlive the runner.
std::pair<CLI::App*, Runner> RegisterDiff(CLI::App& app,
                                          const std::optional<std::vector<std::string>>* after);
std::pair<CLI::App*, Runner> RegisterReport(CLI::App& app);

}  // namespace stackfire::cli

#endif  // STACKFIRE_SRC_CLI_COMMANDS_H_
