// io::scan_records: records stream to their destination in pieces, the
// stored payload and the decoded content agree with the in-memory decoder,
// and hostile zones (a deflate bomb, invalid headers) are bounded and
// reported, never dropped.
#include "pstore_blk/io/reader.hpp"

#include <map>

#include "counting_source.hpp"
#include "psb_catch.hpp"
#include "zone_builder.hpp"

using namespace psb;
using namespace psb::format;
using psb::test::ImageBuilder;

namespace {

struct Seen {
  Record rec;
  std::string content;
  std::size_t pieces = 0;
  std::size_t largest_piece = 0;
  BodyOutcome outcome;
  std::string stored;
};

std::map<std::string, Seen> scan(const std::vector<std::byte>& img, const io::ReadOptions& o,
                                 io::ScanSummary* sum_out = nullptr) {
  io::MemorySource src(img);
  std::map<std::string, Seen> out;
  auto sum = io::scan_records(src, o, [&](io::RecordStream& rs) {
    Seen s;
    auto r = rs.decode([&](std::string_view p) {
      s.content.append(p);
      ++s.pieces;
      s.largest_piece = std::max(s.largest_piece, p.size());
      return true;
    });
    REQUIRE(r);
    s.outcome = *r;
    REQUIRE(rs.stored([&](std::string_view p) {
      s.stored.append(p);
      return true;
    }));
    s.rec = rs.record();
    out[s.rec.name] = std::move(s);
  });
  REQUIRE(sum);
  if (sum_out) *sum_out = std::move(*sum);
  return out;
}

io::ReadOptions forced(long kmsg_kib) {
  io::ReadOptions o;
  o.abi = Abi::x86_64();
  o.layout.kmsg_kib = kmsg_kib;
  return o;
}

}  // namespace

TEST_CASE("a large compressed record streams in bounded pieces", "[io][reader]") {
  // 4 MiB zones: the text inflates to ~6 MiB, handed over 64 KiB at a time.
  ImageBuilder b(ZoneLayout::from_kib(8 << 20, 4096, 0, 0, 0, 1), Abi::x86_64());
  std::string text;
  for (unsigned i = 0; text.size() < (6u << 20); ++i) text += psb::test::fake_log(i, 5);
  b.kmsg(0, 2, 1, 1700000000, text, true);
  auto seen = scan(b.bytes(), forced(4096));
  REQUIRE(seen.count("dmesg-pstore_blk-0"));
  const Seen& s = seen["dmesg-pstore_blk-0"];
  CHECK(s.outcome.status == InflateStatus::kOk);
  CHECK(s.content == text);
  CHECK(s.rec.size == text.size());
  CHECK(s.rec.decompressed);
  CHECK(s.largest_piece <= 64 * 1024);
  CHECK(s.pieces > 90);
  // stored() gives the payload as on disk: it inflates to the same text.
  CHECK(inflate_raw(as_bytes(s.stored), 64u << 20).out == text);
}

TEST_CASE("a deflate bomb stops at 3 x buffer_size and becomes .enc.z", "[io][reader]") {
  // 1 MiB zone of compressed zeros: inflating would give far more than the
  // kernel's 3 * buffer_size; output stops there and the record is .enc.z.
  ImageBuilder b(ZoneLayout::from_kib(2 << 20, 1024, 0, 0, 0, 1), Abi::x86_64());
  const std::string zeros(64u << 20, '\0');
  b.kmsg(0, 2, 1, 1700000000, zeros, true);
  io::ScanSummary sum;
  auto seen = scan(b.bytes(), forced(1024), &sum);
  REQUIRE(seen.count("dmesg-pstore_blk-0.enc.z"));
  const Seen& s = seen["dmesg-pstore_blk-0.enc.z"];
  const std::uint64_t limit = 3 * ((1u << 20) - 12);
  CHECK(s.outcome.status == InflateStatus::kOutputLimit);
  CHECK(s.content.size() == limit);
  CHECK(s.rec.salvaged_size == limit);
  CHECK(s.rec.size == s.stored.size());
  CHECK(s.rec.state == ZoneState::kDecompressFailed);
  CHECK(sum.zones[0].state == ZoneState::kDecompressFailed);
}

TEST_CASE("a sink that refuses more stops the record early", "[io][reader]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 256, 0, 0, 0, 1), Abi::x86_64());
  std::string text;
  for (unsigned i = 0; text.size() < 400000; ++i) text += psb::test::fake_log(i, 3);
  b.kmsg(0, 2, 1, 1700000000, text, true);
  io::MemorySource src(b.bytes());
  std::size_t got = 0;
  auto sum = io::scan_records(src, forced(256), [&](io::RecordStream& rs) {
    auto r = rs.decode([&](std::string_view p) {
      got += p.size();
      return false;
    });
    REQUIRE(r);
    CHECK(r->status == InflateStatus::kStopped);
  });
  REQUIRE(sum);
  CHECK(got > 0);
  CHECK(got <= 64 * 1024);
}

TEST_CASE("invalid zone headers are listed as corrupt, the others still read", "[io][reader]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
  for (unsigned i = 0; i < 6; ++i)
    b.kmsg(i, 2, i + 1, 1700000000 + i, psb::test::fake_log(i), true);
  const auto& slots = b.slots();
  b.poke32(slots[1].offset + 4, 0xFFFFFFF0u);  // datalen -16
  b.poke32(slots[3].offset + 4, 0x7FFFFFF0u);  // datalen far past the zone
  for (const io::ReadOptions& o : {forced(64), io::ReadOptions{}}) {
    io::ScanSummary sum;
    auto seen = scan(b.bytes(), o, &sum);
    CAPTURE(o.layout.any());
    CHECK(seen.size() == 4);
    REQUIRE(sum.zones.size() >= 6);
    CHECK(sum.zones[1].state == ZoneState::kOvertop);
    CHECK(sum.zones[3].state == ZoneState::kOvertop);
    CHECK(is_damaged(sum.zones[1].state));
    CHECK(sum.zones[1].slot.offset == slots[1].offset);
    CHECK(seen.count("dmesg-pstore_blk-5"));
  }
}

TEST_CASE("one zone with a huge datalen does not fail the read", "[io][reader]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
  b.kmsg(0, 2, 1, 1700000000, "Oops#1 Part1\n", false);
  b.poke32(b.slots()[0].offset + 4, 0x7FFFFFF0u);
  io::ScanSummary sum;
  auto seen = scan(b.bytes(), io::ReadOptions{}, &sum);
  CHECK(seen.empty());
  CHECK(sum.signatures_found);
  REQUIRE(!sum.zones.empty());
  CHECK(sum.zones[0].state == ZoneState::kOvertop);
}

TEST_CASE("scan_partition keeps content up to its limit", "[io][reader]") {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 256, 0, 0, 0, 1), Abi::x86_64());
  std::string text;
  for (unsigned i = 0; text.size() < 300000; ++i) text += psb::test::fake_log(i, 3);
  b.kmsg(0, 2, 1, 1700000000, text, true);
  io::MemorySource src(b.bytes());
  io::ReadOptions o = forced(256);
  o.content_limit = 1000;
  std::vector<Record> recs;
  auto sum = io::scan_partition(src, o, [&](Record&& r) { recs.push_back(std::move(r)); });
  REQUIRE(sum);
  REQUIRE(recs.size() == 1);
  CHECK(recs[0].content == text.substr(0, 1000));
  CHECK(recs[0].size == text.size());
  CHECK(recs[0].detail.find("up to 1000 bytes") != std::string::npos);
  o.keep_content = false;
  recs.clear();
  REQUIRE(io::scan_partition(src, o, [&](Record&& r) { recs.push_back(std::move(r)); }));
  CHECK(recs[0].content.empty());
  CHECK(recs[0].size == text.size());
}

TEST_CASE("the zone pass reads what the records need, not whole zones", "[io][reader]") {
  // 64 zones of 64 KiB holding a few KiB each: after discovery has read the
  // partition once, the zone pass reads each zone's header and payload
  // (rounded to 4 KiB), in one read per zone once the first has shown the
  // size; a larger record later is still read whole.
  const std::size_t zones = 64, zone = 64 * 1024;
  ImageBuilder b(ZoneLayout::from_kib(zones * zone, 64, 0, 0, 0, 1), Abi::x86_64());
  std::map<std::string, std::string> texts;
  for (unsigned i = 0; i < zones; ++i) {
    // Zone 50 holds 40 KiB of plain text, more than any zone before.
    std::string text = psb::test::fake_log(i, i == 50 ? 400 : 40);
    b.kmsg(i, 2, i + 1, 1700000000 + i, text, i % 2 == 0 && i != 50);
    texts["dmesg-pstore_blk-" + std::to_string(i)] = text;
  }
  io::ReadOptions o;  // layout discovered
  io::MemorySource mem(b.bytes());
  psb::test::CountingSource plain(mem);
  std::map<std::string, std::string> got;
  auto sum = io::scan_records(plain, o, [&](io::RecordStream& rs) {
    std::string s;
    REQUIRE(rs.decode([&](std::string_view p) {
      s.append(p);
      return true;
    }));
    got[rs.record().name] = s;
  });
  REQUIRE(sum);
  REQUIRE(got.size() == texts.size());
  for (const auto& [name, text] : texts) {
    // The whole text, after the "Oops: Total N times" line the kernel
    // puts before uncompressed records.
    CAPTURE(name);
    const std::string& g = got[name];
    REQUIRE(g.size() >= text.size());
    CHECK(g.substr(g.size() - text.size()) == text);
    CHECK(g.size() - text.size() <= 24);
  }
  const std::uint64_t image = zones * zone;
  CAPTURE(plain.reads, plain.bytes);
  // Discovery reads the partition once; the zone pass reads far less again.
  CHECK(plain.bytes >= image);
  CHECK(plain.bytes - image < image / 4);
  CHECK(plain.reads <= image / (64 * 1024) + 1 + zones + 3);
}
