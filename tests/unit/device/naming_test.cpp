// Partition node names: a 'p' before the number when the disk's name ends in
// a digit (NVMe, MMC, loop), none otherwise.
#include "pstore_blk/device/naming.hpp"

#include "psb_catch.hpp"

using psb::device::partition_node;
using psb::device::split_partition_node;

TEST_CASE("partition_node: NVMe, MMC and loop disks take a 'p'", "[device][naming]") {
  CHECK(partition_node("/dev/nvme0n1", 9) == "/dev/nvme0n1p9");
  CHECK(partition_node("/dev/nvme1n12", 2) == "/dev/nvme1n12p2");
  CHECK(partition_node("/dev/mmcblk0", 3) == "/dev/mmcblk0p3");
  CHECK(partition_node("/dev/loop0", 1) == "/dev/loop0p1");
  CHECK(partition_node("/dev/vda", 3) == "/dev/vda3");
  CHECK(partition_node("/dev/sda", 12) == "/dev/sda12");
}

TEST_CASE("split_partition_node inverts partition_node", "[device][naming]") {
  using P = std::pair<std::string, int>;
  CHECK(split_partition_node("/dev/nvme0n1p9") == P{"/dev/nvme0n1", 9});
  CHECK(split_partition_node("/dev/mmcblk0p3") == P{"/dev/mmcblk0", 3});
  CHECK(split_partition_node("/dev/vda3") == P{"/dev/vda", 3});
  CHECK(split_partition_node("/dev/sda12") == P{"/dev/sda", 12});
  for (const char* disk : {"/dev/nvme0n1", "/dev/mmcblk0", "/dev/vda", "/dev/sdb"})
    for (int n : {1, 9, 128}) CHECK(split_partition_node(partition_node(disk, n)) == P{disk, n});
}

TEST_CASE("split_partition_node rejects names without a partition number", "[device][naming]") {
  CHECK_FALSE(split_partition_node("/dev/vda"));
  CHECK_FALSE(split_partition_node("/dev/vda0"));
  CHECK_FALSE(split_partition_node("123"));
  CHECK_FALSE(split_partition_node("/dev/9"));
  CHECK_FALSE(split_partition_node(""));
  CHECK_FALSE(split_partition_node("/dev/sda99999999999"));  // no overflow into atoi
}
