#include "pstore_blk/format/discover.hpp"

#include <algorithm>
#include <cstring>
#include <numeric>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace psb::format {

namespace {

// The first occurrence of the 3 bytes p[0..3) in [b, b+n), or nullptr.
// Compressed payloads are near-random bytes, so the pattern is rare and the
// scan runs over the whole partition: SSE2 tests 16 positions at a time
// (glibc's memmem spends far longer per byte on so short a needle).
#if defined(__SSE2__)
__m128i load16(const char* p) { return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p)); }

// Bit k set when p matches at b + k, for k in [0, 16).
unsigned match16(const char* b, __m128i c0, __m128i c1, __m128i c2) {
  const __m128i m =
      _mm_and_si128(_mm_and_si128(_mm_cmpeq_epi8(load16(b), c0), _mm_cmpeq_epi8(load16(b + 1), c1)),
                    _mm_cmpeq_epi8(load16(b + 2), c2));
  return static_cast<unsigned>(_mm_movemask_epi8(m));
}
#endif

const char* find3(const char* b, std::size_t n, const char* p) {
  std::size_t i = 0;
#if defined(__SSE2__)
  const __m128i c0 = _mm_set1_epi8(p[0]), c1 = _mm_set1_epi8(p[1]), c2 = _mm_set1_epi8(p[2]);
  // 64 positions at a time, filtered on the last byte alone (one compare per
  // byte); only a block where it occurs is checked on all three.
  for (; i + 66 <= n; i += 64) {
    const __m128i any = _mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(load16(b + i + 2), c2), _mm_cmpeq_epi8(load16(b + i + 18), c2)),
        _mm_or_si128(_mm_cmpeq_epi8(load16(b + i + 34), c2),
                     _mm_cmpeq_epi8(load16(b + i + 50), c2)));
    if (!_mm_movemask_epi8(any)) continue;
    for (std::size_t k = 0; k < 64; k += 16)
      if (const unsigned bits = match16(b + i + k, c0, c1, c2))
        return b + i + k + static_cast<std::size_t>(__builtin_ctz(bits));
  }
  for (; i + 18 <= n; i += 16)
    if (const unsigned bits = match16(b + i, c0, c1, c2))
      return b + i + static_cast<std::size_t>(__builtin_ctz(bits));
#endif
  if (i >= n) return nullptr;
  return static_cast<const char*>(memmem(b + i, n - i, p, 3));
}

std::optional<RecordType> type_from_sig(std::uint32_t sig) {
  switch (sig ^ PSZ_SIG) {
    case 0:
      return RecordType::kDmesg;
    case 2:
      return RecordType::kConsole;
    case 3:
      return RecordType::kFtrace;
    case 7:
      return RecordType::kPmsg;
    default:
      return std::nullopt;
  }
}

std::string kib(std::uint64_t v) {
  return v % 1024 == 0 ? std::to_string(v / 1024) + " KiB" : std::to_string(v) + " bytes";
}

}  // namespace

void find_signatures(Bytes chunk, std::uint64_t chunk_offset, std::uint64_t report_limit, Endian e,
                     std::vector<SigHit>& out, std::size_t max_hits) {
  // Common 3 bytes of every PSZ_SIG ^ type: LE "BGC" at +1, BE "CGB" at +0.
  const char* pat = e == Endian::kLittle ? "BGC" : "CGB";
  const std::size_t pat_at = e == Endian::kLittle ? 1 : 0;
  const char* base = reinterpret_cast<const char*>(chunk.data());
  std::size_t pos = 0;
  while (pos + 3 <= chunk.size() && out.size() < max_hits) {
    const char* m = find3(base + pos, chunk.size() - pos, pat);
    if (!m) break;
    const std::size_t at = static_cast<std::size_t>(m - base);
    pos = at + 1;
    if (at < pat_at) continue;
    const std::size_t zone = at - pat_at;
    if (chunk_offset + zone >= report_limit) break;
    Bytes view = chunk.subspan(zone);
    auto h = parse_zone_header(view, e);
    if (!h) continue;
    auto t = type_from_sig(h->sig);
    if (!t) continue;
    // A header with a negative field is still a zone (the reader lists it
    // as corrupt); a ring hit needs sector alignment then, as stray bytes
    // in a payload are no zone at all.
    const bool invalid = h->datalen < 0 || h->start < 0;
    if (invalid && *t != RecordType::kDmesg && (chunk_offset + zone) % 512 != 0) continue;
    SigHit hit;
    hit.offset = chunk_offset + zone;
    hit.type = *t;
    hit.header = *h;
    const std::size_t n = std::min(view.size(), kProbeBytes);
    std::memcpy(hit.raw.data(), view.data(), n);
    if (*t == RecordType::kDmesg) {
      ByteReader r(Bytes(hit.raw), e);
      if (r.u32(kZoneHeaderSize) != PSTORE_KMSG_HEADER_MAGIC) continue;
    } else if (!invalid && h->start > h->datalen && h->datalen != 0) {
      // Rings keep start <= datalen; anything else is a stray match.
      continue;
    }
    out.push_back(hit);
  }
}

std::optional<Abi> guess_abi(const SigHit& hit, Endian e) {
  for (const Abi& a : Abi::presets()) {
    if (a.endian != e) continue;
    auto k = parse_kmsg_header(Bytes(hit.raw), a);
    if (!k || k->magic != PSTORE_KMSG_HEADER_MAGIC) continue;
    if (k->compressed > 1 || k->reason > 5) continue;
    if (k->tv_nsec < 0 || k->tv_nsec >= 1000000000) continue;
    if (a.kmsg_header_size == 40) {
      // The 4 bytes after magic are padding (zero: kzalloc'd buffer); on
      // i386 they are the low half of tv_sec.
      ByteReader r(Bytes(hit.raw), e);
      if (r.u32(kZoneHeaderSize + 4) != 0u) continue;
    }
    return a;
  }
  return std::nullopt;
}

Abi choose_abi(const std::vector<SigHit>& hits, std::vector<std::string>& notes) {
  // The preset that fits most dmesg hits; x86_64 when none does.
  std::optional<Abi> best;
  int best_n = 0;
  bool any_dmesg = false;
  for (const Abi& a : Abi::presets()) {
    int n = 0;
    for (const SigHit& h : hits) {
      if (h.type != RecordType::kDmesg) continue;
      any_dmesg = true;
      auto g = guess_abi(h, a.endian);
      if (g && g->name == a.name) ++n;
    }
    if (n > best_n) {
      best_n = n;
      best = a;
    }
  }
  if (!any_dmesg) {
    notes.push_back("no kmsg header to guess the ABI from; using x86_64");
    return Abi::x86_64();
  }
  if (!best) {
    notes.push_back("ABI not recognised from the kmsg headers; using x86_64");
    return Abi::x86_64();
  }
  notes.push_back(
      "ABI " + std::string(best->name) + " guessed from the kmsg headers" +
      (best->kmsg_header_size != 40 ? std::string(" (28-byte header)")
       : best->endian == Endian::kLittle
           ? std::string(" (40-byte little-endian header: arm64 and 32-bit ARM write the same)")
           : std::string(" (40-byte big-endian header: ppc64, s390x and armeb write the same)")));
  return *best;
}

namespace {

// The signature hits of each zone type, in offset order.
struct HitsByType {
  std::vector<const SigHit*> dm, pm, co, ft;
};

HitsByType by_type(const std::vector<SigHit>& hits) {
  HitsByType t;
  for (const auto& h : hits) {
    switch (h.type) {
      case RecordType::kDmesg:
        t.dm.push_back(&h);
        break;
      case RecordType::kPmsg:
        t.pm.push_back(&h);
        break;
      case RecordType::kConsole:
        t.co.push_back(&h);
        break;
      case RecordType::kFtrace:
        t.ft.push_back(&h);
        break;
    }
  }
  return t;
}

// The ring zones before the kmsg area, in the kernel's order: pmsg at 0,
// then console, then the ftrace zones. Stray signatures in a hostile image
// must not produce negative zone sizes.
void keep_ring_order(HitsByType& t, std::uint64_t first_dm) {
  auto before = [&](const std::vector<const SigHit*>& v) {
    std::vector<const SigHit*> r;
    for (auto* h : v)
      if (h->offset < first_dm) r.push_back(h);
    return r;
  };
  t.pm = before(t.pm);
  t.co = before(t.co);
  t.ft = before(t.ft);
  if (!t.co.empty()) {
    const std::uint64_t c0 = t.co.front()->offset;
    std::vector<const SigHit*> keep;
    for (auto* h : t.ft)
      if (h->offset > c0) keep.push_back(h);
    t.ft = keep;
  }
}

// ftrace: per-CPU zones of `size` bytes, the first at `first`.
struct FtraceZones {
  std::uint64_t size = 0, first = 0;
  unsigned count = 0;
};

// The ftrace zones the hits show: their size is the gcd of the distances
// between them, or with one hit its header's lower bound.
FtraceZones ftrace_zones(const std::vector<const SigHit*>& ft, std::uint64_t T,
                         std::vector<std::string>& notes) {
  FtraceZones z;
  if (ft.empty()) return z;
  z.first = ft.front()->offset;
  if (ft.size() >= 2) {
    std::uint64_t g = 0;
    for (std::size_t i = 1; i < ft.size(); ++i) g = std::gcd(g, ft[i]->offset - ft[i - 1]->offset);
    z.size = g;
  } else {
    const auto& h = ft.front()->header;
    z.size = kZoneHeaderSize + static_cast<std::uint64_t>(std::max({h.datalen, h.start, 0}));
    // A corrupt datalen must not size a zone past the partition.
    z.size = std::min(z.size, T > z.first ? T - z.first : kZoneHeaderSize);
    notes.push_back("only one ftrace zone found; its size is a lower bound");
  }
  z.count = static_cast<unsigned>((ft.back()->offset - z.first) / z.size + 1);
  return z;
}

// kmsg zone size: the gcd of the distances between dmesg headers, or with
// one header the smallest power of two from 64 KiB that holds its record
// (halved while the partition is smaller). 0 without a dmesg hit.
std::uint64_t kmsg_zone_size(const std::vector<const SigHit*>& dm, std::uint64_t T,
                             std::vector<std::string>& notes) {
  std::uint64_t K = 0;
  if (dm.size() >= 2) {
    std::uint64_t g = 0;
    for (std::size_t i = 1; i < dm.size(); ++i) g = std::gcd(g, dm[i]->offset - dm[i - 1]->offset);
    K = g;
    notes.push_back("kmsg zone size " + kib(K) + " from the spacing of " +
                    std::to_string(dm.size()) + " kmsg headers");
  } else if (dm.size() == 1) {
    // A datalen that no zone here could hold is corrupt, not a size hint.
    const std::uint64_t room0 = T > dm.front()->offset ? T - dm.front()->offset : 0;
    std::uint64_t need =
        kZoneHeaderSize + static_cast<std::uint64_t>(std::max(dm.front()->header.datalen, 0));
    if (need > room0) need = 0;
    K = 64 * 1024;
    while (K < need) K *= 2;
    // A partition smaller than that holds smaller zones.
    const std::uint64_t room = T > dm.front()->offset ? T - dm.front()->offset : 0;
    while (K > 4096 && K > room && K / 2 >= need) K /= 2;
    notes.push_back("one kmsg header only: assuming kmsg zones of " + kib(K) +
                    " (pass --kmsg-size if pstore_blk.kmsg_size differed)");
  }
  if (K == 0) return K;
  for (auto* h : dm) {
    const std::uint64_t need =
        kZoneHeaderSize + static_cast<std::uint64_t>(std::max(h->header.datalen, 0));
    if (need > K) {
      notes.push_back("a kmsg record at offset " + std::to_string(h->offset) +
                      " is larger than the guessed zone size");
      break;
    }
  }
  return K;
}

// The ring zone sizes (pmsg, console, ftrace and the CPU count) in front of
// the kmsg area at `base`, into d.layout.
void ring_zone_sizes(const HitsByType& t, FtraceZones z, std::uint64_t base, std::uint64_t T,
                     DiscoveredLayout& d) {
  const bool has_pmsg = !t.pm.empty() && t.pm.front()->offset == 0;
  const std::uint64_t console_at = t.co.empty() ? 0 : t.co.front()->offset;
  std::uint64_t P = 0, C = 0, F = 0;
  const std::uint64_t ring_end = t.dm.empty() ? T : base;
  std::uint64_t after_console = t.ft.empty() ? ring_end : z.first;
  if (!t.co.empty()) {
    P = console_at;  // a console zone at c > 0 means a pmsg zone of c bytes
    C = after_console > console_at ? after_console - console_at : 0;
  } else if (has_pmsg) {
    P = after_console;
  }
  if (!t.ft.empty()) {
    if (t.ft.size() == 1 && !t.dm.empty() && ring_end > z.first) {
      // One CPU zone seen: assume it is the only one and runs to the kmsg area.
      z.size = ring_end - z.first;
    }
    F = z.size * z.count;
    if (ring_end > z.first + F && !t.dm.empty()) {
      // More CPU zones than were written: stretch to the kmsg base.
      z.count = static_cast<unsigned>((ring_end - z.first) / z.size);
      F = z.size * z.count;
    }
    d.notes.push_back("ftrace: " + std::to_string(z.count) + " CPU zone(s) of " +
                      std::to_string(z.size) + " bytes");
  }
  // No kmsg area seen: the ring zones run to the end; kmsg is off or unwritten.
  if (t.dm.empty()) d.notes.push_back("no kmsg record found; kmsg zones not located");
  if (P || C || F) {
    d.notes.push_back("ring zones: pmsg " + kib(P) + ", console " + kib(C) + ", ftrace " + kib(F));
  } else if (base != 0 && !t.dm.empty()) {
    d.notes.push_back("kmsg area starts at " + std::to_string(base) +
                      " with no ring zone signature before it; assuming an unwritten pmsg zone");
    P = base;
  }
  d.layout.pmsg_size = P;
  d.layout.console_size = C;
  d.layout.ftrace_size = F;
  d.layout.nr_cpus = z.count ? z.count : 1;
}

}  // namespace

DiscoveredLayout discover_layout(const std::vector<SigHit>& hits, std::uint64_t total_size,
                                 const std::optional<Abi>& forced_abi) {
  DiscoveredLayout d;
  d.abi = forced_abi.value_or(Abi::x86_64());
  d.layout.total_size = total_size;
  const std::uint64_t T = std::min(total_size, kMaxTotalSize);
  HitsByType t = by_type(hits);
  d.found = !hits.empty();
  if (!d.found) {
    d.layout.kmsg_size = 64 * 1024;
    d.notes.push_back("no pstore/zone signature found; assuming the default 64 KiB kmsg zones");
    return d;
  }
  d.abi = forced_abi ? *forced_abi : choose_abi(hits, d.notes);
  const std::uint64_t first_dm = t.dm.empty() ? T : t.dm.front()->offset;
  keep_ring_order(t, first_dm);
  const FtraceZones z = ftrace_zones(t.ft, T, d.notes);
  const std::uint64_t K = kmsg_zone_size(t.dm, T, d.notes);
  // Base of the kmsg area. On a device that started empty, pstore/zone
  // writes kmsg zone 0 first (kmsg_write_cnt starts at 0 and only moves on
  // round-robin), so the first kmsg header found is zone 0. Spacing alone
  // cannot tell, e.g. with 32 KiB kmsg zones behind a 64 KiB ftrace area.
  ring_zone_sizes(t, z, first_dm, T, d);
  d.layout.kmsg_size = K;
  return d;
}

}  // namespace psb::format
