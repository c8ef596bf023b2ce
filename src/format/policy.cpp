#include "pstore_blk/format/policy.hpp"

#include <algorithm>

namespace psb::format {

std::size_t hits_wanted(const ScanRequest& req) { return req.layout.any() ? 64 : 65536; }

std::vector<Endian> hit_orders(const ScanRequest& req) {
  if (req.abi) return {req.abi->endian};
  return {Endian::kLittle, Endian::kBig};
}

namespace {

// The layout the caller forces, or the one the signatures suggest.
void choose(ScanPlan& p, std::uint64_t layout_size, const std::vector<SigHit>& hits,
            const ScanRequest& req) {
  if (req.layout.any()) {
    const auto& o = req.layout;
    p.layout = ZoneLayout::from_kib(layout_size, o.kmsg_kib.value_or(64), o.pmsg_kib.value_or(0),
                                    o.console_kib.value_or(0), o.ftrace_kib.value_or(0),
                                    o.cpus.value_or(1));
    p.layout_forced = true;
    p.signatures_found = true;
    // Still guess the ABI from the first kmsg headers.
    p.abi = req.abi ? *req.abi : choose_abi(hits, p.notes);
    return;
  }
  DiscoveredLayout d = discover_layout(hits, layout_size, req.abi);
  p.layout = d.layout;
  p.abi = d.abi;
  p.notes.insert(p.notes.end(), d.notes.begin(), d.notes.end());
  p.signatures_found = d.found;
}

}  // namespace

Result<ScanPlan> plan_scan(std::uint64_t source_size, const std::vector<SigHit>& hits,
                           const ScanRequest& req) {
  ScanPlan p;
  p.source_size = source_size;
  p.abi_forced = req.abi.has_value();
  if (source_size > kMaxTotalSize)
    p.notes.push_back("source is " + std::to_string(source_size) +
                      " bytes; pstore/zone uses only the first 134217728 (128 MiB), so only "
                      "those are read");
  // pstore/zone refuses devices that are not a multiple of 4 KiB, so such a
  // source is an image cut short: lay the zones out over the rounded-up size
  // and let the missing zones show as truncated.
  std::uint64_t layout_size = source_size;
  if (layout_size % 4096 != 0) {
    layout_size += 4096 - layout_size % 4096;
    p.notes.push_back("source size " + std::to_string(source_size) +
                      " is not a multiple of 4096: treating it as cut short of " +
                      std::to_string(layout_size));
  }
  choose(p, layout_size, hits, req);

  auto slots = compute_slots(p.layout);
  if (slots && layout_size != source_size && p.layout.kmsg_size != 0 && !slots->empty() &&
      slots->back().offset + slots->back().size < source_size) {
    // A cut image whose cut falls past the last whole kmsg zone: lay out one
    // more zone so that the cut one is reported as truncated.
    ZoneLayout more = p.layout;
    more.total_size = (layout_size + p.layout.kmsg_size + 4095) / 4096 * 4096;
    if (more.total_size <= kMaxTotalSize) {
      p.layout = more;
      slots = compute_slots(p.layout);
    }
  }
  if (!slots) {
    Error e = slots.error();
    e.what = "layout " + p.layout.describe() + ": " + e.what;
    return e;
  }
  p.slots = std::move(*slots);
  p.order = kernel_read_order(p.slots);
  return p;
}

std::vector<std::size_t> kernel_read_order(const std::vector<ZoneSlot>& slots) {
  std::vector<std::size_t> order;
  order.reserve(slots.size());
  for (RecordType t :
       {RecordType::kDmesg, RecordType::kFtrace, RecordType::kPmsg, RecordType::kConsole})
    for (std::size_t i = 0; i < slots.size(); ++i)
      if (slots[i].type == t) order.push_back(i);
  return order;
}

std::size_t zone_head_size(const ZoneSlot& slot, const Abi& abi) {
  const std::size_t head =
      kZoneHeaderSize + (slot.type == RecordType::kDmesg ? abi.kmsg_header_size : 0);
  return static_cast<std::size_t>(std::min<std::uint64_t>(slot.size, head));
}

std::uint64_t zone_available(const ZoneSlot& slot, std::uint64_t source_size) {
  if (slot.offset >= source_size) return 0;
  return std::min(slot.size, source_size - slot.offset);
}

ZoneReport zone_past_end(const ZoneSlot& slot) {
  ZoneReport rep;
  rep.slot = slot;
  rep.state = ZoneState::kTruncated;
  rep.available = 0;
  rep.detail = "zone lies beyond the end of the image";
  return rep;
}

std::uint64_t ring_extent(const ZoneReport& rep) {
  if (!rep.header || !(rep.state == ZoneState::kOk || rep.state == ZoneState::kTruncated)) return 0;
  const auto len = static_cast<std::uint64_t>(std::max(rep.header->datalen, 0));
  return std::min(rep.available, kZoneHeaderSize + len);
}

bool is_damaged(ZoneState s) {
  return s == ZoneState::kOvertop || s == ZoneState::kBadKmsgMagic || s == ZoneState::kCorrupt ||
         s == ZoneState::kTruncated || s == ZoneState::kDecompressFailed;
}

std::optional<FileTime> record_mtime(const Record& r) {
  // pstore_mkfile(): only records with a time (dmesg) carry it as mtime.
  if (!r.kmsg || r.kmsg->tv_sec == 0) return std::nullopt;
  const std::int64_t nsec =
      (r.kmsg->tv_nsec >= 0 && r.kmsg->tv_nsec < 1000000000) ? r.kmsg->tv_nsec : 0;
  return FileTime{r.kmsg->tv_sec, nsec};
}

std::string salvaged_name(const Record& r) {
  std::string base = r.name;
  if (auto p = base.find(".enc.z"); p != std::string::npos) base.erase(p, 6);
  return base + ".salvaged";
}

}  // namespace psb::format
