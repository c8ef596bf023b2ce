#include "pstore_blk/format/record.hpp"

#include <algorithm>

#include "pstore_blk/format/decompress.hpp"

namespace psb::format {

namespace {

std::string base_name(RecordType t, unsigned id) {
  return std::string(type_name(t)) + "-" + std::string(kBackendName) + "-" + std::to_string(id);
}

std::string total_line(const KmsgHeader& k) {
  // kasprintf("%s: Total %d times\n", ...): counter is printed as a signed int.
  return std::string(reason_str(k.reason)) + ": Total " +
         std::to_string(static_cast<std::int32_t>(k.counter)) + " times\n";
}

}  // namespace

std::optional<Record> decode_dmesg(const ZoneReport& rep, Bytes zone, const Abi& abi,
                                   const DecodeOptions& opts) {
  const bool erased = rep.state == ZoneState::kErased;
  if (!(rep.state == ZoneState::kOk || rep.state == ZoneState::kTruncated ||
        (erased && opts.include_erased)))
    return std::nullopt;
  if (!rep.header || !rep.kmsg) return std::nullopt;  // truncated before the headers

  Record r;
  r.type = RecordType::kDmesg;
  r.id = rep.slot.index;
  r.offset = rep.slot.offset;
  r.state = rep.state;
  r.erased = erased;
  r.kmsg = rep.kmsg;
  r.detail = rep.detail;
  r.compressed = rep.kmsg->compressed != 0;
  std::string name = base_name(RecordType::kDmesg, r.id);

  const std::uint64_t buffer_size = rep.slot.size - kZoneHeaderSize;
  const std::size_t hlen = abi.kmsg_header_size;
  const std::size_t payload_off = kZoneHeaderSize + hlen;
  // The payload as the kernel would read it; for erased zones datalen is 0, so
  // take the whole data area (deflate ends itself; text is trimmed below).
  std::uint64_t want = erased ? buffer_size - hlen
                              : std::min<std::uint64_t>(
                                    static_cast<std::uint32_t>(rep.header->datalen), buffer_size) -
                                    hlen;
  Bytes payload = zone.size() > payload_off ? zone.subspan(payload_off) : Bytes{};
  if (payload.size() > want) payload = payload.first(want);

  if (!r.compressed) {
    std::string_view text = as_chars(payload);
    if (erased) {
      // kzalloc'd zone: the text is followed by zeros.
      auto last = text.find_last_not_of('\0');
      text = last == std::string_view::npos ? std::string_view{} : text.substr(0, last + 1);
    }
    r.content = total_line(*rep.kmsg);
    r.content.append(text);
    r.decompressed = false;
  } else {
    const std::size_t limit = opts.inflate_limit ? opts.inflate_limit : 3 * buffer_size;
    InflateResult inf = inflate_raw(payload, limit);
    if (inf.status == InflateStatus::kOk) {
      r.content = std::move(inf.out);
      r.decompressed = true;
    } else {
      // The kernel keeps the compressed bytes and names the file .enc.z.
      r.content.assign(as_chars(payload));
      r.salvaged = std::move(inf.out);
      name += ".enc.z";
      if (r.state == ZoneState::kOk) r.state = ZoneState::kDecompressFailed;
      std::string why =
          inf.status == InflateStatus::kOutputLimit
              ? "output exceeds " + std::to_string(limit) + " bytes"
          : inf.status == InflateStatus::kIncomplete
              ? "deflate stream is cut short"
              : "invalid deflate data" + (inf.message.empty() ? "" : " (" + inf.message + ")");
      if (!r.detail.empty()) r.detail += "; ";
      r.detail += "decompression failed: " + why + "; salvaged " +
                  std::to_string(r.salvaged.size()) + " bytes";
      if (erased) {
        // An erased zone's compressed stream that does not end cleanly is
        // most likely stale bytes; keep what inflated.
        r.state = ZoneState::kErased;
      }
    }
  }
  if (erased) name += ".erased";
  r.name = std::move(name);
  return r;
}

std::string linearize_ring(const ZoneHeader& h, Bytes zone) {
  Bytes data = zone.size() > kZoneHeaderSize ? zone.subspan(kZoneHeaderSize) : Bytes{};
  const auto len = static_cast<std::size_t>(std::max(h.datalen, 0));
  const auto start = static_cast<std::size_t>(std::max(h.start, 0));
  std::string out;
  if (start > len) return out;
  auto part = [&](std::size_t from, std::size_t n) {
    if (from >= data.size()) return;
    n = std::min(n, data.size() - from);
    out.append(as_chars(data.subspan(from, n)));
  };
  part(start, len - start);
  part(0, start);
  return out;
}

std::optional<Record> decode_ring(const ZoneReport& rep, Bytes zone) {
  if (!(rep.state == ZoneState::kOk || rep.state == ZoneState::kTruncated) || !rep.header)
    return std::nullopt;
  Record r;
  r.type = rep.slot.type;
  r.id = 0;
  r.offset = rep.slot.offset;
  r.state = rep.state;
  r.detail = rep.detail;
  r.name = base_name(rep.slot.type, 0);
  r.content = linearize_ring(*rep.header, zone);
  return r;
}

}  // namespace psb::format
