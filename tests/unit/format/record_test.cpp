#include "pstore_blk/format/record.hpp"

#include "psb_catch.hpp"
#include "zone_builder.hpp"

using namespace psb::format;
using psb::test::ImageBuilder;

namespace {
std::optional<Record> dmesg(const ImageBuilder& b, unsigned idx, const Abi& abi,
                            bool erased = false) {
  const ZoneSlot& s = b.slot(RecordType::kDmesg, idx);
  Bytes z(b.bytes().data() + s.offset, s.size);
  DecodeOptions o;
  o.include_erased = erased;
  return decode_dmesg(classify_zone(s, z, abi), z, abi, o);
}
}  // namespace

TEST_CASE("uncompressed dmesg gets psz_kmsg_read()'s Total line", "[format][record]") {
  const Abi abi = GENERATE(Abi::x86_64(), Abi::i386(), Abi::arm64be());
  CAPTURE(abi.name);
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 16, 0, 0, 0, 1), abi);
  b.kmsg(3, 2, 7, 1700000000, "Oops#7 Part1\n<4>[    1.000000] boom\n", false);
  b.kmsg(4, 1, 2, 1700000000, "Panic#8 Part1\n", false);
  b.kmsg(5, 4, 0, 1700000000, "Shutdown#9 Part1\n", false);
  auto r = dmesg(b, 3, abi);
  REQUIRE(r);
  CHECK(r->name == "dmesg-pstore_blk-3");
  CHECK(r->content == "Oops: Total 7 times\nOops#7 Part1\n<4>[    1.000000] boom\n");
  CHECK(dmesg(b, 4, abi)->content == "Panic: Total 2 times\nPanic#8 Part1\n");
  CHECK(dmesg(b, 5, abi)->content == "Shutdown: Total 0 times\nShutdown#9 Part1\n");
}

TEST_CASE("counter prints as a signed int like %d", "[format][record]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 16, 0, 0, 0, 1), Abi::x86_64());
  b.kmsg(0, 2, 0x80000000u, 1, "x", false);
  CHECK(dmesg(b, 0, Abi::x86_64())->content == "Oops: Total -2147483648 times\nx");
}

TEST_CASE("compressed dmesg inflates without a Total line", "[format][record]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
  const std::string text = psb::test::fake_log(1, 500);
  b.kmsg(0, 2, 1, 1700000000, text, true);
  auto r = dmesg(b, 0, Abi::x86_64());
  REQUIRE(r);
  CHECK(r->compressed);
  CHECK(r->decompressed);
  CHECK(r->state == ZoneState::kOk);
  CHECK(r->content == text);
}

TEST_CASE("a payload that does not inflate stays .enc.z and is salvaged", "[format][record]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
  const std::string text = psb::test::fake_log(2, 300);
  b.kmsg(0, 2, 1, 1700000000, text, true);
  const ZoneSlot& s = b.slot(RecordType::kDmesg, 0);
  // Cut the stream: datalen covers only half the payload.
  std::uint32_t datalen = 0;
  std::memcpy(&datalen, b.bytes().data() + s.offset + 4, 4);
  const std::uint32_t half = 40 + (datalen - 40) / 2;
  b.poke32(s.offset + 4, half);
  auto r = dmesg(b, 0, Abi::x86_64());
  REQUIRE(r);
  CHECK(r->name == "dmesg-pstore_blk-0.enc.z");
  CHECK(r->state == ZoneState::kDecompressFailed);
  CHECK(r->content.size() == half - 40);
  CHECK_FALSE(r->salvaged.empty());
  CHECK(text.compare(0, r->salvaged.size(), r->salvaged) == 0);
}

TEST_CASE("erased records come back only on request", "[format][record]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
  const std::string text = psb::test::fake_log(3, 100);
  b.kmsg(0, 2, 4, 1700000000, text, true).erase_kmsg(0);
  b.kmsg(1, 2, 5, 1700000000, "Oops#5 Part1\nplain\n", false).erase_kmsg(1);
  CHECK_FALSE(dmesg(b, 0, Abi::x86_64()));
  auto r = dmesg(b, 0, Abi::x86_64(), true);
  REQUIRE(r);
  CHECK(r->erased);
  CHECK(r->name == "dmesg-pstore_blk-0.erased");
  CHECK(r->content == text);
  auto u = dmesg(b, 1, Abi::x86_64(), true);
  REQUIRE(u);
  CHECK(u->content == "Oops: Total 5 times\nOops#5 Part1\nplain\n");
}

TEST_CASE("rings linearise oldest first, wrapped or not", "[format][record]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 4, 4, 0, 1), Abi::x86_64());
  b.ring_write(RecordType::kPmsg, 0, "first ");
  b.ring_write(RecordType::kPmsg, 0, "second");
  std::string all;
  for (int i = 0; i < 400; ++i) {
    std::string line = "console line " + std::to_string(i) + "\n";
    all += line;
    b.ring_write(RecordType::kConsole, 0, line);
  }
  auto ring = [&](RecordType t) {
    const ZoneSlot& s = b.slot(t, 0);
    Bytes z(b.bytes().data() + s.offset, s.size);
    return decode_ring(classify_zone(s, z, Abi::x86_64()), z);
  };
  auto p = ring(RecordType::kPmsg);
  REQUIRE(p);
  CHECK(p->name == "pmsg-pstore_blk-0");
  CHECK(p->content == "first second");
  auto c = ring(RecordType::kConsole);
  REQUIRE(c);
  CHECK(c->name == "console-pstore_blk-0");
  CHECK(c->content.size() == 4096 - 12);
  CHECK(all.substr(all.size() - c->content.size()) == c->content);
}
