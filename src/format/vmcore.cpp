#include "pstore_blk/format/vmcore.hpp"

#include <algorithm>
#include <cstdio>

namespace psb::format {

VmcoreInfo VmcoreInfo::parse(std::string_view text) {
  VmcoreInfo info;
  while (!text.empty()) {
    const auto nl = text.find('\n');
    std::string_view line = text.substr(0, nl);
    text = nl == std::string_view::npos ? std::string_view{} : text.substr(nl + 1);
    const auto eq = line.find('=');
    if (eq == std::string_view::npos || eq == 0) continue;
    info.kv_.emplace(std::string(line.substr(0, eq)), std::string(line.substr(eq + 1)));
  }
  return info;
}

std::optional<std::string_view> VmcoreInfo::get(std::string_view key) const {
  auto it = kv_.find(key);
  if (it == kv_.end()) return std::nullopt;
  return std::string_view(it->second);
}

std::optional<std::uint64_t> VmcoreInfo::number(std::string_view key, int base) const {
  auto v = get(key);
  if (!v || v->empty() || v->size() > 20) return std::nullopt;
  std::uint64_t r = 0;
  for (char c : *v) {
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
    if (d < 0 || d >= base) return std::nullopt;
    if (r > (UINT64_MAX - static_cast<unsigned>(d)) / static_cast<unsigned>(base))
      return std::nullopt;
    r = r * static_cast<unsigned>(base) + static_cast<unsigned>(d);
  }
  return r;
}

namespace {

constexpr std::uint32_t kPtLoad = 1, kPtNote = 4;
constexpr std::size_t kPhdrSize = 56;
constexpr std::size_t kMaxNotes = 1 << 20;

Error core_error(std::string what, std::uint64_t off) {
  return make_format_error("vmcore: " + std::move(what), off);
}

// Reads exactly `len` bytes at `off`, or fails naming the offset.
Result<std::vector<std::byte>> read_exact(const ReadAt& read, std::uint64_t off, std::size_t len) {
  std::vector<std::byte> buf(len);
  auto n = read(off, std::span(buf));
  if (!n) return n.error();
  if (*n != len) return core_error("file ends inside a " + std::to_string(len) + "-byte read", off);
  return buf;
}

std::uint16_t u16_at(const ByteReader& r, std::size_t off) {
  const unsigned a = *r.u8(off), b = *r.u8(off + 1);
  return static_cast<std::uint16_t>(r.endian() == Endian::kLittle ? a | b << 8 : b | a << 8);
}

// The "VMCOREINFO" note among the notes of one PT_NOTE segment.
std::optional<std::string> find_vmcoreinfo(Bytes notes, Endian e) {
  ByteReader r(notes, e);
  std::size_t off = 0;
  while (off + 12 <= notes.size()) {
    const std::uint64_t namesz = *r.u32(off), descsz = *r.u32(off + 4);
    const std::uint64_t name_pad = (namesz + 3) & ~3ull, desc_pad = (descsz + 3) & ~3ull;
    if (name_pad + desc_pad > notes.size() - off - 12) return std::nullopt;
    std::string_view name = as_chars(notes.subspan(off + 12, namesz));
    if (!name.empty() && name.back() == '\0') name.remove_suffix(1);
    if (name == "VMCOREINFO")
      return std::string(as_chars(notes.subspan(off + 12 + name_pad, descsz)));
    off += 12 + name_pad + desc_pad;
  }
  return std::nullopt;
}

}  // namespace

Result<ElfCore> parse_elf_core(const ReadAt& read, std::uint64_t size) {
  auto eh = read_exact(read, 0, 64);
  if (!eh) return eh.error();
  const auto* id = eh->data();
  if (std::to_integer<char>(id[0]) != 0x7f || std::to_integer<char>(id[1]) != 'E' ||
      std::to_integer<char>(id[2]) != 'L' || std::to_integer<char>(id[3]) != 'F')
    return core_error("not an ELF file", 0);
  if (std::to_integer<int>(id[4]) != 2)
    return make_error(Errc::kUnsupported, "vmcore: only 64-bit (ELFCLASS64) cores are read");
  const int data = std::to_integer<int>(id[5]);
  if (data != 1 && data != 2) return core_error("bad ELF byte order", 5);
  ElfCore core;
  core.endian = data == 1 ? Endian::kLittle : Endian::kBig;
  ByteReader h(*eh, core.endian);
  const std::uint64_t phoff = *h.u64(32);
  const std::size_t phentsize = u16_at(h, 54), phnum = u16_at(h, 56);
  if (phentsize < kPhdrSize) return core_error("program headers smaller than Elf64_Phdr", 54);
  if (phoff > size || phnum * phentsize > size - phoff)
    return core_error("program headers lie outside the file", 32);
  auto ph = read_exact(read, phoff, phnum * phentsize);
  if (!ph) return ph.error();
  ByteReader p(*ph, core.endian);
  for (std::size_t i = 0; i < phnum; ++i) {
    const std::size_t o = i * phentsize;
    const std::uint32_t type = *p.u32(o);
    LoadSegment s{*p.u64(o + 16), *p.u64(o + 24), *p.u64(o + 8), *p.u64(o + 32)};
    if (s.offset > size || s.filesz > size - s.offset)
      return core_error("segment " + std::to_string(i) + " lies outside the file", phoff + o);
    if (type == kPtLoad) core.loads.push_back(s);
    if (type == kPtNote && core.vmcoreinfo.empty()) {
      if (s.filesz > kMaxNotes) return core_error("notes larger than 1 MiB", phoff + o);
      auto notes = read_exact(read, s.offset, static_cast<std::size_t>(s.filesz));
      if (!notes) return notes.error();
      if (auto vi = find_vmcoreinfo(*notes, core.endian)) core.vmcoreinfo = std::move(*vi);
    }
  }
  return core;
}

namespace {

// Kernel virtual memory through the core's PT_LOAD segments.
class KernelMemory {
 public:
  KernelMemory(const ReadAt& read, const ElfCore& core, unsigned long_bytes)
      : read_(read), core_(core), long_(long_bytes) {}

  Result<std::vector<std::byte>> bytes(std::uint64_t va, std::size_t len) const {
    for (const auto& s : core_.loads) {
      if (va < s.vaddr || va - s.vaddr >= s.filesz) continue;
      if (len > s.filesz - (va - s.vaddr))
        return core_error("kernel range crosses the end of its segment", s.offset + (va - s.vaddr));
      return read_exact(read_, s.offset + (va - s.vaddr), len);
    }
    return core_error("kernel address 0x" + hex(va) + " is in no PT_LOAD segment", 0);
  }
  Result<std::uint64_t> word(std::uint64_t va, std::size_t width) const {
    auto b = bytes(va, width);
    if (!b) return b.error();
    return *ByteReader(*b, core_.endian).uword(0, width);
  }
  Result<std::uint64_t> ulong(std::uint64_t va) const { return word(va, long_); }
  unsigned long_bytes() const { return long_; }
  Endian endian() const { return core_.endian; }

  static std::string hex(std::uint64_t v) {
    char buf[24];
    std::snprintf(buf, sizeof buf, "%llx", static_cast<unsigned long long>(v));
    return buf;
  }

 private:
  const ReadAt& read_;
  const ElfCore& core_;
  unsigned long_;
};

// Every VMCOREINFO value the reader needs, looked up once.
struct PrbLayout {
  std::uint64_t prb_sym = 0;
  std::uint64_t rb_desc_ring = 0, rb_text_ring = 0;
  std::uint64_t dr_count_bits = 0, dr_descs = 0, dr_infos = 0, dr_head = 0, dr_tail = 0;
  std::uint64_t desc_size = 0, desc_sv = 0, desc_lpos = 0, lpos_begin = 0, lpos_next = 0;
  std::uint64_t info_size = 0, info_seq = 0, info_ts = 0, info_len = 0, info_caller = 0;
  std::uint64_t data_bits = 0, data_data = 0;
  unsigned long_bytes = 8;
};

Result<PrbLayout> prb_layout(const VmcoreInfo& vi) {
  PrbLayout l;
  std::string missing;
  auto need = [&](std::uint64_t& dst, const char* key, int base) {
    if (auto v = vi.number(key, base))
      dst = *v;
    else
      missing += (missing.empty() ? "" : ", ") + std::string(key);
  };
  need(l.prb_sym, "SYMBOL(prb)", 16);
  need(l.rb_desc_ring, "OFFSET(printk_ringbuffer.desc_ring)", 10);
  need(l.rb_text_ring, "OFFSET(printk_ringbuffer.text_data_ring)", 10);
  need(l.dr_count_bits, "OFFSET(prb_desc_ring.count_bits)", 10);
  need(l.dr_descs, "OFFSET(prb_desc_ring.descs)", 10);
  need(l.dr_infos, "OFFSET(prb_desc_ring.infos)", 10);
  need(l.dr_head, "OFFSET(prb_desc_ring.head_id)", 10);
  need(l.dr_tail, "OFFSET(prb_desc_ring.tail_id)", 10);
  need(l.desc_size, "SIZE(prb_desc)", 10);
  need(l.desc_sv, "OFFSET(prb_desc.state_var)", 10);
  need(l.desc_lpos, "OFFSET(prb_desc.text_blk_lpos)", 10);
  need(l.lpos_begin, "OFFSET(prb_data_blk_lpos.begin)", 10);
  need(l.lpos_next, "OFFSET(prb_data_blk_lpos.next)", 10);
  need(l.info_size, "SIZE(printk_info)", 10);
  need(l.info_seq, "OFFSET(printk_info.seq)", 10);
  need(l.info_ts, "OFFSET(printk_info.ts_nsec)", 10);
  need(l.info_len, "OFFSET(printk_info.text_len)", 10);
  need(l.info_caller, "OFFSET(printk_info.caller_id)", 10);
  need(l.data_bits, "OFFSET(prb_data_ring.size_bits)", 10);
  need(l.data_data, "OFFSET(prb_data_ring.data)", 10);
  if (!missing.empty())
    return make_error(Errc::kUnsupported,
                      "vmcore: VMCOREINFO lacks the printk ring buffer (" + missing + ")");
  l.long_bytes = static_cast<unsigned>(vi.number("SIZE(atomic_long_t)", 10).value_or(8));
  if (l.long_bytes != 4 && l.long_bytes != 8)
    return make_error(Errc::kUnsupported, "vmcore: SIZE(atomic_long_t) is neither 4 nor 8");
  if (l.info_caller != l.info_len + 4)
    return make_error(Errc::kUnsupported,
                      "vmcore: printk_info has no facility/level bytes after text_len");
  if (l.desc_size > kMaxDescSize || l.info_size > kMaxInfoSize ||
      l.desc_sv + l.long_bytes > l.desc_size ||
      l.desc_lpos + l.lpos_next + l.long_bytes > l.desc_size || l.info_caller + 4 > l.info_size ||
      l.info_seq + 8 > l.info_size || l.info_ts + 8 > l.info_size)
    return core_error("VMCOREINFO offsets lie outside their structs", 0);
  return l;
}

// The rings, read whole (bounded by kMaxDescBits / kMaxDataBits).
struct Rings {
  unsigned count_bits = 0, size_bits = 0;
  std::uint64_t head_id = 0, tail_id = 0;
  std::vector<std::byte> descs, infos, data;
};

Result<Rings> read_rings(const KernelMemory& mem, const PrbLayout& l) {
  auto rb = mem.ulong(l.prb_sym);
  if (!rb) return rb.error();
  const std::uint64_t dr = *rb + l.rb_desc_ring, tr = *rb + l.rb_text_ring;
  Rings r;
  auto cb = mem.word(dr + l.dr_count_bits, 4);
  auto sb = mem.word(tr + l.data_bits, 4);
  if (!cb) return cb.error();
  if (!sb) return sb.error();
  if (*cb > kMaxDescBits || *sb > kMaxDataBits || *sb < 4)
    return core_error("ring sizes out of range (count_bits " + std::to_string(*cb) +
                          ", size_bits " + std::to_string(*sb) + ")",
                      0);
  r.count_bits = static_cast<unsigned>(*cb);
  r.size_bits = static_cast<unsigned>(*sb);
  auto descs = mem.ulong(dr + l.dr_descs), infos = mem.ulong(dr + l.dr_infos);
  auto head = mem.ulong(dr + l.dr_head), tail = mem.ulong(dr + l.dr_tail);
  auto data = mem.ulong(tr + l.data_data);
  for (auto* v : {&descs, &infos, &head, &tail, &data})
    if (!*v) return v->error();
  r.head_id = *head;
  r.tail_id = *tail;
  const std::size_t n = std::size_t{1} << r.count_bits;
  auto d = mem.bytes(*descs, n * l.desc_size);
  auto i = mem.bytes(*infos, n * l.info_size);
  auto t = mem.bytes(*data, std::size_t{1} << r.size_bits);
  for (auto* v : {&d, &i, &t})
    if (!*v) return v->error();
  r.descs = std::move(*d);
  r.infos = std::move(*i);
  r.data = std::move(*t);
  return r;
}

// get_data(): the text of a block at logical positions [begin, next).
std::optional<std::string_view> block_text(const Rings& r, const ByteReader& data, unsigned lb,
                                           std::uint64_t begin, std::uint64_t next) {
  // Data-less blocks: only NO_LPOS (0x3) is a valid empty record;
  // FAILED_LPOS (0x1) means the text could not be stored.
  if ((begin & 1) || (next & 1)) {
    if (begin == 3 && next == 3) return std::string_view{};
    return std::nullopt;
  }
  const std::uint64_t size = std::uint64_t{1} << r.size_bits, mask = size - 1;
  auto wraps = [&](std::uint64_t lpos) { return lpos >> r.size_bits; };
  std::uint64_t at = 0, len = 0;
  if (wraps(begin) == wraps(next) && begin < next) {
    at = begin & mask;
    len = next - begin;
  } else if (wraps(begin + size) == wraps(next)) {
    at = 0;
    len = next & mask;
  } else {
    return std::nullopt;
  }
  if (len < lb || at + len > data.size()) return std::nullopt;
  return as_chars(data.sub(at + lb, len - lb));
}

std::optional<LogRecord> read_record(const Rings& r, const PrbLayout& l, Endian e,
                                     std::uint64_t id) {
  const unsigned lb = l.long_bytes;
  const unsigned shift = lb * 8 - 2;
  const std::uint64_t id_mask = (1ull << shift) - 1;
  const std::size_t idx = id & ((std::size_t{1} << r.count_bits) - 1);
  ByteReader descs(r.descs, e), infos(r.infos, e), data(r.data, e);
  const std::size_t d = idx * l.desc_size, in = idx * l.info_size;
  const std::uint64_t sv = *descs.uword(d + l.desc_sv, lb);
  const std::uint64_t state = (sv >> shift) & 3;
  if ((sv & id_mask) != (id & id_mask) || (state != 1 && state != 2)) return std::nullopt;
  const std::uint64_t begin = *descs.uword(d + l.desc_lpos + l.lpos_begin, lb);
  const std::uint64_t next = *descs.uword(d + l.desc_lpos + l.lpos_next, lb);
  auto text = block_text(r, data, lb, begin, next);
  if (!text) return std::nullopt;
  LogRecord rec;
  rec.seq = *infos.u64(in + l.info_seq);
  rec.ts_nsec = *infos.u64(in + l.info_ts);
  const std::size_t len = u16_at(infos, in + l.info_len);
  rec.facility = *infos.u8(in + l.info_len + 2);
  const std::uint8_t bits = *infos.u8(in + l.info_len + 3);
  rec.level = e == Endian::kLittle ? bits >> 5 : bits & 7;
  rec.caller_id = *infos.u32(in + l.info_caller);
  // copy_data(): a block shorter than text_len is not a record.
  if (len > text->size()) return std::nullopt;
  rec.text.assign(text->substr(0, len));
  return rec;
}

}  // namespace

Result<PrintkLog> read_printk_log(const ReadAt& read, const ElfCore& core) {
  if (core.vmcoreinfo.empty()) return make_error(Errc::kUnsupported, "vmcore: no VMCOREINFO note");
  const VmcoreInfo info = VmcoreInfo::parse(core.vmcoreinfo);
  auto layout = prb_layout(info);
  if (!layout) return layout.error();
  KernelMemory mem(read, core, layout->long_bytes);
  auto rings = read_rings(mem, *layout);
  if (!rings) return rings.error();
  const unsigned shift = layout->long_bytes * 8 - 2;
  const std::uint64_t id_mask = (1ull << shift) - 1;
  PrintkLog log;
  if (auto t = info.number("CRASHTIME", 10); t && *t <= INT64_MAX)
    log.crash_time = static_cast<std::int64_t>(*t);
  const std::uint64_t count = std::uint64_t{1} << rings->count_bits;
  std::uint64_t id = rings->tail_id & id_mask;
  for (std::uint64_t n = 0; n < count; ++n) {
    if (auto rec = read_record(*rings, *layout, core.endian, id))
      log.records.push_back(std::move(*rec));
    else
      ++log.skipped;
    if (id == (rings->head_id & id_mask)) break;
    id = (id + 1) & id_mask;
  }
  return log;
}

std::string render_kmsg_dump(const std::vector<LogRecord>& records) {
  std::string out;
  char prefix[64];
  for (const auto& r : records) {
    // info_print_prefix(): "<%u>" then "[%5lu.%06lu]" then ' '.
    std::snprintf(prefix, sizeof prefix, "<%u>[%5llu.%06llu] ", (r.facility << 3) | r.level,
                  static_cast<unsigned long long>(r.ts_nsec / 1000000000),
                  static_cast<unsigned long long>(r.ts_nsec % 1000000000 / 1000));
    std::string_view text = r.text;
    while (true) {
      const auto nl = text.find('\n');
      out += prefix;
      out.append(text.substr(0, nl));
      out += '\n';
      if (nl == std::string_view::npos) break;
      text.remove_prefix(nl + 1);
    }
  }
  return out;
}

}  // namespace psb::format
