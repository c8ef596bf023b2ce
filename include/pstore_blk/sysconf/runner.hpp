// External commands (update-grub, modprobe, rmmod, udevadm) behind an
// interface (ninja's CommandRunner / DryRunCommandRunner).
#pragma once

#include <string>
#include <vector>

#include "pstore_blk/result.hpp"

namespace psb::sysconf {

struct CommandResult {
  int status = 0;      ///< exit status; 128+N for signal N
  std::string output;  ///< stdout and stderr, interleaved
};

class Runner {
 public:
  virtual ~Runner() = default;
  /// Runs argv[0] (looked up in PATH) and waits. Fails only when the command
  /// cannot be started; a non-zero exit is a CommandResult.
  virtual Result<CommandResult> run(const std::vector<std::string>& argv) = 0;
};

class RealRunner final : public Runner {
 public:
  Result<CommandResult> run(const std::vector<std::string>& argv) override;
};

/// Records each command line; returns status 0 and no output.
class DryRunRunner final : public Runner {
 public:
  Result<CommandResult> run(const std::vector<std::string>& argv) override;
  std::vector<std::string> commands;
};

/// "update-grub", "modprobe pstore_blk" — argv joined with shell quoting.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace psb::sysconf
