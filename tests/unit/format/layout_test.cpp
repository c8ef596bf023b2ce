#include "pstore_blk/format/layout.hpp"

#include "psb_catch.hpp"

using namespace psb::format;

TEST_CASE("worked example (docs/FORMAT.md 3): 1 GiB, 64 KiB everything, 8 CPUs",
          "[format][layout]") {
  auto l = ZoneLayout::from_kib(1ull << 30, 64, 64, 64, 64, 8);
  auto s = compute_slots(l);
  REQUIRE(s.has_value());
  REQUIRE(s->size() == 1 + 1 + 8 + 2045);
  CHECK((*s)[0].type == RecordType::kPmsg);
  CHECK((*s)[0].offset == 0);
  CHECK((*s)[1].type == RecordType::kConsole);
  CHECK((*s)[1].offset == 0x10000);
  CHECK((*s)[2].type == RecordType::kFtrace);
  CHECK((*s)[2].offset == 0x20000);
  CHECK((*s)[3].offset == 0x20000 + 0x2000);
  CHECK((*s)[2].size == 8192);
  CHECK((*s)[10].type == RecordType::kDmesg);
  CHECK((*s)[10].offset == 0x30000);
  CHECK(s->back().index == 2044);
  CHECK(s->back().offset + s->back().size == 128ull << 20);
}

TEST_CASE("ftrace zones of F/n bytes leave the kmsg area unaligned", "[format][layout]") {
  auto l = ZoneLayout::from_kib(8 << 20, 64, 64, 64, 64, 6);
  auto s = compute_slots(l);
  REQUIRE(s.has_value());
  const ZoneSlot* first_kmsg = nullptr;
  for (const auto& z : *s)
    if (z.type == RecordType::kDmesg) {
      first_kmsg = &z;
      break;
    }
  REQUIRE(first_kmsg);
  CHECK(first_kmsg->offset == 196604);  // 128 KiB + 6 * 10922
  // The count uses the nominal ftrace size: (8M - 192K) / 64K = 125.
  CHECK(s->back().index == 124);
}

TEST_CASE("pstore_blk's KiB normalisation, including its ALIGN bug", "[format][layout]") {
  CHECK(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1).kmsg_size == 65536);
  CHECK(ZoneLayout::from_kib(1 << 20, 6, 0, 0, 0, 1).kmsg_size == 4096);
  CHECK(ZoneLayout::from_kib(1 << 20, 10, 0, 0, 0, 1).kmsg_size == 4096);
  CHECK(ZoneLayout::from_kib(1 << 20, 4098, 0, 0, 0, 1).kmsg_size == 8192);
  CHECK(ZoneLayout::from_kib(1 << 20, 64, -1, 0, -5, 1).pmsg_size == 0);
}

TEST_CASE("register_pstore_zone's size checks", "[format][layout]") {
  CHECK_FALSE(compute_slots(ZoneLayout::from_kib(2048, 4, 0, 0, 0, 1)).has_value());
  CHECK_FALSE(compute_slots(ZoneLayout::from_kib(4096 * 3 + 512, 4, 0, 0, 0, 1)).has_value());
  CHECK_FALSE(compute_slots(ZoneLayout::from_kib(1 << 20, 0, 0, 0, 0, 1)).has_value());
  // Front zones larger than the device: "no room".
  CHECK_FALSE(compute_slots(ZoneLayout::from_kib(64 << 10, 64, 128, 0, 0, 1)).has_value());
  // Less room than one kmsg zone: "total_size too small".
  CHECK_FALSE(compute_slots(ZoneLayout::from_kib(96 << 10, 64, 64, 0, 0, 1)).has_value());
  // The 128 MiB cap.
  auto s = compute_slots(ZoneLayout::from_kib(1ull << 40, 64, 0, 0, 0, 1));
  REQUIRE(s.has_value());
  CHECK(s->size() == 2048);
}
