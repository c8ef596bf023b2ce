// The /proc/vmcore log reader on built-up cores: an ELF64 header, a
// VMCOREINFO note and one PT_LOAD segment holding a printk ring buffer laid
// out as kernel/printk/printk_ringbuffer.h (6.1 = 6.12) defines it, filled
// the way prb_reserve()/data_alloc() place blocks (including a block that
// wraps to the start of the text ring).
#include "pstore_blk/format/vmcore.hpp"

#include <cstring>

#include "psb_catch.hpp"

using namespace psb::format;

namespace {

constexpr std::uint64_t kBase = 0xffffffff81000000ull;  // PT_LOAD p_vaddr
constexpr std::uint64_t kFileOff = 0x1000;              // PT_LOAD p_offset
constexpr std::size_t kMem = 0x4000;

// Offsets of the structs, as VMCOREINFO would export them.
struct Layout {
  // struct printk_ringbuffer { prb_desc_ring desc_ring; prb_data_ring text_data_ring; atomic_long_t
  // fail; }
  std::size_t rb_desc = 0, rb_text = 48;
  // struct prb_desc_ring { u32 count_bits; descs*; infos*; head_id; tail_id; last_finalized_id }
  std::size_t dr_bits = 0, dr_descs = 8, dr_infos = 16, dr_head = 24, dr_tail = 32;
  // struct prb_data_ring { u32 size_bits; char *data; head_lpos; tail_lpos }
  std::size_t tr_bits = 0, tr_data = 8;
  // struct prb_desc { atomic_long_t state_var; struct prb_data_blk_lpos text_blk_lpos { begin; next
  // } }
  std::size_t desc_size = 24, desc_sv = 0, desc_lpos = 8;
  // struct printk_info { u64 seq; u64 ts_nsec; u16 text_len; u8 facility; u8 flags:5, level:3; u32
  // caller_id; dev_printk_info (64) }
  std::size_t info_size = 88, info_seq = 0, info_ts = 8, info_len = 16, info_caller = 20;

  static Layout v6_1() { return {}; }
  // The same fields at other places: the reader must follow VMCOREINFO.
  static Layout shuffled() {
    Layout l;
    l.rb_desc = 32;
    l.rb_text = 0;
    l.dr_bits = 40, l.dr_descs = 0, l.dr_infos = 8, l.dr_head = 16, l.dr_tail = 24;
    l.tr_bits = 24, l.tr_data = 0;
    l.desc_size = 32, l.desc_sv = 16, l.desc_lpos = 0;
    l.info_size = 40, l.info_seq = 24, l.info_ts = 0, l.info_len = 8, l.info_caller = 12;
    return l;
  }
};

constexpr unsigned kCountBits = 3;  // 8 descriptors
constexpr unsigned kSizeBits = 8;   // 256-byte text ring
constexpr std::uint64_t kRing = 1u << kSizeBits;

struct Rec {
  std::uint64_t id;
  unsigned state;  // 0 reserved, 1 committed, 2 finalized, 3 reusable
  std::string text;
  std::uint64_t ts;
  std::uint8_t facility, level;
  bool dataless = false;
  bool failed = false;  // data-less because the text could not be stored
};

class CoreBuilder {
 public:
  explicit CoreBuilder(Layout l) : l_(l), mem_(kMem) {}

  std::string vmcoreinfo() const {
    auto o = [](const char* k, std::size_t v) {
      return std::string(k) + "=" + std::to_string(v) + "\n";
    };
    char sym[64];
    std::snprintf(sym, sizeof sym, "SYMBOL(prb)=%llx\n",
                  static_cast<unsigned long long>(kBase + kPrbVar));
    return std::string("OSRELEASE=6.1.0-57-amd64\nCRASHTIME=1796183110\n") + sym +
           o("SIZE(atomic_long_t)", 8) + o("OFFSET(printk_ringbuffer.desc_ring)", l_.rb_desc) +
           o("OFFSET(printk_ringbuffer.text_data_ring)", l_.rb_text) +
           o("OFFSET(prb_desc_ring.count_bits)", l_.dr_bits) +
           o("OFFSET(prb_desc_ring.descs)", l_.dr_descs) +
           o("OFFSET(prb_desc_ring.infos)", l_.dr_infos) +
           o("OFFSET(prb_desc_ring.head_id)", l_.dr_head) +
           o("OFFSET(prb_desc_ring.tail_id)", l_.dr_tail) + o("SIZE(prb_desc)", l_.desc_size) +
           o("OFFSET(prb_desc.state_var)", l_.desc_sv) +
           o("OFFSET(prb_desc.text_blk_lpos)", l_.desc_lpos) +
           o("OFFSET(prb_data_blk_lpos.begin)", 0) + o("OFFSET(prb_data_blk_lpos.next)", 8) +
           o("SIZE(printk_info)", l_.info_size) + o("OFFSET(printk_info.seq)", l_.info_seq) +
           o("OFFSET(printk_info.ts_nsec)", l_.info_ts) +
           o("OFFSET(printk_info.text_len)", l_.info_len) +
           o("OFFSET(printk_info.caller_id)", l_.info_caller) +
           o("OFFSET(prb_data_ring.size_bits)", l_.tr_bits) +
           o("OFFSET(prb_data_ring.data)", l_.tr_data);
  }

  // Appends records oldest first; their text blocks start at `lpos`.
  void fill(const std::vector<Rec>& recs, std::uint64_t lpos) {
    put(kPrbVar, kBase + kRb);
    put32(kRb + l_.rb_desc + l_.dr_bits, kCountBits);
    put(kRb + l_.rb_desc + l_.dr_descs, kBase + kDescs);
    put(kRb + l_.rb_desc + l_.dr_infos, kBase + kInfos);
    put(kRb + l_.rb_desc + l_.dr_tail, recs.front().id);
    put(kRb + l_.rb_desc + l_.dr_head, recs.back().id);
    put32(kRb + l_.rb_text + l_.tr_bits, kSizeBits);
    put(kRb + l_.rb_text + l_.tr_data, kBase + kData);
    std::uint64_t seq = 100;
    for (const auto& r : recs) {
      const std::size_t idx = r.id & ((1u << kCountBits) - 1);
      const std::size_t d = kDescs + idx * l_.desc_size, in = kInfos + idx * l_.info_size;
      put(d + l_.desc_sv, (std::uint64_t{r.state} << 62) | r.id);
      std::uint64_t begin = r.failed ? 1 : 3, next = begin;  // FAILED_LPOS / NO_LPOS
      if (!r.dataless) {
        const std::size_t size = (8 + r.text.size() + 7) / 8 * 8;
        begin = lpos;
        next = begin + size;
        std::uint64_t at = begin % kRing;
        if (begin / kRing != next / kRing) {  // get_next_lpos(): wraps to the start
          next = (next / kRing) * kRing + size;
          at = 0;
        }
        put(kData + at, r.id);
        std::memcpy(mem_.data() + kData + at + 8, r.text.data(), r.text.size());
        lpos = next;
      }
      put(d + l_.desc_lpos, begin);
      put(d + l_.desc_lpos + 8, next);
      put(in + l_.info_seq, seq++);
      put(in + l_.info_ts, r.ts);
      put16(in + l_.info_len, static_cast<std::uint16_t>(r.text.size()));
      mem_[in + l_.info_len + 2] = std::byte{r.facility};
      mem_[in + l_.info_len + 3] = std::byte{static_cast<std::uint8_t>(r.level << 5 | 0x04)};
      put32(in + l_.info_caller, 0x80000000u | 7);
    }
  }

  // ELF64 LE core: Ehdr, 2 Phdrs (PT_NOTE, PT_LOAD), the note, the memory.
  std::vector<std::byte> core() const {
    const std::string vi = vmcoreinfo();
    std::vector<std::byte> f(kFileOff + kMem);
    auto w16 = [&](std::size_t o, std::uint16_t v) { std::memcpy(f.data() + o, &v, 2); };
    auto w32 = [&](std::size_t o, std::uint32_t v) { std::memcpy(f.data() + o, &v, 4); };
    auto w64 = [&](std::size_t o, std::uint64_t v) { std::memcpy(f.data() + o, &v, 8); };
    std::memcpy(f.data(),
                "\x7f"
                "ELF\x02\x01\x01",
                7);
    w16(16, 4);   // ET_CORE
    w16(18, 62);  // EM_X86_64
    w64(32, 64);  // e_phoff
    w16(54, 56);
    w16(56, 2);
    const std::size_t note = 64 + 2 * 56, vi_pad = (vi.size() + 3) / 4 * 4;
    w32(64, 4);  // PT_NOTE
    w64(64 + 8, note);
    w64(64 + 32, 12 + 12 + vi_pad);
    w32(120, 1);  // PT_LOAD
    w64(120 + 8, kFileOff);
    w64(120 + 16, kBase);
    w64(120 + 24, 0x1000000);
    w64(120 + 32, kMem);
    w64(120 + 40, kMem);
    w32(note, 11);  // namesz incl. NUL
    w32(note + 4, static_cast<std::uint32_t>(vi.size()));
    w32(note + 8, 0);
    std::memcpy(f.data() + note + 12, "VMCOREINFO", 11);
    std::memcpy(f.data() + note + 24, vi.data(), vi.size());
    std::memcpy(f.data() + kFileOff, mem_.data(), kMem);
    return f;
  }

  std::vector<std::byte>& mem() { return mem_; }
  void put(std::size_t off, std::uint64_t v) { std::memcpy(mem_.data() + off, &v, 8); }
  void put32(std::size_t off, std::uint32_t v) { std::memcpy(mem_.data() + off, &v, 4); }
  void put16(std::size_t off, std::uint16_t v) { std::memcpy(mem_.data() + off, &v, 2); }

  static constexpr std::size_t kPrbVar = 0x100, kRb = 0x200, kDescs = 0x400, kInfos = 0x800,
                               kData = 0x1000;

 private:
  Layout l_;
  std::vector<std::byte> mem_;
};

ReadAt reader(const std::vector<std::byte>& f) {
  return [&f](std::uint64_t off, std::span<std::byte> buf) -> psb::Result<std::size_t> {
    if (off >= f.size()) return std::size_t{0};
    const std::size_t n = std::min<std::size_t>(buf.size(), f.size() - off);
    std::memcpy(buf.data(), f.data() + off, n);
    return n;
  };
}

psb::Result<PrintkLog> read_log(const std::vector<std::byte>& f) {
  auto core = parse_elf_core(reader(f), f.size());
  if (!core) return core.error();
  return read_printk_log(reader(f), *core);
}

std::vector<Rec> sample() {
  return {
      {13, 2, "Linux version 6.1.0-57-amd64", 0, 0, 5},
      {14, 2, "virtio_blk virtio1: [vda] 16384 blocks", 1500000, 0, 6},
      {15, 0, "still being written", 1600000, 0, 6},  // reserved: skipped
      {16, 2, "sysrq: Trigger a crash", 12345678901, 0, 6},
      {17, 1, "Kernel panic - not syncing: sysrq\nline two", 12345900000, 0, 0},
      {18, 2, "", 12346000000, 0, 4, true},  // data-less: an empty line
      {19, 2, "user message", 12346100000, 1, 5},
  };
}

}  // namespace

TEST_CASE("the printk ring buffer of a core renders like pstore's kmsg dump", "[capture][vmcore]") {
  const Layout l = GENERATE(Layout::v6_1(), Layout::shuffled());
  CoreBuilder b(l);
  b.fill(sample(), 3 * kRing + 200);  // the second block wraps to offset 0
  const auto f = b.core();
  auto log = read_log(f);
  REQUIRE(log);
  CHECK(log->skipped == 1);
  CHECK(log->crash_time == 1796183110);
  REQUIRE(log->records.size() == 6);
  CHECK(log->records[0].seq == 100);
  CHECK(log->records[1].text == "virtio_blk virtio1: [vda] 16384 blocks");
  CHECK(log->records[2].caller_id == 0x80000007u);
  CHECK(render_kmsg_dump(log->records) ==
        "<5>[    0.000000] Linux version 6.1.0-57-amd64\n"
        "<6>[    0.001500] virtio_blk virtio1: [vda] 16384 blocks\n"
        "<6>[   12.345678] sysrq: Trigger a crash\n"
        "<0>[   12.345900] Kernel panic - not syncing: sysrq\n"
        "<0>[   12.345900] line two\n"
        "<4>[   12.346000] \n"
        "<13>[   12.346100] user message\n");
}

TEST_CASE("stale and reusable descriptors are skipped, not misread", "[capture][vmcore]") {
  CoreBuilder b(Layout::v6_1());
  auto recs = sample();
  recs[1].state = 3;                         // reusable
  recs[4].dataless = recs[4].failed = true;  // FAILED_LPOS: no text, no record
  b.fill(recs, 40);
  // Descriptor of id 16 now claims id 8 (a previous lap): an id mismatch.
  b.put(CoreBuilder::kDescs + (16 & 7) * 24, (2ull << 62) | 8);
  auto log = read_log(b.core());
  REQUIRE(log);
  CHECK(log->skipped == 4);
  CHECK(log->records.size() == 3);
}

TEST_CASE("hostile cores fail with a reason", "[capture][vmcore]") {
  CoreBuilder b(Layout::v6_1());
  b.fill(sample(), 0);
  auto f = b.core();
  SECTION("not ELF") {
    f[1] = std::byte{'X'};
    CHECK_FALSE(read_log(f));
  }
  SECTION("32-bit core") {
    f[4] = std::byte{1};
    auto r = read_log(f);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == psb::Errc::kUnsupported);
  }
  SECTION("cut short") {
    f.resize(kFileOff + 100);
    CHECK_FALSE(read_log(f));
  }
  SECTION("program headers past the end") {
    std::uint16_t n = 0xffff;
    std::memcpy(f.data() + 56, &n, 2);
    CHECK_FALSE(read_log(f));
  }
  SECTION("no VMCOREINFO note") {
    std::memcpy(f.data() + 64 + 2 * 56 + 12, "VMCOREINFX", 10);
    auto r = read_log(f);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == psb::Errc::kUnsupported);
  }
  SECTION("ring larger than allowed") {
    std::uint32_t bits = 30;
    std::memcpy(f.data() + kFileOff + CoreBuilder::kRb + 0, &bits, 4);
    CHECK_FALSE(read_log(f));
  }
  SECTION("prb points outside every segment") {
    std::uint64_t p = 0xdead000000000000ull;
    std::memcpy(f.data() + kFileOff + CoreBuilder::kPrbVar, &p, 8);
    CHECK_FALSE(read_log(f));
  }
  SECTION("a block position outside the ring is skipped") {
    std::uint64_t bad = 5 * kRing;  // begin in a later wrap than next
    std::memcpy(f.data() + kFileOff + CoreBuilder::kDescs + (13 & 7) * 24 + 8, &bad, 8);
    auto log = read_log(f);
    REQUIRE(log);
    CHECK(log->skipped == 2);
  }
}

TEST_CASE("struct sizes beyond the caps are refused before reading", "[capture][vmcore]") {
  Layout l = Layout::v6_1();
  l.info_size = kMaxInfoSize + 8;
  CoreBuilder b(l);
  b.fill(sample(), 0);
  auto log = read_log(b.core());
  REQUIRE_FALSE(log);
  CHECK(log.error().code == psb::Errc::kFormat);
}

TEST_CASE("a text_len longer than its block is no record", "[capture][vmcore]") {
  CoreBuilder b(Layout::v6_1());
  b.fill(sample(), 0);
  b.put16(CoreBuilder::kInfos + (13 & 7) * 88 + 16, 200);
  auto log = read_log(b.core());
  REQUIRE(log);
  CHECK(log->skipped == 2);
  CHECK(log->records.front().seq == 101);
}

TEST_CASE("VMCOREINFO values parse strictly", "[capture][vmcore]") {
  auto vi = VmcoreInfo::parse("SYMBOL(prb)=ffffffff82a5b9d0\nSIZE(x)=24\nBAD\n=1\nOFFSET(y)=1z\n");
  CHECK(vi.number("SYMBOL(prb)", 16) == 0xffffffff82a5b9d0ull);
  CHECK(vi.number("SIZE(x)", 10) == 24u);
  CHECK_FALSE(vi.number("OFFSET(y)", 10));
  CHECK_FALSE(vi.number("SIZE(z)", 10));
  CHECK_FALSE(VmcoreInfo::parse("A=99999999999999999999999\n").number("A", 10));
}
