// The command-line front end: the one layer that prints and maps errors to
// exit codes (0 ok, 1 failure or damaged records, 2 usage).
#pragma once

#include <functional>
#include <memory>
#include <string>

namespace CLI {
class App;
}

namespace psb::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

/// A subcommand: its name, one-line description and the function that adds
/// its options to `sub` and sets the action run after parsing.
struct Command {
  const char* name;
  const char* description;
  void (*attach)(CLI::App& sub, std::function<int()>& action);
};

/// Every subcommand, in --help order (ninja's kTools table).
const Command* commands(std::size_t& count);

/// Parses argv and runs the chosen subcommand; returns the exit code.
int run(int argc, char** argv);

/// Prints "pstore-blk: <msg>" to stderr (util-linux warnx form).
void warn(const std::string& msg);

/// Prints "pstore-blk: <msg>" and "Try 'pstore-blk COMMAND --help' for more
/// information." (util-linux errtryhelp) to stderr; returns kExitUsage.
int usage_error(const std::string& msg, const std::string& command);

}  // namespace psb::cli
