#include "pstore_blk/format/zone.hpp"

#include "psb_catch.hpp"
#include "zone_builder.hpp"

using namespace psb::format;
using psb::test::ImageBuilder;

namespace {
ZoneReport classify_whole(const ImageBuilder& b, RecordType t, unsigned idx, const Abi& abi) {
  const ZoneSlot& s = b.slot(t, idx);
  Bytes z(b.bytes().data() + s.offset, s.size);
  return classify_zone(s, z, abi);
}
}  // namespace

TEST_CASE("kmsg zone states follow psz_kmsg_recover_meta()", "[format][zone]") {
  const Abi abi = GENERATE(Abi::x86_64(), Abi::i386(), Abi::arm(), Abi::arm64(), Abi::arm64be(),
                           Abi::armeb(), Abi::ppc64());
  CAPTURE(abi.name);
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), abi);
  b.kmsg(0, 2, 1, 1700000000, "Oops#1 Part1\nhello\n", false);
  b.kmsg(1, 1, 1, 1700000001, "Panic#2 Part1\nbye\n", true);
  b.kmsg(2, 2, 2, 1700000002, "x", false).erase_kmsg(2);
  b.kmsg(3, 2, 3, 1700000003, "y", false);
  const std::uint64_t z3 = b.slot(RecordType::kDmesg, 3).offset;
  b.poke32(z3 + 12, 0xdeadbeef);  // kmsg magic
  b.kmsg(4, 2, 4, 1700000004, "z", false);
  const std::uint64_t z4 = b.slot(RecordType::kDmesg, 4).offset;
  b.poke32(z4 + 4, 65536);  // datalen > buffer_size
  b.kmsg(5, 2, 5, 1700000005, "w", false);
  b.poke32(b.slot(RecordType::kDmesg, 5).offset + 4, 0xffffffff);  // negative datalen
  b.kmsg(6, 2, 6, 1700000006, "v", false);
  b.poke32(b.slot(RecordType::kDmesg, 6).offset + 4, 20);  // shorter than the kmsg header

  auto r0 = classify_whole(b, RecordType::kDmesg, 0, abi);
  CHECK(r0.state == ZoneState::kOk);
  REQUIRE(r0.kmsg);
  CHECK(r0.kmsg->tv_sec == 1700000000);
  CHECK(r0.kmsg->tv_nsec == 123456789);
  CHECK(r0.kmsg->counter == 1);
  CHECK(r0.kmsg->reason == 2);
  CHECK(r0.kmsg->compressed == 0);
  auto r1 = classify_whole(b, RecordType::kDmesg, 1, abi);
  CHECK(r1.state == ZoneState::kOk);
  CHECK(r1.kmsg->compressed == 1);
  CHECK(r1.kmsg->reason == 1);
  CHECK(classify_whole(b, RecordType::kDmesg, 2, abi).state == ZoneState::kErased);
  CHECK(classify_whole(b, RecordType::kDmesg, 3, abi).state == ZoneState::kBadKmsgMagic);
  CHECK(classify_whole(b, RecordType::kDmesg, 4, abi).state == ZoneState::kOvertop);
  CHECK(classify_whole(b, RecordType::kDmesg, 5, abi).state == ZoneState::kOvertop);
  CHECK(classify_whole(b, RecordType::kDmesg, 6, abi).state == ZoneState::kCorrupt);
  CHECK(classify_whole(b, RecordType::kDmesg, 7, abi).state == ZoneState::kNoValidData);
}

TEST_CASE("a zone at the wrong slot has no valid data", "[format][zone]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 64, 0, 0, 1), Abi::x86_64());
  b.ring_write(RecordType::kPmsg, 0, "pmsg bytes");
  ZoneSlot wrong = b.slot(RecordType::kPmsg, 0);
  wrong.type = RecordType::kConsole;
  Bytes z(b.bytes().data(), wrong.size);
  CHECK(classify_zone(wrong, z, Abi::x86_64()).state == ZoneState::kNoValidData);
}

TEST_CASE("ring zone states follow psz_recover_zone()", "[format][zone]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 4, 4, 0, 1), Abi::x86_64());
  b.ring_write(RecordType::kPmsg, 0, "abc");
  b.ring_write(RecordType::kConsole, 0, "console");
  CHECK(classify_whole(b, RecordType::kPmsg, 0, Abi::x86_64()).state == ZoneState::kOk);
  const std::uint64_t c = b.slot(RecordType::kConsole, 0).offset;
  b.poke32(c + 8, 5000);  // start > buffer_size
  CHECK(classify_whole(b, RecordType::kConsole, 0, Abi::x86_64()).state == ZoneState::kOvertop);
  b.poke32(c + 8, 100);  // start > datalen (7)
  CHECK(classify_whole(b, RecordType::kConsole, 0, Abi::x86_64()).state == ZoneState::kCorrupt);
  b.poke32(c + 4, 0);
  b.poke32(c + 8, 0);
  CHECK(classify_whole(b, RecordType::kConsole, 0, Abi::x86_64()).state == ZoneState::kErased);
}

TEST_CASE("truncated zones are reported, not read past", "[format][zone]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
  b.kmsg(0, 2, 1, 1, std::string(1000, 'x'), false);
  const ZoneSlot& s = b.slot(RecordType::kDmesg, 0);
  for (std::size_t len : {0u, 5u, 11u, 12u, 30u, 51u}) {
    auto r = classify_zone(s, Bytes(b.bytes().data(), len), Abi::x86_64());
    CAPTURE(len);
    CHECK(r.state == ZoneState::kTruncated);
  }
  auto r = classify_zone(s, Bytes(b.bytes().data(), 500), Abi::x86_64());
  CHECK(r.state == ZoneState::kTruncated);
  r = classify_zone(s, Bytes(b.bytes().data(), 12 + 40 + 1000), Abi::x86_64());
  CHECK(r.state == ZoneState::kOk);
}
