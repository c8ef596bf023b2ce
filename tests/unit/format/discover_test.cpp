#include "pstore_blk/format/discover.hpp"

#include "psb_catch.hpp"
#include "zone_builder.hpp"

using namespace psb::format;
using psb::test::ImageBuilder;

namespace {
DiscoveredLayout discover(const std::vector<std::byte>& img, Endian e,
                          std::optional<Abi> abi = std::nullopt) {
  std::vector<SigHit> hits;
  find_signatures(Bytes(img), 0, img.size(), e, hits);
  return discover_layout(hits, img.size(), abi);
}
}  // namespace

TEST_CASE("discovery finds kmsg-only layouts", "[format][discover]") {
  const long kib = GENERATE(16L, 64L, 128L);
  CAPTURE(kib);
  ImageBuilder b(ZoneLayout::from_kib(2 << 20, kib, 0, 0, 0, 1), Abi::x86_64());
  b.kmsg(0, 2, 1, 100, "a", true).kmsg(1, 2, 2, 101, "b", false).kmsg(2, 2, 3, 102, "c", true);
  auto d = discover(b.bytes(), Endian::kLittle);
  CHECK(d.found);
  CHECK(d.layout.kmsg_size == static_cast<std::uint64_t>(kib) * 1024);
  CHECK(d.layout.pmsg_size == 0);
  CHECK(d.layout.console_size == 0);
  CHECK(d.abi.name == "x86_64");
}

TEST_CASE("discovery finds ring zones in front of the kmsg area", "[format][discover]") {
  const unsigned cpus = GENERATE(1u, 2u, 6u);
  CAPTURE(cpus);
  ZoneLayout l = ZoneLayout::from_kib(4 << 20, 32, 16, 8, 64, cpus);
  ImageBuilder b(l, Abi::x86_64());
  b.ring_write(RecordType::kPmsg, 0, "pmsg");
  b.ring_write(RecordType::kConsole, 0, "console");
  for (unsigned c = 0; c < cpus; ++c) b.ftrace(c, 10 + c, 0xffffffff81000000, 0xffffffff81000100);
  b.kmsg(0, 2, 1, 100, "a", true).kmsg(1, 2, 2, 101, "b", true);
  auto d = discover(b.bytes(), Endian::kLittle);
  CHECK(d.layout.pmsg_size == l.pmsg_size);
  CHECK(d.layout.console_size == l.console_size);
  CHECK(d.layout.kmsg_size == l.kmsg_size);
  CHECK(d.layout.nr_cpus == cpus);
  auto got = compute_slots(d.layout);
  auto want = compute_slots(l);
  REQUIRE(got.has_value());
  REQUIRE(want.has_value());
  // Every zone with data sits where the kernel put it.
  for (const auto& w : *want) {
    if (w.type == RecordType::kDmesg && w.index > 1) break;
    bool same = false;
    for (const auto& g : *got)
      same |= (g.type == w.type && g.index == w.index && g.offset == w.offset);
    CAPTURE(static_cast<int>(w.type), w.index, w.offset);
    CHECK(same);
  }
}

TEST_CASE("the ABI is guessed from the kmsg header shape", "[format][discover]") {
  auto [abi, e] =
      GENERATE(std::pair{Abi::i386(), Endian::kLittle}, std::pair{Abi::x86_64(), Endian::kLittle},
               std::pair{Abi::ppc64(), Endian::kBig});
  CAPTURE(abi.name);
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), abi);
  b.kmsg(0, 2, 1, 1700000000, "a", true).kmsg(1, 2, 2, 1700000100, "b", true);
  auto d = discover(b.bytes(), e);
  CHECK(d.abi.kmsg_header_size == abi.kmsg_header_size);
  CHECK(d.abi.endian == abi.endian);
}

TEST_CASE("an image without signatures is reported as such", "[format][discover]") {
  std::vector<std::byte> zeros(1 << 20);
  auto d = discover(zeros, Endian::kLittle);
  CHECK_FALSE(d.found);
  std::vector<std::byte> ff(1 << 20, std::byte{0xff});
  CHECK_FALSE(discover(ff, Endian::kLittle).found);
}
