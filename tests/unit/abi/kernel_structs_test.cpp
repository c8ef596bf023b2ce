// Independent check of the per-ABI struct layouts. The decoder's offsets
// (format::Abi) and the synthetic image builder (tests/support) share one
// table, so a wrong entry there would pass every test built from them. Here
// each zone is written byte by byte at offsets worked out by hand from the
// kernel's struct definitions and the psABI alignment rules, never from
// format::Abi:
//
//   struct psz_buffer { u32 sig; atomic_t datalen; atomic_t start; u8 data[]; }
//     (fs/pstore/zone.c): 12 bytes on every ABI, data at 12.
//   struct psz_kmsg_header { u32 magic; struct timespec64 time; bool compressed;
//     u32 counter; enum kmsg_dump_reason reason; u8 data[]; }
//   struct timespec64 { time64_t tv_sec; long tv_nsec; }  (include/linux/time64.h)
//
//   i386 (SysV i386 psABI: 8-byte integers are 4-byte aligned, long is 4):
//     magic 0, tv_sec 4, tv_nsec 12, sizeof(timespec64) 12 -> compressed 16,
//     counter 20, reason 24, struct size 28 (alignment 4).
//   arm / armeb (AAPCS: 8-byte integers are 8-byte aligned, long is 4):
//     magic 0, pad, tv_sec 8, tv_nsec 16, sizeof(timespec64) 16 (tail pad) ->
//     compressed 24, counter 28, reason 32, 36 rounded to alignment 8 = 40.
//   x86_64 / arm64 / ppc64 (LP64): magic 0, tv_sec 8, tv_nsec 16 (8 bytes),
//     compressed 24, counter 28, reason 32, size 40; ppc64 big-endian.
//   struct pstore_ftrace_record { unsigned long ip; unsigned long parent_ip;
//     u64 ts; } (include/linux/pstore.h): 16 bytes on i386/arm (ts at 8),
//     24 on LP64 (ts at 16).
#include <cstdint>
#include <string>
#include <vector>

#include "psb_catch.hpp"
#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/ftrace.hpp"
#include "pstore_blk/format/record.hpp"
#include "pstore_blk/format/zone.hpp"

using namespace psb::format;

namespace {

struct Hand {
  const char* abi;
  bool big;
  std::size_t tv_sec, tv_nsec, nsec_bytes, compressed, counter, reason, text;
};

// The table above, as numbers typed by hand.
const Hand kHand[] = {
    {"i386", false, 4, 12, 4, 16, 20, 24, 28},   {"arm", false, 8, 16, 4, 24, 28, 32, 40},
    {"armeb", true, 8, 16, 4, 24, 28, 32, 40},   {"x86_64", false, 8, 16, 8, 24, 28, 32, 40},
    {"arm64", false, 8, 16, 8, 24, 28, 32, 40},  {"ppc64", true, 8, 16, 8, 24, 28, 32, 40},
    {"arm64be", true, 8, 16, 8, 24, 28, 32, 40},
};

void put(std::vector<std::byte>& b, std::size_t off, std::uint64_t v, std::size_t n, bool big) {
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t shift = 8 * (big ? n - 1 - i : i);
    b.at(off + i) = static_cast<std::byte>((v >> shift) & 0xff);
  }
}

}  // namespace

TEST_CASE("kmsg header offsets per ABI match the kernel structs (hand-computed)", "[abi]") {
  const std::string text = "<0>[    1.000000] hand-placed text\n";
  for (const Hand& h : kHand) {
    INFO("ABI " << h.abi);
    auto abi = Abi::by_name(h.abi);
    REQUIRE(abi);
    std::vector<std::byte> zone(4096, std::byte{0});
    const std::size_t d = 12;                                  // psz_buffer.data
    put(zone, 0, 0x43474244, 4, h.big);                        // PSZ_SIG ^ PSTORE_TYPE_DMESG (0)
    put(zone, 4, h.text + text.size(), 4, h.big);              // datalen
    put(zone, d + 0, 0x4dfc3ae5, 4, h.big);                    // magic
    put(zone, d + h.tv_sec, 1795712157, 8, h.big);             // tv_sec
    put(zone, d + h.tv_nsec, 123456789, h.nsec_bytes, h.big);  // tv_nsec
    put(zone, d + h.compressed, 0, 1, h.big);                  // not compressed
    put(zone, d + h.counter, 7, 4, h.big);                     // counter
    put(zone, d + h.reason, 2, 4, h.big);                      // KMSG_DUMP_OOPS
    for (std::size_t i = 0; i < text.size(); ++i)
      zone[d + h.text + i] = static_cast<std::byte>(text[i]);

    ZoneSlot slot;
    slot.type = RecordType::kDmesg;
    slot.size = zone.size();
    const Bytes bytes(zone.data(), zone.size());
    const ZoneReport rep = classify_zone(slot, bytes, *abi);
    REQUIRE(rep.state == ZoneState::kOk);
    REQUIRE(rep.kmsg);
    CHECK(rep.kmsg->tv_sec == 1795712157);
    CHECK(rep.kmsg->tv_nsec == 123456789);
    CHECK(rep.kmsg->counter == 7);
    CHECK(rep.kmsg->reason == 2);
    auto rec = decode_dmesg(rep, bytes, *abi, DecodeOptions{});
    REQUIRE(rec);
    // psz_kmsg_read(): "<Reason>: Total <counter> times\n" then data[sizeof(hdr)..datalen).
    CHECK(rec->content == "Oops: Total 7 times\n" + text);
  }
}

TEST_CASE("ftrace record size per ABI matches the kernel struct (hand-computed)", "[abi]") {
  // Two records per zone; the first is at byte 0 of the linearised data
  // (len % sizeof(rec) == 0). ts = counter << 8 | cpu (TS_CPU_SHIFT = 8).
  for (const Hand& h : kHand) {
    INFO("ABI " << h.abi);
    auto abi = Abi::by_name(h.abi);
    REQUIRE(abi);
    const std::size_t lw = h.nsec_bytes;  // sizeof(long): 4 on i386/arm, 8 on LP64
    const std::size_t rec = 2 * lw + 8;
    std::vector<std::byte> data(2 * rec, std::byte{0});
    for (std::size_t k = 0; k < 2; ++k) {
      put(data, k * rec, 0xc0001000 + k, lw, h.big);               // ip
      put(data, k * rec + lw, 0xc0002000 + k, lw, h.big);          // parent_ip
      put(data, k * rec + 2 * lw, ((10 + k) << 8) | 1, 8, h.big);  // ts: counter, CPU 1
    }
    std::vector<FtraceRecord> merged;
    const std::string_view zone(reinterpret_cast<const char*>(data.data()), data.size());
    ftrace_combine(merged, zone, *abi);
    REQUIRE(merged.size() == 2);
    CHECK(merged[0].ip == 0xc0001000);
    CHECK(merged[0].parent_ip == 0xc0002000);
    CHECK(ftrace_counter(merged[1], *abi) == 11);
    CHECK(ftrace_cpu(merged[1], *abi) == 1);
  }
}
