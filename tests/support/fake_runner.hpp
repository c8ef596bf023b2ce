// Scripted Runner for tests (ninja's FakeCommandRunner role): records every
// command line and answers from a table, status 0 by default; paths waited
// for "appear" unless listed in `missing`.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

#include "pstore_blk/sysconf/runner.hpp"

namespace psb::test {

class FakeRunner final : public sysconf::Runner {
 public:
  Result<sysconf::CommandResult> run(const std::vector<std::string>& argv) override {
    std::string line = sysconf::command_line(argv);
    commands.push_back(line);
    auto it = answers.find(line);
    return it == answers.end() ? sysconf::CommandResult{} : it->second;
  }
  bool wait_for(const std::string& path, int) override {
    waited.push_back(path);
    return !missing.count(path);
  }
  std::vector<std::string> commands;
  std::vector<std::string> waited;
  std::map<std::string, sysconf::CommandResult> answers;
  std::set<std::string> missing;
};

}  // namespace psb::test
