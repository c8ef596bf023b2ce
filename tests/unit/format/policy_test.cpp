// The zone policy: layout choice, the kernel's read order, mtimes, names
// and what counts as damaged.
#include "pstore_blk/format/policy.hpp"

#include "psb_catch.hpp"

using namespace psb::format;

TEST_CASE("read order is psz_read_next_zone()'s: kmsg, ftrace, pmsg, console", "[format][policy]") {
  auto slots = compute_slots(ZoneLayout::from_kib(1 << 20, 64, 64, 64, 64, 2));
  REQUIRE(slots);
  auto order = kernel_read_order(*slots);
  REQUIRE(order.size() == slots->size());
  std::vector<RecordType> types;
  for (auto i : order) types.push_back((*slots)[i].type);
  CHECK(types.front() == RecordType::kDmesg);
  CHECK(types[types.size() - 4] == RecordType::kFtrace);
  CHECK(types[types.size() - 3] == RecordType::kFtrace);
  CHECK(types[types.size() - 2] == RecordType::kPmsg);
  CHECK(types.back() == RecordType::kConsole);
}

TEST_CASE("plan_scan notes the 128 MiB cap and cut images", "[format][policy]") {
  ScanRequest req;
  req.layout.kmsg_kib = 64;
  auto big = plan_scan(200u << 20, {}, req);
  REQUIRE(big);
  CHECK(big->slots.size() == 2048);
  bool noted = false;
  for (const auto& n : big->notes) noted |= n.find("128 MiB") != std::string::npos;
  CHECK(noted);
  auto cut = plan_scan((1u << 20) + 100, {}, req);
  REQUIRE(cut);
  CHECK(cut->layout.total_size % 4096 == 0);
  CHECK(cut->notes.front().find("not a multiple of 4096") != std::string::npos);
}

TEST_CASE("mtime, .salvaged name and damage follow the kernel", "[format][policy]") {
  Record r;
  CHECK_FALSE(record_mtime(r));
  r.kmsg = KmsgHeader{};
  r.kmsg->tv_sec = 1700000000;
  r.kmsg->tv_nsec = 2000000000;  // out of range: 0
  REQUIRE(record_mtime(r));
  CHECK(record_mtime(r)->sec == 1700000000);
  CHECK(record_mtime(r)->nsec == 0);
  r.kmsg->tv_nsec = 5;
  CHECK(record_mtime(r)->nsec == 5);
  r.name = "dmesg-pstore_blk-3.enc.z";
  CHECK(salvaged_name(r) == "dmesg-pstore_blk-3.salvaged");
  CHECK(record_name(RecordType::kDmesg, 3, true, true) == "dmesg-pstore_blk-3.enc.z.erased");
  CHECK(is_damaged(ZoneState::kOvertop));
  CHECK(is_damaged(ZoneState::kDecompressFailed));
  CHECK_FALSE(is_damaged(ZoneState::kErased));
  CHECK_FALSE(is_damaged(ZoneState::kNoValidData));
}
