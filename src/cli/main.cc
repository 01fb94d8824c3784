#include <algorithm>
#include <cstdio>
#include <exception>
#include <iostream>
#include <optional>
#include <string>
#include <vector>

#include "CLI/CLI.hpp"
#include "src/cli/commands.h"
#include "stackfire_config.h"

namespace stackfire::cli {

void PrintError(std::string_view message, std::string_view hint) {
  std::fprintf(stderr, "stackfire: error: %.*s\n", static_cast<int>(message.size()),
               message.data());
  if (!hint.empty()) {
    std::fprintf(stderr, "stackfire: hint: %.*s\n", static_cast<int>(hint.size()), hint.data());
  }
}

}  // namespace stackfire::cli

int main(int argc, char** argv) {
  using stackfire::cli::Runner;
  CLI::App app{"stackfire: a sampling profiler that writes flame graphs", "stackfire"};
  app.set_version_flag("--version", std::string("stackfire ") + STACKFIRE_VERSION);
  app.require_subcommand(1);
  app.fallthrough(false);

  std::vector<std::string> args(argv, argv + argc);
  // `stackfire record [OPTIONS] -- CMD ARGS...`: everything after the first
  // `--` is the command, verbatim, as with perf record. CLI11 would read the
  // command's own dashed arguments ("sh -c", "make -j2") as record's.
  std::vector<std::string> launched;
  if (args.size() >= 2 && args[1] == "record") {
    auto dashes = std::find(args.begin() + 2, args.end(), "--");
    if (dashes != args.end()) {
      launched.assign(dashes + 1, args.end());
      args.erase(dashes, args.end());
    }
  }
  // `stackfire diff [OPTIONS] BEFORE... -- AFTER...`: the same split; CLI11
  // would hand both sides to one positional.
  std::optional<std::vector<std::string>> diff_after;
  if (args.size() >= 2 && args[1] == "diff") {
    auto dashes = std::find(args.begin() + 2, args.end(), "--");
    if (dashes != args.end()) {
      diff_after.emplace(dashes + 1, args.end());
      args.erase(dashes, args.end());
    }
  }

  std::vector<std::pair<CLI::App*, Runner>> commands;
  // Subcommands are registered here, one line each.
  commands.push_back(stackfire::cli::RegisterCollapse(app));
  commands.push_back(stackfire::cli::RegisterRecord(app, &launched));
  commands.push_back(stackfire::cli::RegisterRender(app));
  commands.push_back(stackfire::cli::RegisterDiff(app, &diff_after));
  commands.push_back(stackfire::cli::RegisterReport(app));

  // "stackfire help SUBCOMMAND" is "stackfire SUBCOMMAND --help".
  if (args.size() >= 2 && args[1] == "help") {
    if (args.size() >= 3 && !args[2].empty() && args[2][0] != '-') {
      const std::string& name = args[2];
      bool known = false;
      for (const auto& [sub, run] : commands) known = known || sub->get_name() == name;
      if (!known) {
        stackfire::cli::PrintError("unknown command '" + name + "'",
                                   "run `stackfire --help` for the list of commands");
        return 2;
      }
    }
    args.erase(args.begin() + 1);
    args.push_back("--help");
  }
  std::vector<char*> cargs;
  for (std::string& a : args) cargs.push_back(a.data());

  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return 2;
  }
  try {
    for (auto& [sub, run] : commands) {
      if (sub->parsed()) return run();
    }
  } catch (const std::exception& e) {
    stackfire::cli::PrintError(e.what());
    return 1;
  }
  return 2;
}
