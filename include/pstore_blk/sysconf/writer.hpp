// Side effects on files, behind an interface (ninja's DiskInterface): the
// real writer replaces files atomically under a root, the dry-run writer only
// records what it would do, tests use tests/support/fake_writer.hpp.
#pragma once

#include <string>
#include <vector>

#include "pstore_blk/result.hpp"

namespace psb::sysconf {

class Writer {
 public:
  virtual ~Writer() = default;
  /// Replaces the file at absolute path `abs` (of the target system) with
  /// `content`: parents created 0755, temp file + fsync + rename.
  virtual Result<void> write(const std::string& abs, const std::string& content, unsigned mode) = 0;
  /// Removes `abs`; a missing file is not an error.
  virtual Result<void> remove(const std::string& abs) = 0;
};

/// Writes below `root` ("/" for the running system).
class RealWriter final : public Writer {
 public:
  explicit RealWriter(std::string root);
  Result<void> write(const std::string& abs, const std::string& content, unsigned mode) override;
  Result<void> remove(const std::string& abs) override;

 private:
  std::string root_;
};

/// Records "write <path> (<n> bytes)" / "remove <path>"; never fails.
class DryRunWriter final : public Writer {
 public:
  Result<void> write(const std::string& abs, const std::string& content, unsigned mode) override;
  Result<void> remove(const std::string& abs) override;
  std::vector<std::string> actions;
};

}  // namespace psb::sysconf
