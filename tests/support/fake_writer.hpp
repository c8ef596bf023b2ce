// Writers for tests (ninja's VirtualFileSystem role). FakeWriter keeps files
// in memory and records every action; FaultyWriter forwards to another
// Writer and fails on purpose at the N-th action (0-based), so a test can
// stop setup or undo after any step and look at what is left.
#pragma once

#include <map>
#include <optional>
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
  Result<void> remove_dir(const std::string& abs) override {
    log.push_back("rmdir " + abs);
    return {};
  }
  Result<void> commit_partition(const device::PartitionPlan& plan,
                                std::vector<std::string>&) override {
    log.push_back("commit " + plan.disk() + " " + std::to_string(plan.partition().number));
    return {};
  }
  Result<void> delete_partition(const std::string& disk, int number, const std::string&) override {
    log.push_back("delete " + disk + " " + std::to_string(number));
    return {};
  }
  Result<void> rewrite_table(const std::string& disk) override {
    log.push_back("rewrite " + disk);
    return {};
  }
  Result<std::vector<device::Signature>> wipe(const std::string& path, std::uint64_t offset,
                                              std::uint64_t, std::uint64_t, bool) override {
    log.push_back("wipe " + path + " " + std::to_string(offset));
    return std::vector<device::Signature>{};
  }
  std::map<std::string, std::string> files;
  std::map<std::string, unsigned> modes;
  std::vector<std::string> log;
};

class FaultyWriter final : public sysconf::Writer {
 public:
  FaultyWriter(sysconf::Writer& inner, std::optional<int> fail_at) : w_(inner), fail_at_(fail_at) {}
  Result<void> write(const std::string& abs, const std::string& content, unsigned mode) override {
    if (auto e = step("write " + abs)) return *e;
    return w_.write(abs, content, mode);
  }
  Result<void> remove(const std::string& abs) override {
    if (auto e = step("remove " + abs)) return *e;
    return w_.remove(abs);
  }
  Result<void> remove_dir(const std::string& abs) override {
    if (auto e = step("rmdir " + abs)) return *e;
    return w_.remove_dir(abs);
  }
  Result<void> commit_partition(const device::PartitionPlan& plan,
                                std::vector<std::string>& m) override {
    if (auto e = step("commit")) return *e;
    return w_.commit_partition(plan, m);
  }
  Result<void> delete_partition(const std::string& disk, int n, const std::string& u) override {
    if (auto e = step("delete")) return *e;
    return w_.delete_partition(disk, n, u);
  }
  Result<void> rewrite_table(const std::string& disk) override {
    if (auto e = step("rewrite")) return *e;
    return w_.rewrite_table(disk);
  }
  Result<std::vector<device::Signature>> wipe(const std::string& path, std::uint64_t off,
                                              std::uint64_t size, std::uint64_t zero,
                                              bool excl) override {
    if (auto e = step("wipe")) return *e;
    return w_.wipe(path, off, size, zero, excl);
  }
  int steps = 0;                  ///< actions seen so far (including the failed one)
  std::vector<std::string> seen;  ///< their descriptions

 private:
  std::optional<Error> step(const std::string& what) {
    seen.push_back(what);
    if (fail_at_ && steps++ == *fail_at_)
      return make_error(
          Errc::kIo, "injected failure at step " + std::to_string(*fail_at_) + " (" + what + ")");
    if (!fail_at_) ++steps;
    return std::nullopt;
  }
  sysconf::Writer& w_;
  std::optional<int> fail_at_;
};

}  // namespace psb::test
