// Kernel names of partition nodes. The kernel appends the partition number to
// the disk's name, with a 'p' in between when the disk's name ends in a digit
// (block/partitions/core.c, bdev_add_partition -> dev_set_name "%sp%d"):
// vda -> vda3, sda -> sda1, nvme0n1 -> nvme0n1p9, mmcblk0 -> mmcblk0p3,
// loop0 -> loop0p1.
#pragma once

#include <optional>
#include <string>
#include <utility>

namespace psb::device {

/// "/dev/nvme0n1", 9 -> "/dev/nvme0n1p9"; "/dev/vda", 3 -> "/dev/vda3".
std::string partition_node(const std::string& disk, int number);

/// The inverse: "/dev/nvme0n1p9" -> {"/dev/nvme0n1", 9}, "/dev/vda3" ->
/// {"/dev/vda", 3}, "/dev/mmcblk0p3" -> {"/dev/mmcblk0", 3}. nullopt when
/// there is no trailing number (or it is 0). Only the name is looked at: the
/// caller checks that the disk exists ("/dev/nvme0n1" splits into
/// "/dev/nvme0n" and 1, which is no device).
std::optional<std::pair<std::string, int>> split_partition_node(const std::string& path);

}  // namespace psb::device
