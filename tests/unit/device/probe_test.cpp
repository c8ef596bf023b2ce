#include "pstore_blk/device/probe.hpp"

#include "psb_catch.hpp"
TEST_CASE("probe of a missing file fails with the path", "[device]") {
  auto r = psb::device::probe_partitions("/nonexistent/disk.img");
  REQUIRE_FALSE(r.has_value());
}
