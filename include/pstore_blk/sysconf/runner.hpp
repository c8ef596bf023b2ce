// External commands (update-grub, modprobe, rmmod, udevadm) and waiting for
// udev, behind an interface (ninja's CommandRunner / DryRunCommandRunner).
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
  /// Waits up to `seconds` for `path` (a udev link, a partition node) to
  /// exist; true when it does.
  virtual bool wait_for(const std::string& path, int seconds) = 0;
};

class RealRunner final : public Runner {
 public:
  Result<CommandResult> run(const std::vector<std::string>& argv) override;
  bool wait_for(const std::string& path, int seconds) override;
};

/// Records each command line (in `commands`, or in a log shared with a
/// DryRunWriter); returns status 0 and no output; every path "appears".
class DryRunRunner final : public Runner {
 public:
  DryRunRunner() : log_(&commands) {}
  explicit DryRunRunner(std::vector<std::string>& shared) : log_(&shared), prefix_("run ") {}
  Result<CommandResult> run(const std::vector<std::string>& argv) override;
  bool wait_for(const std::string& path, int seconds) override;
  std::vector<std::string> commands;

 private:
  std::vector<std::string>* log_;
  std::string prefix_;
};

/// "update-grub", "modprobe pstore_blk" — argv joined with shell quoting.
std::string command_line(const std::vector<std::string>& argv);

}  // namespace psb::sysconf
