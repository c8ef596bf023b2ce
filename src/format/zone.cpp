#include "pstore_blk/format/zone.hpp"

#include <algorithm>
#include <cstdio>

namespace psb::format {

std::string_view reason_str(std::uint32_t reason) {
  switch (reason) {
    case 1:
      return "Panic";
    case 2:
      return "Oops";
    case 3:
      return "Emergency";
    case 4:
      return "Shutdown";
    default:
      return "Unknown";
  }
}

std::string_view state_name(ZoneState s) {
  switch (s) {
    case ZoneState::kOk:
      return "ok";
    case ZoneState::kNoValidData:
      return "empty";
    case ZoneState::kErased:
      return "erased";
    case ZoneState::kOvertop:
      return "corrupt";
    case ZoneState::kBadKmsgMagic:
      return "corrupt";
    case ZoneState::kCorrupt:
      return "corrupt";
    case ZoneState::kTruncated:
      return "truncated";
    case ZoneState::kDecompressFailed:
      return "corrupt";
  }
  return "corrupt";
}

std::optional<ZoneHeader> parse_zone_header(Bytes zone, Endian e) {
  ByteReader r(zone, e);
  auto sig = r.u32(0);
  auto datalen = r.s32(4);
  auto start = r.s32(8);
  if (!sig || !datalen || !start) return std::nullopt;
  return ZoneHeader{*sig, *datalen, *start};
}

std::optional<KmsgHeader> parse_kmsg_header(Bytes zone, const Abi& abi) {
  ByteReader r(zone.size() > kZoneHeaderSize ? zone.subspan(kZoneHeaderSize) : Bytes{}, abi.endian);
  if (r.size() < abi.kmsg_header_size) return std::nullopt;
  KmsgHeader h;
  h.magic = *r.u32(abi.kmsg_off_magic);
  h.tv_sec = *r.s64(abi.kmsg_off_tv_sec);
  h.tv_nsec = static_cast<std::int64_t>(*r.uword(abi.kmsg_off_tv_nsec, abi.long_bytes));
  if (abi.long_bytes == 4) h.tv_nsec = static_cast<std::int32_t>(h.tv_nsec);
  h.compressed = *r.u8(abi.kmsg_off_compressed);
  h.counter = *r.u32(abi.kmsg_off_counter);
  h.reason = *r.u32(abi.kmsg_off_reason);
  return h;
}

namespace {

std::string hex32(std::uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "0x%08x", v);
  return buf;
}

}  // namespace

ZoneReport classify_zone(const ZoneSlot& slot, Bytes zone, const Abi& abi) {
  return classify_zone(slot, zone, zone.size(), abi);
}

ZoneReport classify_zone(const ZoneSlot& slot, Bytes zone, std::uint64_t available,
                         const Abi& abi) {
  ZoneReport rep;
  rep.slot = slot;
  rep.available = std::min<std::uint64_t>(available, slot.size);
  if (zone.size() > rep.available) zone = zone.first(static_cast<std::size_t>(rep.available));
  const std::uint64_t buffer_size = slot.size >= kZoneHeaderSize ? slot.size - kZoneHeaderSize : 0;

  rep.header = parse_zone_header(zone, abi.endian);
  if (!rep.header) {
    rep.state = ZoneState::kTruncated;
    rep.detail = "image ends inside the zone header";
    return rep;
  }
  const ZoneHeader& h = *rep.header;
  if (h.sig != expected_sig(slot.type)) {
    rep.state = ZoneState::kNoValidData;
    rep.detail = "no valid data (sig " + hex32(h.sig) + ")";
    return rep;
  }
  // The kernel compares `buffer_size < atomic_read(&datalen)` with size_t
  // arithmetic, so a negative datalen counts as huge: "found overtop zone".
  const auto datalen_u = static_cast<std::uint64_t>(static_cast<std::uint32_t>(h.datalen));
  const auto start_u = static_cast<std::uint64_t>(static_cast<std::uint32_t>(h.start));
  if (h.datalen < 0 || datalen_u > buffer_size) {
    rep.state = ZoneState::kOvertop;
    rep.detail = "datalen " + std::to_string(h.datalen) + " exceeds the " +
                 std::to_string(buffer_size) + "-byte data area";
    return rep;
  }

  if (slot.type == RecordType::kDmesg) {
    rep.kmsg = parse_kmsg_header(zone, abi);
    if (!rep.kmsg) {
      rep.state = ZoneState::kTruncated;
      rep.detail = "image ends inside the kmsg header";
      return rep;
    }
    if (rep.kmsg->magic != PSTORE_KMSG_HEADER_MAGIC) {
      rep.state = ZoneState::kBadKmsgMagic;
      rep.detail = "bad kmsg header magic " + hex32(rep.kmsg->magic);
      return rep;
    }
    if (h.datalen == 0) {
      rep.state = ZoneState::kErased;
      return rep;
    }
    if (datalen_u < abi.kmsg_header_size) {
      rep.state = ZoneState::kCorrupt;
      rep.detail = "datalen " + std::to_string(h.datalen) + " is shorter than the " +
                   std::to_string(abi.kmsg_header_size) + "-byte kmsg header";
      return rep;
    }
  } else {
    if (h.start < 0 || start_u > buffer_size) {
      rep.state = ZoneState::kOvertop;
      rep.detail = "start " + std::to_string(h.start) + " exceeds the " +
                   std::to_string(buffer_size) + "-byte data area";
      return rep;
    }
    if (h.datalen == 0) {
      rep.state = ZoneState::kErased;
      return rep;
    }
    if (start_u > datalen_u) {
      rep.state = ZoneState::kCorrupt;
      rep.detail =
          "start " + std::to_string(h.start) + " is past datalen " + std::to_string(h.datalen);
      return rep;
    }
  }
  if (kZoneHeaderSize + datalen_u > rep.available) {
    rep.state = ZoneState::kTruncated;
    rep.detail = "image ends " + std::to_string(rep.available) + " bytes into the zone, datalen " +
                 "needs " + std::to_string(kZoneHeaderSize + datalen_u);
    return rep;
  }
  rep.state = ZoneState::kOk;
  return rep;
}

}  // namespace psb::format
