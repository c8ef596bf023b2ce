// RootFs: every absolute path read below a root directory, read-only.
#include "pstore_blk/io/rootfs.hpp"

#include <filesystem>
#include <fstream>
#include <string>

#include "psb_catch.hpp"
#include "temp_dir.hpp"

using psb::io::RootFs;

TEST_CASE("RootFs reads files below its root", "[io]") {
  psb::test::TempDir tmp("psb-rootfs");
  const std::string root = tmp.path();
  std::filesystem::create_directories(root + "/proc/sys/kernel");
  std::ofstream(root + "/proc/sys/kernel/osrelease") << "6.1.0-28-amd64 \nsecond line\n";
  std::ofstream(root + "/proc/b");
  RootFs fs(root + "//");
  CHECK(fs.root() == root);
  CHECK_FALSE(fs.is_live());
  CHECK(fs.host_path("/proc/b") == root + "/proc/b");
  CHECK(fs.read_line("/proc/sys/kernel/osrelease") == "6.1.0-28-amd64");
  CHECK(fs.read("/proc/b") == "");
  CHECK_FALSE(fs.read("/proc/missing"));
  CHECK(fs.exists("/proc/b"));
  CHECK(fs.is_dir("/proc/sys"));
  CHECK(fs.list("/proc") == std::vector<std::string>{"b", "sys"});
  CHECK(fs.list("/nowhere").empty());
  CHECK(RootFs("").is_live());
  CHECK(RootFs("/").host_path("/etc") == "/etc");
}
