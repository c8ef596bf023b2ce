// DeviceFacts of image files and missing paths (block devices need root and
// are covered by tests/integration/loop_test.sh).
#include "pstore_blk/device/facts.hpp"

#include <unistd.h>

#include <cstdlib>
#include <string>

#include "psb_catch.hpp"

using namespace psb::device;

TEST_CASE("probe_device_facts of an image file and of a missing path", "[device]") {
  char tmpl[] = "/tmp/psb-facts-XXXXXX";
  int fd = mkstemp(tmpl);
  REQUIRE(fd >= 0);
  REQUIRE(ftruncate(fd, 1 << 20) == 0);
  close(fd);
  const psb::io::RootFs live("/");
  DeviceFacts f = probe_device_facts(live, tmpl);
  CHECK(f.path == tmpl);
  CHECK(f.exists);
  CHECK_FALSE(f.is_block);
  CHECK_FALSE(f.is_partition);
  CHECK(f.size == (1u << 20));
  CHECK(f.kname.empty());
  CHECK_FALSE(is_block_device(tmpl));
  unlink(tmpl);
  DeviceFacts gone = probe_device_facts(live, tmpl);
  CHECK_FALSE(gone.exists);
  CHECK(gone.size == 0);
}
