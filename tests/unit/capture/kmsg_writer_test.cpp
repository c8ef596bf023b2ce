// The panic-record writer, checked by reading its zone back through the
// project's own reader (discovery, classification, decoding), as `list` and
// `extract` would.
#include "pstore_blk/format/kmsg_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "psb_catch.hpp"
#include "pstore_blk/io/byte_source.hpp"
#include "pstore_blk/io/reader.hpp"
#include "zone_builder.hpp"

using namespace psb::format;
using psb::test::ImageBuilder;

namespace {

constexpr std::uint32_t kOops = 2, kPanic = 1;

struct Scan {
  psb::io::ScanSummary sum;
  std::vector<Record> records;
};

Scan scan(const std::vector<std::byte>& img, std::optional<Abi> abi = std::nullopt,
          psb::io::LayoutOverride layout = {}) {
  psb::io::MemorySource src(img);
  psb::io::ReadOptions o;
  o.abi = abi;
  o.layout = layout;
  Scan s;
  auto r = psb::io::scan_partition(src, o, [&](Record&& rec) { s.records.push_back(rec); });
  REQUIRE(r);
  s.sum = std::move(*r);
  return s;
}

void put_zone(std::vector<std::byte>& img, const KmsgRecordPlan& p) {
  REQUIRE(p.zone.size() == p.slot.size);
  REQUIRE(p.slot.offset + p.slot.size <= img.size());
  std::copy(p.zone.begin(), p.zone.end(), img.begin() + static_cast<long>(p.slot.offset));
}

psb::io::LayoutOverride forced_kmsg(long kib) {
  psb::io::LayoutOverride o;
  o.kmsg_kib = kib;
  return o;
}

const Record* find(const Scan& s, const std::string& name) {
  for (const auto& r : s.records)
    if (r.name == name) return &r;
  return nullptr;
}

// A kernel-like log: `lines` lines of varied text.
std::string kernel_log(std::size_t lines, unsigned seed = 1) {
  std::string s;
  std::uint32_t x = seed * 2654435761u;
  for (std::size_t i = 0; i < lines; ++i) {
    x = x * 1664525u + 1013904223u;
    s += "<" + std::to_string(x % 8) + ">[" + std::to_string(100 + i / 50) + "." +
         std::to_string(100000 + x % 900000) + "] task " + std::to_string(x % 4096) +
         ": message number " + std::to_string(i) + " value 0x" + std::to_string(x) + "\n";
  }
  return s;
}

// Lines that deflate badly (pseudo-random printable bytes), to make bufsize
// the limit.
std::string noisy_log(std::size_t lines) {
  std::string s;
  std::uint64_t x = 88172645463325252ull;
  for (std::size_t i = 0; i < lines; ++i) {
    s += "<4>[    9.000000] ";
    for (int k = 0; k < 60; ++k) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      s += static_cast<char>(33 + x % 94);
    }
    s += "\n";
  }
  return s;
}

// One-shot inflate with the given window, like the kernels do.
std::optional<std::string> inflate_once(const std::vector<std::byte>& zone, std::size_t hlen,
                                        int window_bits, std::size_t out_max) {
  std::uint32_t datalen = 0;
  std::memcpy(&datalen, zone.data() + 4, 4);
  z_stream zs{};
  if (inflateInit2(&zs, -window_bits) != Z_OK) return std::nullopt;
  std::string out(out_max, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(zone.data() + 12 + hlen));
  zs.avail_in = static_cast<uInt>(datalen - hlen);
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int ret = inflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  inflateEnd(&zs);
  if (ret != Z_STREAM_END) return std::nullopt;
  return out;
}

}  // namespace

TEST_CASE("6.1's zbufsize_deflate and the common inflate limit", "[capture][kmsg_writer]") {
  CHECK(zbufsize_deflate_6_1(65484) == 109140);  // 64 KiB zones
  CHECK(zbufsize_deflate_6_1(4044) == 8986);     // 4 KiB zones: 100/45
  CHECK(zbufsize_deflate_6_1(1500) == 2678);
  const KmsgCapacity c64 = kmsg_capacity(64 * 1024, Abi::x86_64());
  CHECK(c64.bufsize == 65484);
  CHECK(c64.inflate_limit == 109140);
  CHECK(kmsg_capacity(64 * 1024, Abi::i386()).bufsize == 65496);
  CHECK(kmsg_capacity(52, Abi::x86_64()).bufsize == 0);
}

TEST_CASE("log_tail_start keeps the newest whole lines", "[capture][kmsg_writer]") {
  CHECK(log_tail_start("a\nbb\nccc\n", 100) == 0);
  CHECK(log_tail_start("a\nbb\nccc\n", 4) == 5);     // "ccc\n"
  CHECK(log_tail_start("a\nbb\nccc\n", 7) == 2);     // "bb\nccc\n"
  CHECK(log_tail_start("a\nbb\nccc\n", 6) == 5);     // a cut "b\n" is dropped
  CHECK(log_tail_start("a\nbbbbbbbbbb\n", 4) == 9);  // over-long last line: its tail
  CHECK(log_tail_start("xxxxxxxxxx", 3) == 7);       // no newline at all
  CHECK(log_tail_start("", 0) == 0);
}

TEST_CASE("recover_kmsg_meta picks the zone after the newest, like the kernel",
          "[capture][kmsg_writer]") {
  const Abi abi = Abi::x86_64();
  ImageBuilder b(ZoneLayout::from_kib(256 * 1024, 64, 0, 0, 0, 1), abi);
  SECTION("fresh partition: zone 0, counters 0") {
    auto st = recover_kmsg_meta(scan(b.bytes(), abi, forced_kmsg(64)).sum.zones);
    CHECK(st.zone_count == 4);
    CHECK(st.next_zone == 0);
    CHECK(st.panic_counter == 0);
    CHECK(st.valid_headers == 0);
  }
  SECTION("round robin: after the newest, wrapping at the end") {
    b.kmsg(0, kOops, 5, 1000, "Oops#1 Part1\n", true);
    b.kmsg(1, kOops, 6, 1001, "Oops#1 Part1\n", true);
    b.kmsg(2, kOops, 3, 900, "Oops#1 Part1\n", true);
    b.kmsg(3, kPanic, 4, 1002, "Panic#1 Part1\n", true);
    auto st = recover_kmsg_meta(scan(b.bytes(), abi).sum.zones);
    CHECK(st.next_zone == 0);
    CHECK(st.oops_counter == 6);
    CHECK(st.panic_counter == 4);
    CHECK(st.valid_headers == 4);
  }
  SECTION("ties go to the later index; negative times never win") {
    b.kmsg(0, kOops, 1, 1000, "x", false);
    b.kmsg(1, kOops, 2, 1000, "x", false);
    b.kmsg(2, kOops, 3, -5, "x", false);
    CHECK(recover_kmsg_meta(scan(b.bytes(), abi).sum.zones).next_zone == 2);
  }
  SECTION("erased zones count; bad magic and overtop zones do not") {
    b.kmsg(0, kPanic, 7, 2000, "x", false).erase_kmsg(0);
    b.kmsg(1, kPanic, 40, 3000, "x", false);
    b.poke32(b.slot(RecordType::kDmesg, 1).offset + 12, 0x12345678);  // magic
    b.kmsg(2, kPanic, 50, 4000, "x", false);
    b.poke32(b.slot(RecordType::kDmesg, 2).offset + 4, 0xFFFFFFF0u);  // datalen < 0
    auto st = recover_kmsg_meta(scan(b.bytes(), abi, forced_kmsg(64)).sum.zones);
    CHECK(st.panic_counter == 7);
    CHECK(st.next_zone == 1);
    CHECK(st.valid_headers == 1);
  }
}

TEST_CASE("a written panic record reads back as the kernel would show it",
          "[capture][kmsg_writer]") {
  const Abi abi = GENERATE(Abi::x86_64(), Abi::i386(), Abi::arm(), Abi::arm64be());
  const bool compress = GENERATE(true, false);
  CAPTURE(abi.name, compress);
  ImageBuilder b(ZoneLayout::from_kib(512 * 1024, 64, 0, 0, 0, 1), abi);
  b.kmsg(0, kOops, 1, 1795712157, psb::test::fake_log(1), true);
  b.kmsg(1, kOops, 2, 1795712158, psb::test::fake_log(2), true);
  const std::string log = kernel_log(200);
  PanicDump d{log, 1795712200, 987654321, 1, compress};
  auto plan = plan_panic_record(scan(b.bytes()).sum.zones, abi, d);
  REQUIRE(plan);
  CHECK(plan->slot.index == 2);
  CHECK(plan->slot.offset == 2 * 64 * 1024);
  CHECK(plan->counter == 1);
  CHECK(plan->log_kept == log.size());
  CHECK(plan->log_dropped == 0);
  CHECK_FALSE(plan->older_than_newest);

  auto img = b.bytes();
  put_zone(img, *plan);
  Scan s = scan(img);
  // arm and x86_64 share the header layout: the reader cannot tell them apart.
  CHECK(s.sum.abi.kmsg_header_size == abi.kmsg_header_size);
  CHECK(s.sum.abi.endian == abi.endian);
  CHECK(s.sum.layout.kmsg_size == 64 * 1024);
  const Record* r = find(s, "dmesg-pstore_blk-2");
  REQUIRE(r);
  REQUIRE(r->kmsg);
  CHECK(r->state == ZoneState::kOk);
  CHECK(reason_str(r->kmsg->reason) == "Panic");
  CHECK(r->kmsg->counter == 1);
  CHECK(r->kmsg->tv_sec == 1795712200);
  CHECK(r->kmsg->tv_nsec == 987654321);
  CHECK(r->compressed == compress);
  const std::string shown =
      (compress ? "" : "Panic: Total 1 times\n") + std::string("Panic#1 Part1\n") + log;
  CHECK(r->content == shown);
  CHECK(plan->kernel_file == shown);
  // The records that were there stay untouched.
  CHECK(find(s, "dmesg-pstore_blk-0")->content == psb::test::fake_log(1));
  CHECK(find(s, "dmesg-pstore_blk-1")->content == psb::test::fake_log(2));
}

TEST_CASE("the panic counter continues and the next capture goes to the next zone",
          "[capture][kmsg_writer]") {
  const Abi abi = Abi::x86_64();
  ImageBuilder b(ZoneLayout::from_kib(192 * 1024, 64, 0, 0, 0, 1), abi);
  b.kmsg(0, kPanic, 41, 1000, "Panic#1 Part1\n", false).erase_kmsg(0);
  b.kmsg(1, kOops, 99, 1001, "Oops#1 Part1\n", true);
  auto img = b.bytes();
  for (std::uint32_t want : {42u, 43u, 44u}) {
    const std::string log =
        "<0>[    1.000000] Kernel panic - not syncing: " + std::to_string(want) + "\n";
    PanicDump d{log, 2000 + want, 0, 1, true};
    auto plan = plan_panic_record(scan(img).sum.zones, abi, d);
    REQUIRE(plan);
    CHECK(plan->counter == want);
    // 3 zones: 1 is newest -> 2, then 0 (wrap), then 1.
    CHECK(plan->slot.index == (want - 40) % 3);
    put_zone(img, *plan);
  }
  Scan s = scan(img);
  REQUIRE(s.records.size() == 3);
  CHECK(s.records[0].kmsg->counter == 43);
  CHECK(s.records[1].kmsg->counter == 44);
  CHECK(s.records[2].kmsg->counter == 42);
}

TEST_CASE("a long log keeps its newest lines within both kernels' limits",
          "[capture][kmsg_writer]") {
  const Abi abi = Abi::x86_64();
  ImageBuilder b(ZoneLayout::from_kib(128 * 1024, 64, 0, 0, 0, 1), abi);
  b.kmsg(0, kOops, 1, 1000, "Oops#1 Part1\n", true);
  const KmsgCapacity cap = kmsg_capacity(64 * 1024, abi);
  SECTION("compressible: the inflate limit binds") {
    const std::string log = kernel_log(6000);
    REQUIRE(log.size() > 3 * cap.inflate_limit);
    auto plan = plan_panic_record(scan(b.bytes()).sum.zones, abi, {log, 5000, 0, 1, true});
    REQUIRE(plan);
    CHECK(plan->kernel_file.size() <= cap.inflate_limit);
    CHECK(plan->kernel_file.size() > cap.inflate_limit - 200);  // one line's slack
    CHECK(plan->payload_size <= cap.bufsize);
    CHECK(plan->log_kept + plan->log_dropped == log.size());
    CHECK(log[plan->log_dropped - 1] == '\n');
    CHECK(plan->kernel_file == "Panic#1 Part1\n" + log.substr(plan->log_dropped));
    // 6.1 inflates with window 11 into big_oops_buf_sz; 6.12 with 15 into 3 * bufsize.
    CHECK(inflate_once(plan->zone, 40, 11, zbufsize_deflate_6_1(cap.bufsize)) == plan->kernel_file);
    CHECK(inflate_once(plan->zone, 40, 15, 3 * cap.bufsize) == plan->kernel_file);
  }
  SECTION("incompressible: bufsize binds") {
    const std::string log = noisy_log(4000);
    auto plan = plan_panic_record(scan(b.bytes()).sum.zones, abi, {log, 5000, 0, 1, true});
    REQUIRE(plan);
    CHECK(plan->payload_size <= cap.bufsize);
    CHECK(plan->payload_size > cap.bufsize - 200);
    CHECK(inflate_once(plan->zone, 40, 11, zbufsize_deflate_6_1(cap.bufsize)) == plan->kernel_file);
    auto img = b.bytes();
    put_zone(img, *plan);
    CHECK(find(scan(img), "dmesg-pstore_blk-1")->content == plan->kernel_file);
  }
  SECTION("uncompressed: bufsize minus the first line") {
    const std::string log = kernel_log(3000);
    auto plan = plan_panic_record(scan(b.bytes()).sum.zones, abi, {log, 5000, 0, 1, false});
    REQUIRE(plan);
    CHECK(plan->payload_size <= cap.bufsize);
    CHECK(plan->payload_size > cap.bufsize - 200);
    CHECK(plan->kernel_file ==
          "Panic: Total 1 times\nPanic#1 Part1\n" + log.substr(plan->log_dropped));
  }
}

TEST_CASE("the zone bytes are exactly what psz_kmsg_write_record() writes",
          "[capture][kmsg_writer]") {
  const Abi abi = Abi::x86_64();
  ImageBuilder b(ZoneLayout::from_kib(64 * 1024, 64, 0, 0, 0, 1), abi, std::byte{0xAB});
  const psb::io::LayoutOverride forced = forced_kmsg(64);
  auto plan = plan_panic_record(scan(b.bytes(), abi, forced).sum.zones, abi,
                                {"<0>[ 1.0] end\n", 0x11223344, 5, 3, false});
  REQUIRE(plan);
  // The builder writes zones the way zone.c does: same bytes expected.
  ImageBuilder want(ZoneLayout::from_kib(64 * 1024, 64, 0, 0, 0, 1), abi);
  want.kmsg(0, kPanic, 1, 0x11223344, "Panic#3 Part1\n<0>[ 1.0] end\n", false, 5);
  CHECK(plan->zone == want.bytes());
}

TEST_CASE("hostile or impossible requests fail with a reason", "[capture][kmsg_writer]") {
  const Abi abi = Abi::x86_64();
  SECTION("no kmsg zone in the layout") {
    ImageBuilder b(ZoneLayout::from_kib(64 * 1024, 0, 64, 0, 0, 1), abi);
    b.ring_write(RecordType::kPmsg, 0, "hello");
    auto p = plan_panic_record(scan(b.bytes()).sum.zones, abi, {"x\n", 1, 0, 1, true});
    REQUIRE_FALSE(p);
    CHECK(p.error().code == psb::Errc::kFormat);
  }
  SECTION("times out of range") {
    ImageBuilder b(ZoneLayout::from_kib(64 * 1024, 64, 0, 0, 0, 1), abi);
    auto zones = scan(b.bytes(), abi, forced_kmsg(64)).sum.zones;
    CHECK_FALSE(plan_panic_record(zones, abi, {"x\n", -1, 0, 1, true}));
    CHECK_FALSE(plan_panic_record(zones, abi, {"x\n", 1, 1000000000, 1, true}));
    CHECK_FALSE(plan_panic_record(zones, abi, {"x\n", 1, -1, 1, true}));
    CHECK_FALSE(plan_panic_record(zones, abi, {"x\n", 1, 0, 0, true}));
  }
  SECTION("an empty log still gives the first line") {
    ImageBuilder b(ZoneLayout::from_kib(64 * 1024, 64, 0, 0, 0, 1), abi);
    auto p = plan_panic_record(scan(b.bytes(), abi, forced_kmsg(64)).sum.zones, abi,
                               {"", 1, 0, 1, true});
    REQUIRE(p);
    CHECK(p->kernel_file == "Panic#1 Part1\n");
  }
  SECTION("one line longer than the zone keeps its tail") {
    ImageBuilder b(ZoneLayout::from_kib(64 * 1024, 4, 0, 0, 0, 1), abi);
    const std::string log(100000, 'x');
    auto p = plan_panic_record(scan(b.bytes(), abi, forced_kmsg(4)).sum.zones, abi,
                               {log, 1, 0, 1, false});
    REQUIRE(p);
    CHECK(p->payload_size == kmsg_capacity(4096, abi).bufsize);
    CHECK(p->log_dropped + p->log_kept == log.size());
  }
  SECTION("zones too small for a header") {
    // A hand-made report set: one 48-byte kmsg zone.
    ZoneReport z;
    z.slot = {RecordType::kDmesg, 0, 0, 48};
    auto p = plan_panic_record({z}, abi, {"x\n", 1, 0, 1, true});
    REQUIRE_FALSE(p);
  }
}
