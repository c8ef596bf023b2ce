// What the running kernel says about a block device (or that it is an image
// file): its kernel name and disk, size, read-only flag, holders, mounts and
// swap. Read from /proc and /sys through an io::RootFs; nothing changes.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "pstore_blk/io/rootfs.hpp"

namespace psb::device {

/// Facts about the DEVICE given to check/setup that come from /proc and /sys.
struct DeviceFacts {
  std::string path;   ///< as given
  std::string kname;  ///< kernel name (vda2), empty for image files
  bool exists = false;
  bool is_block = false;
  bool is_partition = false;  ///< /sys/class/block/<kname>/partition exists
  int partno = 0;
  std::string parent;      ///< whole-disk kernel name for a partition
  std::uint64_t size = 0;  ///< bytes
  bool read_only = false;
  std::vector<std::string> mounted_at;
  std::vector<std::string> holders;
  bool swap = false;
  /// Whole disks: "vda1 on /" for each mounted partition of the disk. Not a
  /// reason to refuse (setup adds a partition with BLKPG), but worth saying.
  std::vector<std::string> partitions_mounted;
};

/// Fills DeviceFacts for a block device or image file; the /proc and /sys
/// facts are read through `fs` (the live system for real devices).
DeviceFacts probe_device_facts(const io::RootFs& fs, const std::string& path);

/// `path` exists and is a block device (stat follows symlinks).
bool is_block_device(const std::string& path);

}  // namespace psb::device
