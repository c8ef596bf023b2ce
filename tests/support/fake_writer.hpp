// In-memory Writer for tests (ninja's VirtualFileSystem role).
#pragma once

#include <map>
#include <string>
#include <vector>

#include "pstore_blk/sysconf/writer.hpp"

namespace psb::test {

class FakeWriter final : public sysconf::Writer {
 public:
  Result<void> write(const std::string& abs, const std::string& content, unsigned mode) override {
    files[abs] = content;
    modes[abs] = mode;
    log.push_back("write " + abs);
    return {};
  }
  Result<void> remove(const std::string& abs) override {
    files.erase(abs);
    log.push_back("remove " + abs);
    return {};
  }
  std::map<std::string, std::string> files;
  std::map<std::string, unsigned> modes;
  std::vector<std::string> log;
};

}  // namespace psb::test
