// Partition-table changes through libfdisk, planned in memory and committed
// once (util-linux libfdisk/samples/mkpart.c, sfdisk --no-act), plus the
// libblkid signature probe and wipe of a byte range. Every entry point takes a
// block device or an image file.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/result.hpp"

namespace psb::device {

/// GPT type of a new pstore partition: "Linux reserved", so nothing
/// automounts or formats it; MBR type 0xda "Non-FS data".
inline constexpr const char* kGptPstoreType = "8DA63339-0007-60C0-C436-083AC8230908";
inline constexpr unsigned kMbrPstoreType = 0xda;
inline constexpr const char* kPstorePartName = "pstore";

struct FreeRange {
  std::uint64_t start = 0;  ///< bytes
  std::uint64_t size = 0;   ///< bytes
};

/// A disk's table as libfdisk sees it (read-only): the PartitionTable plus
/// the disk's geometry and free space.
struct DiskLayout : PartitionTable {
  std::string path;
  std::uint64_t size = 0;  ///< bytes
  unsigned long sector_size = 512;
  bool is_block_device = false;
  std::vector<PartitionInfo> partitions;
  std::vector<FreeRange> free;        ///< aligned free ranges usable for a new partition
  std::vector<std::string> messages;  ///< libfdisk warnings/info, routed through fdisk_set_ask
};

Result<DiskLayout> read_layout(const std::string& path);

/// What to create.
struct NewPartition {
  std::optional<std::size_t> number;   ///< 1-based; unset: the first free number
  std::uint64_t size = 8ull << 20;     ///< bytes, multiple of the sector size
  std::string name = kPstorePartName;  ///< GPT name (ignored on MBR)
  /// Create a GPT label when the disk has none. The caller must have checked
  /// that the disk carries no signatures.
  bool create_gpt_if_blank = false;
};

/// One new partition planned in memory against a disk's current table.
/// create() never writes; commit() writes the table once.
class PartitionPlan {
 public:
  /// Places the partition in the first free range large enough (or checks
  /// the requested number), validates it and fixes its UUID so the caller
  /// can render configuration before commit. Errors: kNotFound (disk),
  /// kConflict (no free space, number used, overlap), kInvalidArgument.
  static Result<PartitionPlan> create(const std::string& disk, const NewPartition& req);

  /// The partition as it will be: number, start, size, uuid (PARTUUID), name, type.
  const PartitionInfo& partition() const { return part_; }
  const DiskLayout& before() const { return before_; }
  const std::string& disk() const { return disk_; }
  bool creates_label() const { return creates_label_; }
  /// The whole resulting table as an sfdisk script (sfdisk --dump form).
  const std::string& script() const { return script_; }

  /// Opens the disk read-write, re-checks that the table is unchanged since
  /// create(), adds the partition and writes the table (fdisk_write_disklabel).
  /// On a block device the kernel is told with BLKPG (fdisk_reread_changes),
  /// which works while other partitions of the disk are mounted.
  /// `messages` receives libfdisk's info/warnings.
  Result<void> commit(std::vector<std::string>* messages = nullptr) const;

 private:
  std::string disk_;
  DiskLayout before_;
  PartitionInfo part_;
  bool creates_label_ = false;
  std::string script_;
};

/// Deletes partition `number` after checking its PARTUUID (case-insensitive)
/// equals `uuid`; tells the kernel on block devices.
Result<void> delete_partition(const std::string& disk, int number, const std::string& uuid);

/// Writes `disk`'s table again as libfdisk reads it (both GPT copies from
/// the one it trusts), so a table write that was killed half-way, leaving
/// one copy old or torn, ends consistent. A consistent table is rewritten
/// byte for byte. The kernel is told on block devices.
Result<void> rewrite_table(const std::string& disk);

/// A superblock signature found by libblkid in a byte range.
struct Signature {
  std::string type;          ///< "ext4", "swap", "linux_raid_member", "LVM2_member", ...
  std::string usage;         ///< "filesystem", "raid", "crypto", "other"
  std::uint64_t offset = 0;  ///< of the magic, relative to the range
};

/// All superblock signatures in [offset, offset+size) of `path`.
Result<std::vector<Signature>> probe_signatures(const std::string& path, std::uint64_t offset,
                                                std::uint64_t size);

/// Erases every signature in the range (blkid_do_wipe), then writes zeros
/// over its first `zero_bytes` so old bytes never look like pstore records.
/// Returns the signatures wiped. `exclusive` opens a block device with
/// O_EXCL (fails while mounted or claimed); pass false only for a range of a
/// whole disk whose other partitions may be in use.
Result<std::vector<Signature>> wipe_range(const std::string& path, std::uint64_t offset,
                                          std::uint64_t size, std::uint64_t zero_bytes,
                                          bool exclusive = true);

/// A PARTUUID (or disk GUID) as the kernel and udev's by-partuuid links
/// spell it: lower case. The one place that folds case, so every comparison
/// of PARTUUIDs (state file, table, modprobe.d) agrees.
std::string normalize_partuuid(std::string uuid);

/// The PARTUUID the kernel gives partition `number` of an MBR disk with
/// identifier `disk_id` ("0x1234abcd" -> "1234abcd-03").
std::string mbr_partuuid(const std::string& disk_id, int number);

/// The PARTUUID planned for a new partition on an existing GPT: derived from
/// the disk GUID, the partition number and its start, so a dry run and the
/// real run agree. Shaped as a version-4 UUID, lower case.
std::string derived_partuuid(const std::string& disk_id, std::size_t number, std::uint64_t start);

}  // namespace psb::device
