#include "pstore_blk/format/ftrace.hpp"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <cstring>

#include "pstore_blk/format/bytes.hpp"

namespace psb::format {

namespace {
constexpr unsigned kTsCpuShift = 8;  // TS_CPU_SHIFT
}

unsigned ftrace_cpu(const FtraceRecord& r, const Abi& abi) {
  if (abi.cpu_in_ip_mask) return static_cast<unsigned>(r.ip & abi.cpu_in_ip_mask);
  return static_cast<unsigned>(r.ts & ((1u << kTsCpuShift) - 1));
}

std::uint64_t ftrace_counter(const FtraceRecord& r, const Abi& abi) {
  if (abi.cpu_in_ip_mask) return r.ts;
  return r.ts >> kTsCpuShift;
}

void ftrace_combine(std::vector<FtraceRecord>& merged, std::string_view zone_data, const Abi& abi) {
  const std::size_t rs = abi.ftrace_record_size();
  const std::size_t skip = zone_data.size() % rs;
  ByteReader r(as_bytes(zone_data.substr(skip)), abi.endian);
  std::vector<FtraceRecord> src;
  src.reserve(r.size() / rs);
  for (std::size_t off = 0; off + rs <= r.size(); off += rs) {
    FtraceRecord rec;
    rec.ip = *r.uword(off, abi.long_bytes);
    rec.parent_ip = *r.uword(off + abi.long_bytes, abi.long_bytes);
    rec.ts = *r.u64(off + 2 * abi.long_bytes);
    src.push_back(rec);
  }
  std::vector<FtraceRecord> out;
  out.reserve(merged.size() + src.size());
  std::size_t d = 0, s = 0;
  while (d < merged.size() && s < src.size()) {
    if (ftrace_counter(merged[d], abi) < ftrace_counter(src[s], abi))
      out.push_back(merged[d++]);
    else
      out.push_back(src[s++]);
  }
  while (d < merged.size()) out.push_back(merged[d++]);
  while (s < src.size()) out.push_back(src[s++]);
  merged = std::move(out);
}

namespace {

// scripts/kallsyms.c compare_symbols(): among symbols at one address, strong
// before weak, then not "linker script provided" before such names
// (__start_*, __stop_*, __end_*, *_start, *_end), then fewer leading
// underscores; get_symbol_pos() returns the first.
int kallsyms_rank(char type, std::string_view name) {
  int weak = (type == 'w' || type == 'W') ? 1 : 0;
  int lsp = 0;
  if (name.size() >= 8 && name.substr(0, 2) == "__") {
    if (name.substr(2, 6) == "start_" || name.substr(2, 5) == "stop_" ||
        name.substr(2, 4) == "end_" || name.ends_with("_start") || name.ends_with("_end"))
      lsp = 1;
  }
  int unders = static_cast<int>(std::min<std::size_t>(name.find_first_not_of('_'), 50));
  return weak * 10000 + lsp * 1000 + unders;
}

}  // namespace

SymbolTable SymbolTable::parse(std::string_view text) {
  SymbolTable t;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t nl = text.find('\n', pos);
    t.add_line(text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos));
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
  }
  t.finish();
  return t;
}

void SymbolTable::add_line(std::string_view line) {
  // ADDRESS TYPE NAME
  std::size_t a = line.find(' ');
  if (a == std::string_view::npos || a + 3 > line.size() || a > 16) return;
  std::string addr_s(line.substr(0, a));
  char type = line[a + 1];
  if (line[a + 2] != ' ') return;
  std::string_view name = line.substr(a + 3);
  if (auto tab = name.find_first_of(" \t"); tab != std::string_view::npos)
    name = name.substr(0, tab);
  // Only text symbols are in kallsyms without KALLSYMS_ALL; absolute
  // ('a'/'A') and data symbols would break symbol sizes.
  if (!(type == 't' || type == 'T' || type == 'w' || type == 'W')) return;
  char* end = nullptr;
  std::uint64_t addr = std::strtoull(addr_s.c_str(), &end, 16);
  if (end == addr_s.c_str() || *end != '\0' || name.empty()) return;
  syms_.push_back({addr, std::string(name), kallsyms_rank(type, name)});
}

void SymbolTable::finish() {
  std::stable_sort(syms_.begin(), syms_.end(), [](const Entry& x, const Entry& y) {
    if (x.addr != y.addr) return x.addr < y.addr;
    return x.rank < y.rank;
  });
}

std::optional<Symbol> SymbolTable::lookup(std::uint64_t addr) const {
  auto it = std::upper_bound(syms_.begin(), syms_.end(), addr,
                             [](std::uint64_t a, const Entry& e) { return a < e.addr; });
  if (it == syms_.begin()) return std::nullopt;
  const std::uint64_t sym_addr = std::prev(it)->addr;
  auto first = std::lower_bound(syms_.begin(), syms_.end(), sym_addr,
                                [](const Entry& e, std::uint64_t a) { return e.addr < a; });
  if (it == syms_.end()) return std::nullopt;  // past the last symbol: size unknown
  Symbol s;
  s.name = first->name;
  s.offset = addr - sym_addr;
  s.size = it->addr - sym_addr;
  return s;
}

bool render_ftrace_to(const std::vector<FtraceRecord>& recs, const Abi& abi,
                      const SymbolTable* syms, const ChunkSink& out) {
  std::string buf;
  char line[512];
  const std::uint64_t mask = abi.long_bytes == 4 ? 0xffffffffull : ~0ull;
  auto sym_name = [&](std::uint64_t a) {
    if (syms)
      if (auto s = syms->lookup(a)) return s->name;
    std::snprintf(line, sizeof line, "0x%" PRIx64, a);
    return std::string(line);
  };
  auto sym_full = [&](std::uint64_t a) {
    if (syms)
      if (auto s = syms->lookup(a)) {
        std::snprintf(line, sizeof line, "+0x%" PRIx64 "/0x%" PRIx64, s->offset, s->size);
        return s->name + line;
      }
    std::snprintf(line, sizeof line, "0x%" PRIx64, a);
    return std::string(line);
  };
  for (const auto& r : recs) {
    std::string a = sym_name(r.ip & mask);
    std::string b = sym_full(r.parent_ip & mask);
    std::snprintf(line, sizeof line, "CPU:%u ts:%" PRIu64 " %08" PRIx64 "  %08" PRIx64 "  ",
                  ftrace_cpu(r, abi), ftrace_counter(r, abi), r.ip & mask, r.parent_ip & mask);
    buf += line;
    buf += a;
    buf += " <- ";
    buf += b;
    buf += '\n';
    if (buf.size() >= 60000) {
      if (!out(buf)) return false;
      buf.clear();
    }
  }
  return buf.empty() || out(buf);
}

std::string render_ftrace(const std::vector<FtraceRecord>& recs, const Abi& abi,
                          const SymbolTable* syms) {
  std::string out;
  render_ftrace_to(recs, abi, syms, [&](std::string_view s) {
    out.append(s);
    return true;
  });
  return out;
}

bool FtraceAssembler::contributes(const ZoneReport& rep) {
  return rep.header && (rep.state == ZoneState::kOk || rep.state == ZoneState::kTruncated);
}

void FtraceAssembler::add(std::string_view linear) {
  taken_ += linear.size();
  any_ = true;
  ftrace_combine(merged_, linear, abi_);
}

void FtraceAssembler::skip(const ZoneSlot& slot) {
  skipped_ += skipped_.empty() ? "" : ", ";
  skipped_ += std::to_string(slot.index);
}

std::optional<Record> FtraceAssembler::record(std::uint64_t first_offset) const {
  if (!any_ || merged_.empty()) return std::nullopt;
  Record r;
  r.type = RecordType::kFtrace;
  r.name = record_name(RecordType::kFtrace, 0, false, false);
  r.offset = first_offset;
  if (!skipped_.empty()) {
    r.state = ZoneState::kTruncated;
    r.detail = "ftrace zones hold more than " + std::to_string(max_bytes_) +
               " bytes; CPU zone(s) " + skipped_ + " not merged";
  }
  return r;
}

}  // namespace psb::format
