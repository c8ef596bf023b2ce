#include "pstore_blk/io/reader.hpp"

#include <algorithm>
#include <vector>

#include "pstore_blk/format/discover.hpp"

namespace psb::io {

using namespace psb::format;

Result<std::vector<SigHit>> collect_signatures(const ByteSource& src, Endian e,
                                               std::size_t max_hits) {
  std::vector<SigHit> hits;
  const std::uint64_t end = std::min(src.size(), kMaxTotalSize);
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<std::byte> buf(kChunk + kProbeBytes);
  for (std::uint64_t off = 0; off < end; off += kChunk) {
    auto n = src.read_at(off, std::span(buf));
    if (!n) return n.error();
    Bytes chunk(buf.data(), *n);
    // Hits may start up to the end of this chunk; their header bytes come
    // from the overlap (kProbeBytes read past the chunk).
    find_signatures(chunk, off, std::min<std::uint64_t>(off + kChunk, end), e, hits, max_hits);
    if (*n < buf.size()) break;
  }
  return hits;
}

namespace {

// Makes buf hold [offset, offset+len) of the source, as much as exists, and
// reads only the bytes past the first `have` it already holds.
Result<Bytes> read_range(const ByteSource& src, std::uint64_t offset, std::size_t len,
                         std::vector<std::byte>& buf, std::size_t have = 0) {
  have = std::min(have, len);
  buf.resize(len);
  auto n = src.read_at(offset + have, std::span(buf).subspan(have));
  if (!n) return n.error();
  return Bytes(buf.data(), have + *n);
}

// Signature hits in the writer's byte order: little-endian unless only
// big-endian signatures are found (or the forced ABI is big-endian).
Result<std::vector<SigHit>> collect_hits(const ByteSource& src, const std::optional<Abi>& abi,
                                         std::size_t max_hits) {
  std::vector<SigHit> hits;
  if (!abi || abi->endian == Endian::kLittle) {
    auto le = collect_signatures(src, Endian::kLittle, max_hits);
    if (!le) return le.error();
    hits = std::move(*le);
  }
  if (hits.empty() && (!abi || abi->endian == Endian::kBig)) {
    auto be = collect_signatures(src, Endian::kBig, max_hits);
    if (!be) return be.error();
    hits = std::move(*be);
  }
  return hits;
}

}  // namespace

Result<ScanSummary> scan_partition(const ByteSource& src, const ReadOptions& opts,
                                   const RecordSink& sink) {
  ScanSummary sum;
  sum.source_size = src.size();
  sum.abi_forced = opts.abi.has_value();
  // pstore/zone refuses devices that are not a multiple of 4 KiB, so such a
  // source is an image cut short: lay the zones out over the rounded-up size
  // and let the missing zones show as truncated.
  std::uint64_t layout_size = src.size();
  if (layout_size % 4096 != 0) {
    layout_size += 4096 - layout_size % 4096;
    sum.notes.push_back("source size " + std::to_string(src.size()) +
                        " is not a multiple of 4096: treating it as cut short of " +
                        std::to_string(layout_size));
  }

  if (opts.layout.any()) {
    const auto& o = opts.layout;
    sum.layout = ZoneLayout::from_kib(layout_size, o.kmsg_kib.value_or(64), o.pmsg_kib.value_or(0),
                                      o.console_kib.value_or(0), o.ftrace_kib.value_or(0),
                                      o.cpus.value_or(1));
    sum.layout_forced = true;
    sum.signatures_found = true;
    if (opts.abi) {
      sum.abi = *opts.abi;
    } else {
      // Still guess the ABI from the first kmsg headers.
      auto hits = collect_hits(src, std::nullopt, 64);
      if (!hits) return hits.error();
      sum.abi = choose_abi(*hits, sum.notes);
    }
  } else {
    auto hits = collect_hits(src, opts.abi, 65536);
    if (!hits) return hits.error();
    DiscoveredLayout d = discover_layout(*hits, layout_size, opts.abi);
    sum.layout = d.layout;
    sum.abi = d.abi;
    sum.notes.insert(sum.notes.end(), d.notes.begin(), d.notes.end());
    sum.signatures_found = d.found;
  }

  auto slots = compute_slots(sum.layout);
  if (slots && layout_size != src.size() && sum.layout.kmsg_size != 0 && !slots->empty() &&
      slots->back().offset + slots->back().size < src.size()) {
    // A cut image whose cut falls past the last whole kmsg zone: lay out one
    // more zone so that the cut one is reported as truncated.
    ZoneLayout more = sum.layout;
    more.total_size = (layout_size + sum.layout.kmsg_size + 4095) / 4096 * 4096;
    if (more.total_size <= kMaxTotalSize) {
      sum.layout = more;
      slots = compute_slots(sum.layout);
    }
  }
  if (!slots) {
    Error e = slots.error();
    e.what = src.name() + ": layout " + sum.layout.describe() + ": " + e.what;
    return e;
  }

  std::vector<std::byte> buf;
  const Abi& abi = sum.abi;
  DecodeOptions dopts;
  dopts.include_erased = opts.include_erased;
  sum.zones.reserve(slots->size());

  auto classify_at = [&](const ZoneSlot& slot, Bytes& zone_bytes) -> Result<ZoneReport> {
    // Read the headers first, then only the bytes the record needs.
    const std::size_t head =
        std::min<std::uint64_t>(slot.size, kZoneHeaderSize + abi.kmsg_header_size);
    auto hb = read_range(src, slot.offset, head, buf);
    if (!hb) return hb.error();
    ZoneReport rep = classify_zone(slot, *hb, abi);
    const std::uint64_t in_source = src.size() > slot.offset ? src.size() - slot.offset : 0;
    if (hb->size() < head) {
      rep.available = hb->size();
      zone_bytes = *hb;
      return rep;
    }
    std::uint64_t want = kZoneHeaderSize;
    if (rep.header) want += static_cast<std::uint32_t>(std::max(rep.header->datalen, 0));
    if (rep.state == ZoneState::kErased && slot.type == RecordType::kDmesg && opts.include_erased)
      want = slot.size;
    if (rep.state != ZoneState::kOk && rep.state != ZoneState::kErased &&
        rep.state != ZoneState::kTruncated)
      want = head;
    // Never allocate more than the zone, nor more than the source holds:
    // a hostile header must not turn into a huge read buffer.
    want = std::min({want, slot.size, in_source});
    auto zb = read_range(src, slot.offset,
                         static_cast<std::size_t>(std::max<std::uint64_t>(want, head)), buf, head);
    if (!zb) return zb.error();
    // Re-classify with the full extent so truncation inside the data shows.
    ZoneReport full = classify_zone(slot, *zb, abi);
    full.available = std::min(slot.size, in_source);
    zone_bytes = *zb;
    return full;
  };

  std::vector<std::size_t> kmsg_idx, ftrace_idx;
  std::optional<std::size_t> pmsg_idx, console_idx;
  for (std::size_t i = 0; i < slots->size(); ++i) {
    switch ((*slots)[i].type) {
      case RecordType::kDmesg:
        kmsg_idx.push_back(i);
        break;
      case RecordType::kFtrace:
        ftrace_idx.push_back(i);
        break;
      case RecordType::kPmsg:
        pmsg_idx = i;
        break;
      case RecordType::kConsole:
        console_idx = i;
        break;
    }
  }
  sum.zones.resize(slots->size());

  auto emit = [&](Record&& r) {
    ++sum.records;
    if (!opts.keep_content) {
      r.content.clear();
      r.content.shrink_to_fit();
    }
    sink(std::move(r));
  };

  // Zones past the end of the source are reported without reading them.
  auto past_end = [&](const ZoneSlot& slot) { return slot.offset >= src.size(); };
  auto report_past_end = [&](const ZoneSlot& slot) {
    ZoneReport rep;
    rep.slot = slot;
    rep.state = ZoneState::kTruncated;
    rep.available = 0;
    rep.detail = "zone lies beyond the end of the image";
    return rep;
  };

  for (std::size_t i : kmsg_idx) {
    const ZoneSlot& slot = (*slots)[i];
    if (past_end(slot)) {
      sum.zones[i] = report_past_end(slot);
      continue;
    }
    Bytes zb;
    auto rep = classify_at(slot, zb);
    if (!rep) return rep.error();
    if (auto rec = decode_dmesg(*rep, zb, abi, dopts)) {
      if (rec->state == ZoneState::kDecompressFailed) {
        rep->state = ZoneState::kDecompressFailed;
        rep->detail = rec->detail;
      }
      emit(std::move(*rec));
    }
    sum.zones[i] = std::move(*rep);
  }

  if (!ftrace_idx.empty()) {
    std::vector<FtraceRecord> merged;
    bool any = false;
    for (std::size_t i : ftrace_idx) {
      const ZoneSlot& slot = (*slots)[i];
      if (past_end(slot)) {
        sum.zones[i] = report_past_end(slot);
        continue;
      }
      Bytes zb;
      auto rep = classify_at(slot, zb);
      if (!rep) return rep.error();
      if (rep->state == ZoneState::kOk || rep->state == ZoneState::kTruncated) {
        if (rep->header) {
          ftrace_combine(merged, linearize_ring(*rep->header, zb), abi);
          any = true;
        }
      }
      sum.zones[i] = std::move(*rep);
    }
    if (any && !merged.empty()) {
      Record r;
      r.type = RecordType::kFtrace;
      r.name = std::string("ftrace-") + std::string(kBackendName) + "-0";
      r.offset = (*slots)[ftrace_idx.front()].offset;
      r.content = render_ftrace(merged, abi, opts.symbols);
      emit(std::move(r));
    }
  }

  for (auto idx : {pmsg_idx, console_idx}) {
    if (!idx) continue;
    const ZoneSlot& slot = (*slots)[*idx];
    if (past_end(slot)) {
      sum.zones[*idx] = report_past_end(slot);
      continue;
    }
    Bytes zb;
    auto rep = classify_at(slot, zb);
    if (!rep) return rep.error();
    if (auto rec = decode_ring(*rep, zb)) emit(std::move(*rec));
    sum.zones[*idx] = std::move(*rep);
  }
  return sum;
}

}  // namespace psb::io
