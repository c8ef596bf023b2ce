// Partition-table probing through libblkid, on block devices and image files
// alike, and the choice of the pstore partition inside a whole disk.
#pragma once

#include <algorithm>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/io/byte_source.hpp"
#include "pstore_blk/io/rootfs.hpp"
#include "pstore_blk/result.hpp"

namespace psb::device {

struct PartitionInfo {
  int number = 0;           ///< partition number as the kernel names it (sda<N>)
  std::uint64_t start = 0;  ///< bytes from the start of the disk
  std::uint64_t size = 0;   ///< bytes
  std::string name;         ///< GPT partition name (empty on MBR)
  std::string uuid;         ///< PARTUUID
  std::string type;         ///< GPT type GUID or MBR type "0x83"
};

/// A disk's partition table: the one model of it, whether libblkid read it
/// (probe_partitions) or libfdisk (read_layout, whose DiskLayout adds the
/// geometry and free space).
struct PartitionTable {
  std::string label;    ///< "gpt", "dos", ... or "" (no table)
  std::string disk_id;  ///< GPT disk GUID or MBR "0x1234abcd", lower case
  std::vector<PartitionInfo> partitions;
};

/// Reads the partition table of a disk image or device with libblkid
/// (read-only). An empty label means the source has no partition table.
/// With `size`, the source is probed as if it were that long (an image cut
/// short of the disk its table describes).
Result<PartitionTable> probe_partitions(const std::string& path,
                                        std::optional<std::uint64_t> size = std::nullopt);

/// Where a PARTUUID lives: the whole disk's node and the partition on it.
struct PartitionLocation {
  std::string disk;  ///< "/dev/nvme0n1" (a path of the system below the root)
  PartitionInfo partition;
};

/// Finds the partition whose PARTUUID is `uuid` (any case) on the disks
/// the kernel lists in /sys/block of `root`, reading each disk's partition
/// table from its node /dev/<name> with libblkid. Needs neither udev nor
/// the partitions' own nodes: the capture kernel's initramfs has neither,
/// and may name the disks in another order than the crashed kernel did.
/// Disks of size 0 are skipped. Exactly one partition must match: none is
/// Errc::kNotFound (naming the disks looked at and those that could not be
/// read), two or more (a cloned disk) Errc::kConflict.
Result<PartitionLocation> find_partition_by_uuid(const io::RootFs& root, const std::string& uuid);

/// The area the reader should parse: the whole source or one partition.
struct PstoreArea {
  std::unique_ptr<io::FileSource> file;
  std::unique_ptr<io::SliceSource> slice;  ///< set when a partition was chosen
  std::optional<PartitionInfo> partition;
  std::string pttype;
  std::string how;  ///< why this area was chosen, for the user
  /// The disk size the partition table records, when the image is shorter.
  std::optional<std::uint64_t> disk_size;

  /// Bytes of the chosen partition (or whole source) the file holds; less
  /// than its size when the image was cut short.
  std::uint64_t bytes_present() const {
    if (!partition) return file->size();
    const std::uint64_t end = file->size();
    return end <= partition->start ? 0 : std::min(partition->size, end - partition->start);
  }

  const io::ByteSource& source() const {
    return slice ? static_cast<const io::ByteSource&>(*slice) : *file;
  }
};

/// Opens SOURCE read-only and finds the pstore area: with `partition`, that
/// partition; else GPT name "pstore"; else the single partition whose first
/// bytes carry a pstore/zone signature; a source with no partition table is
/// taken as the pstore partition itself.
Result<PstoreArea> open_pstore_area(const std::string& path, std::optional<int> partition);

}  // namespace psb::device
