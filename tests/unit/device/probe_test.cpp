#include "pstore_blk/device/probe.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "psb_catch.hpp"
#include "temp_dir.hpp"

TEST_CASE("probe of a missing file fails with the path", "[device]") {
  auto r = psb::device::probe_partitions("/nonexistent/disk.img");
  REQUIRE_FALSE(r.has_value());
}

namespace {

// A system root with /sys/block/<name>/size and /dev/<name> for each disk;
// a disk's node is an image file that sfdisk partitions.
struct FakeDisks {
  psb::test::TempDir dir{"psb-disks"};
  void disk(const std::string& name, const std::string& sfdisk_script) const {
    std::filesystem::create_directories(dir.path() + "/sys/block/" + name);
    std::filesystem::create_directories(dir.path() + "/dev");
    std::ofstream(dir.path() + "/sys/block/" + name + "/size") << "65536\n";
    const std::string node = dir.path() + "/dev/" + name;
    REQUIRE(std::system(("truncate -s 32M " + node).c_str()) == 0);
    const std::string cmd =
        "printf '" + sfdisk_script + "' | sfdisk -q " + node + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }
  psb::io::RootFs root() const { return psb::io::RootFs(dir.path()); }
};

const std::string kData = "11111111-2222-3333-4444-555555555555";
const std::string kPstore = "0fc63daf-aaaa-bbbb-cccc-ddddeeeeffff";
const std::string kTwoParts =
    "label: gpt\\nsize=8MiB, uuid=" + kData + "\\nsize=8MiB, uuid=" + kPstore + "\\n";

}  // namespace

TEST_CASE("find_partition_by_uuid finds the disk and partition whatever the disks are called",
          "[device]") {
  FakeDisks d;
  d.disk("vda", "label: gpt\\nsize=8MiB\\n");
  d.disk("vdb", kTwoParts);
  // Sysfs lists disks with nothing behind them (an unused loop device): skipped.
  std::filesystem::create_directories(d.dir.path() + "/sys/block/loop0");
  std::ofstream(d.dir.path() + "/sys/block/loop0/size") << "0\n";
  auto loc = psb::device::find_partition_by_uuid(d.root(), "0FC63DAF-AAAA-BBBB-CCCC-DDDDEEEEFFFF");
  REQUIRE(loc);
  CHECK(loc->disk == "/dev/vdb");
  CHECK(loc->partition.number == 2);
  CHECK(loc->partition.start == (1u << 20) + (8u << 20));
  CHECK(loc->partition.size == (8u << 20));
}

TEST_CASE("find_partition_by_uuid refuses a missing PARTUUID and a cloned disk", "[device]") {
  FakeDisks d;
  d.disk("vda", kTwoParts);
  SECTION("missing: the message names the disks read and those that could not be") {
    std::filesystem::create_directories(d.dir.path() + "/sys/block/sr0");  // no node below /dev
    auto loc =
        psb::device::find_partition_by_uuid(d.root(), "99999999-2222-3333-4444-555555555555");
    REQUIRE_FALSE(loc);
    INFO(loc.error().message());
    CHECK(loc.error().code == psb::Errc::kNotFound);
    CHECK(loc.error().message().find("disks read: vda") != std::string::npos);
    CHECK(loc.error().message().find("not readable: sr0") != std::string::npos);
  }
  SECTION("two disks hold it") {
    d.disk("sda", kTwoParts);
    auto loc = psb::device::find_partition_by_uuid(d.root(), kPstore);
    REQUIRE_FALSE(loc);
    CHECK(loc.error().code == psb::Errc::kConflict);
    CHECK(loc.error().message().find("/dev/sda partition 2, /dev/vda partition 2") !=
          std::string::npos);
  }
}
