// Truncation and corruption sweeps on a real kernel-written image (ninja's
// DepsLogTest.Truncated): decoding never crashes, every zone gets the state
// the truncation or corruption implies, and undamaged zones decode exactly as
// in the whole image. Run under ASan+UBSan in CI.
#include <map>

#include "fixture_io.hpp"
#include "psb_catch.hpp"
#include "pstore_blk/io/reader.hpp"

using namespace psb;
using namespace psb::format;

namespace {

const char* kCase = "/fixtures/kernel/6.1.0-56-amd64-small-zones/image.bin.xz";

std::vector<std::byte> load_image() {
  return test::xz_decompress(test::read_file(test::source_dir() + kCase));
}

io::ReadOptions forced() {
  io::ReadOptions o;
  o.abi = Abi::x86_64();
  o.layout.kmsg_kib = 16;
  o.layout.pmsg_kib = 0;
  o.layout.console_kib = 0;
  o.layout.ftrace_kib = 0;
  o.layout.cpus = 1;
  return o;
}

struct Scan {
  io::ScanSummary sum;
  std::map<std::string, std::string> records;
};

// The partition keeps its size (the partition table says so); only the bytes
// after `img` are missing.
Scan scan(std::span<const std::byte> img, const io::ReadOptions& o, std::uint64_t claimed = 0) {
  io::MemorySource mem(img);
  io::SliceSource src(mem, 0, claimed ? claimed : img.size(), "prefix");
  Scan s;
  auto r = io::scan_partition(src, o, [&](Record&& rec) { s.records[rec.name] = rec.content; });
  REQUIRE(r.has_value());
  s.sum = std::move(*r);
  return s;
}

}  // namespace

TEST_CASE("truncation sweep: every prefix length of a kernel-written image", "[format][sweep]") {
  const auto img = load_image();
  REQUIRE(img.size() == 128 * 1024);
  const Scan full = scan(img, forced());
  REQUIRE(full.records.size() == 3);
  std::size_t checked = 0;
  for (std::size_t len = 0; len <= img.size(); ++len) {
    const Scan s = scan(std::span(img).first(len), forced(), img.size());
    REQUIRE(s.sum.zones.size() == full.sum.zones.size());
    for (std::size_t i = 0; i < s.sum.zones.size(); ++i) {
      const auto& z = s.sum.zones[i];
      const auto& f = full.sum.zones[i];
      const std::uint64_t end = z.slot.offset + z.slot.size;
      if (len >= end) {
        if (z.state != f.state) FAIL("zone " << i << " at prefix " << len);
        continue;
      }
      std::uint64_t need = z.slot.offset + 12;
      if (f.state == ZoneState::kOk && f.header)
        need = z.slot.offset + 12 + static_cast<std::uint64_t>(f.header->datalen);
      const ZoneState want = len < need ? ZoneState::kTruncated : f.state;
      if (z.state != want)
        FAIL("zone " << i << " prefix " << len << " state " << state_name(z.state));
    }
    // Records of complete zones are exactly the whole image's.
    for (const auto& [name, content] : s.records) {
      auto it = full.records.find(name);
      if (it != full.records.end() && it->second != content)
        FAIL(name << " differs at prefix " << len);
    }
    ++checked;
  }
  CHECK(checked == img.size() + 1);
}

TEST_CASE("corruption sweep: every byte of every header, flipped", "[format][sweep]") {
  auto img = load_image();
  const Scan full = scan(img, forced());
  for (const auto& z : full.sum.zones) {
    if (z.state != ZoneState::kOk) continue;
    // psz_buffer (12 bytes) and psz_kmsg_header (40 bytes).
    for (std::size_t b = 0; b < 52; ++b) {
      for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
        const std::size_t at = z.slot.offset + b;
        img[at] ^= std::byte{mask};
        const Scan s = scan(img, forced());
        const auto& got = s.sum.zones[z.slot.index];
        ZoneState want = ZoneState::kOk;
        if (b < 4)
          want = ZoneState::kNoValidData;  // sig
        else if (b < 8)
          want = ZoneState::kOk;  // datalen: see below
        else if (b < 12)
          want = ZoneState::kOk;  // start: unused for kmsg
        else if (b < 16)
          want = ZoneState::kBadKmsgMagic;  // magic
        INFO("zone " << z.slot.index << " byte " << b << " mask " << int(mask) << " -> "
                     << state_name(got.state) << ": " << got.detail);
        if (b >= 4 && b < 8) {
          // datalen: too large is overtop, negative is overtop, smaller cuts
          // the deflate stream (decompress_failed) or is shorter than the
          // header (corrupt); never a crash, never "ok" with other content.
          const bool allowed = got.state == ZoneState::kOvertop ||
                               got.state == ZoneState::kCorrupt ||
                               got.state == ZoneState::kDecompressFailed ||
                               got.state == ZoneState::kOk || got.state == ZoneState::kErased;
          CHECK(allowed);
        } else if (b >= 36 || (b >= 16 && b < 52)) {
          // time, compressed, counter, reason: the zone stays valid for the
          // kernel; a flipped `compressed` byte changes how it reads.
          CHECK((got.state == ZoneState::kOk || got.state == ZoneState::kDecompressFailed));
        } else {
          CHECK(got.state == want);
        }
        // The other zones are untouched.
        for (const auto& o : s.sum.zones)
          if (o.slot.index != z.slot.index) CHECK(o.state == full.sum.zones[o.slot.index].state);
        img[at] ^= std::byte{mask};
      }
    }
  }
}

TEST_CASE("discovery survives every prefix of the first zone", "[format][sweep]") {
  const auto img = load_image();
  for (std::size_t len = 0; len <= 16384 + 64; ++len) {
    io::MemorySource src(std::span<const std::byte>(img).first(len));
    auto r = io::scan_partition(src, io::ReadOptions{}, [](Record&&) {});
    // Tiny prefixes cannot hold a layout (< 4096 bytes): an error, not a crash.
    if (len >= 16384 && len % 4096 == 0) CHECK(r.has_value());
  }
}
