// Metadata-only scans (list, status): zones are decoded while discovery holds
// their bytes, under a provisional plan, and taken only where the final plan
// agrees. Checked against the scan that reads every zone after the plan
// (keep_content), on kernel-written images, every 61st prefix of them, and
// every header byte flipped: the records' metadata and every zone's report
// are the same, and a whole image is read once.
#include <algorithm>

#include "counting_source.hpp"
#include "fixture_io.hpp"
#include "psb_catch.hpp"
#include "pstore_blk/io/reader.hpp"

using namespace psb;
using namespace psb::format;

namespace {

// Everything a record says but its bytes.
std::string describe(const Record& r) {
  std::string s = r.name + " " + std::string(type_name(r.type)) + " id=" + std::to_string(r.id) +
                  " off=" + std::to_string(r.offset) + " " + std::string(state_name(r.state)) +
                  " erased=" + std::to_string(r.erased) + " comp=" + std::to_string(r.compressed) +
                  " dec=" + std::to_string(r.decompressed) + " size=" + std::to_string(r.size) +
                  " salv=" + std::to_string(r.salvaged_size) + " [" + r.detail + "]";
  if (r.kmsg)
    s += " t=" + std::to_string(r.kmsg->tv_sec) + "." + std::to_string(r.kmsg->tv_nsec) +
         " n=" + std::to_string(r.kmsg->counter) + " why=" + std::to_string(r.kmsg->reason);
  return s;
}

std::string describe(const ZoneReport& z) {
  return std::to_string(z.slot.offset) + " " + std::string(state_name(z.state)) + " " +
         std::to_string(static_cast<int>(z.state)) + " avail=" + std::to_string(z.available) +
         " [" + z.detail + "]";
}

struct Scan {
  std::vector<std::string> lines;  // records, then zones
  std::uint64_t bytes_read = 0;
};

Scan scan(const io::ByteSource& src, io::ReadOptions o, bool metadata_only) {
  o.keep_content = !metadata_only;
  test::CountingSource counted(src);
  Scan s;
  auto sum = io::scan_partition(counted, o, [&](Record&& r) { s.lines.push_back(describe(r)); });
  if (!sum) {
    s.lines.push_back("error: " + sum.error().message());
    return s;
  }
  for (const auto& z : sum->zones) s.lines.push_back(describe(z));
  s.bytes_read = counted.got;
  return s;
}

// The two scans of `img` (the partition claims `claimed` bytes) agree.
void agree(std::span<const std::byte> img, const io::ReadOptions& o, std::uint64_t claimed = 0) {
  io::MemorySource mem(img);
  io::SliceSource src(mem, 0, claimed ? claimed : img.size(), "image");
  const Scan meta = scan(src, o, true);
  const Scan full = scan(src, o, false);
  REQUIRE(meta.lines == full.lines);
}

std::vector<std::byte> fixture(const std::string& name) {
  return test::xz_decompress(
      test::read_file(test::source_dir() + "/fixtures/kernel/" + name + "/image.bin.xz"));
}

// Fixture images that are partitions (not whole disks), kernel-written.
const char* kImages[] = {
    "6.1.0-56-amd64-small-zones",
    "6.1.0-56-amd64-erased",
    "6.1.0-56-amd64-ring-reuse",
    "6.1.0-57-amd64-corrupt-enc-z",
    "6.1.192-psb-tiny-pmsg-console-ftrace",
    "6.1.192-psb-tiny-i386-all-frontends-32bit",
    "6.12.118+deb13-amd64-erased",
    "6.12.118+deb13-amd64-corrupt-enc-z",
};

io::ReadOptions with_erased() {
  io::ReadOptions o;
  o.include_erased = true;
  return o;
}

}  // namespace

TEST_CASE("metadata-only scans read a whole image once and agree with the full scan",
          "[io][speculate]") {
  for (const char* name : kImages) {
    INFO(name);
    const auto img = fixture(name);
    io::MemorySource src(img);
    for (const io::ReadOptions& o : {io::ReadOptions{}, with_erased()}) {
      const Scan meta = scan(src, o, true);
      const Scan full = scan(src, o, false);
      CHECK(meta.lines == full.lines);
      // The full scan reads the records' bytes a second time.
      CHECK(meta.bytes_read < full.bytes_read);
    }
  }
}

TEST_CASE("a metadata-only scan of a partition of like zones reads every byte once",
          "[io][speculate]") {
  const auto img = fixture("6.1.0-56-amd64-small-zones");  // a partition, 16 KiB zones
  io::MemorySource src(img);
  const Scan meta = scan(src, io::ReadOptions{}, true);
  // Discovery's chunks overlap by kProbeBytes.
  const std::size_t chunks = (img.size() + 65535) / 65536;
  CHECK(meta.bytes_read <= img.size() + chunks * kProbeBytes);
  CHECK(meta.lines == scan(src, io::ReadOptions{}, false).lines);
}

TEST_CASE("metadata-only scans agree on every 61st prefix of kernel-written images",
          "[io][speculate][sweep]") {
  for (const char* name : {"6.1.0-56-amd64-small-zones", "6.1.192-psb-tiny-pmsg-console-ftrace",
                           "6.12.118+deb13-amd64-corrupt-enc-z"}) {
    INFO(name);
    const auto img = fixture(name);
    const std::size_t step = std::max<std::size_t>(61, img.size() / 4000);
    for (std::size_t len = 0; len <= img.size(); len += step) {
      INFO("prefix " << len);
      agree(std::span(img).first(len), io::ReadOptions{}, img.size());  // a cut disk image
      agree(std::span(img).first(len), with_erased());                  // a cut file
    }
  }
}

TEST_CASE("metadata-only scans agree with every header byte flipped", "[io][speculate][sweep]") {
  auto img = fixture("6.1.0-56-amd64-small-zones");
  io::ReadOptions forced;
  forced.abi = Abi::x86_64();
  forced.layout.kmsg_kib = 16;
  for (std::size_t zone = 0; zone < img.size(); zone += 16 * 1024) {
    for (std::size_t b = 0; b < 52; ++b) {
      for (std::uint8_t mask : {std::uint8_t{0x01}, std::uint8_t{0x80}, std::uint8_t{0xff}}) {
        INFO("zone at " << zone << " byte " << b << " mask " << int(mask));
        img[zone + b] ^= std::byte{mask};
        agree(img, io::ReadOptions{});
        agree(img, forced);
        img[zone + b] ^= std::byte{mask};
      }
    }
  }
}
