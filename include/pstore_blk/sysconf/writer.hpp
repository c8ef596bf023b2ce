// Side effects on files and disks, behind an interface (ninja's
// DiskInterface): the real writer replaces files atomically under a root and
// changes partition tables through libfdisk, the dry-run writer only records
// what it would do, tests use tests/support/fake_writer.hpp (which can also
// fail on purpose at a chosen step).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/result.hpp"

namespace psb::sysconf {

class Writer {
 public:
  virtual ~Writer() = default;
  /// Replaces the file at absolute path `abs` (of the target system) with
  /// `content`: parents created 0755, temp file + fsync + rename.
  virtual Result<void> write(const std::string& abs, const std::string& content, unsigned mode) = 0;
  /// Removes `abs`; a missing file is not an error. A directory named as
  /// temp_path_for() names things (a killed write's staging directory) is
  /// removed with its contents.
  virtual Result<void> remove(const std::string& abs) = 0;
  /// Removes the directory `abs` if it is empty; a missing or non-empty
  /// directory is not an error (someone else put something there).
  virtual Result<void> remove_dir(const std::string& abs) = 0;

  /// Writes the partition table `plan` describes (one commit). Host path.
  virtual Result<void> commit_partition(const device::PartitionPlan& plan,
                                        std::vector<std::string>& messages) = 0;
  /// Deletes partition `number` of `disk` after checking its PARTUUID.
  virtual Result<void> delete_partition(const std::string& disk, int number,
                                        const std::string& uuid) = 0;
  /// device::rewrite_table: write the table again, consistent.
  virtual Result<void> rewrite_table(const std::string& disk) = 0;
  /// device::wipe_range: erase signatures in a range and zero its start.
  virtual Result<std::vector<device::Signature>> wipe(const std::string& path, std::uint64_t offset,
                                                      std::uint64_t size, std::uint64_t zero_bytes,
                                                      bool exclusive) = 0;
};

/// The temporary file a real write of `abs` uses (and a crash may leave).
std::string temp_path_for(const std::string& abs);

/// Writes below `root` ("/" for the running system); disks by host path.
class RealWriter final : public Writer {
 public:
  explicit RealWriter(std::string root);
  Result<void> write(const std::string& abs, const std::string& content, unsigned mode) override;
  Result<void> remove(const std::string& abs) override;
  Result<void> remove_dir(const std::string& abs) override;
  Result<void> commit_partition(const device::PartitionPlan& plan,
                                std::vector<std::string>& messages) override;
  Result<void> delete_partition(const std::string& disk, int number,
                                const std::string& uuid) override;
  Result<void> rewrite_table(const std::string& disk) override;
  Result<std::vector<device::Signature>> wipe(const std::string& path, std::uint64_t offset,
                                              std::uint64_t size, std::uint64_t zero_bytes,
                                              bool exclusive) override;

 private:
  std::string root_;
};

/// Records one line per action ("write /etc/x (12 bytes)", "create partition
/// 2 on disk.img", ...) in `actions`, or in a log shared with a
/// DryRunRunner so the two keep their order; never fails.
class DryRunWriter final : public Writer {
 public:
  DryRunWriter() : log_(&actions) {}
  explicit DryRunWriter(std::vector<std::string>& shared) : log_(&shared) {}
  Result<void> write(const std::string& abs, const std::string& content, unsigned mode) override;
  Result<void> remove(const std::string& abs) override;
  Result<void> remove_dir(const std::string& abs) override;
  Result<void> commit_partition(const device::PartitionPlan& plan,
                                std::vector<std::string>& messages) override;
  Result<void> delete_partition(const std::string& disk, int number,
                                const std::string& uuid) override;
  Result<void> rewrite_table(const std::string& disk) override;
  Result<std::vector<device::Signature>> wipe(const std::string& path, std::uint64_t offset,
                                              std::uint64_t size, std::uint64_t zero_bytes,
                                              bool exclusive) override;
  std::vector<std::string> actions;

 private:
  std::vector<std::string>* log_;
};

}  // namespace psb::sysconf
