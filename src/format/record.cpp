#include "pstore_blk/format/record.hpp"

#include <algorithm>

namespace psb::format {

namespace {

std::string total_line(const KmsgHeader& k) {
  // kasprintf("%s: Total %d times\n", ...): counter is printed as a signed int.
  return std::string(reason_str(k.reason)) + ": Total " +
         std::to_string(static_cast<std::int32_t>(k.counter)) + " times\n";
}

// Clips [offset, offset+length) of a zone to its first `available` bytes.
ByteRange clip(std::uint64_t offset, std::uint64_t length, std::uint64_t available) {
  if (offset >= available) return {offset, 0};
  return {offset, std::min(length, available - offset)};
}

}  // namespace

std::string record_name(RecordType t, unsigned id, bool enc_z, bool erased) {
  std::string n =
      std::string(type_name(t)) + "-" + std::string(kBackendName) + "-" + std::to_string(id);
  if (enc_z) n += ".enc.z";
  if (erased) n += ".erased";
  return n;
}

std::uint64_t BodyPlan::stored_size() const {
  std::uint64_t n = 0;
  for (const auto& r : ranges) n += r.length;
  return n;
}

std::optional<PendingRecord> plan_dmesg(const ZoneReport& rep, const Abi& abi,
                                        const DecodeOptions& opts) {
  const bool erased = rep.state == ZoneState::kErased;
  if (!(rep.state == ZoneState::kOk || rep.state == ZoneState::kTruncated ||
        (erased && opts.include_erased)))
    return std::nullopt;
  if (!rep.header || !rep.kmsg) return std::nullopt;  // truncated before the headers

  PendingRecord p;
  Record& r = p.record;
  r.type = RecordType::kDmesg;
  r.id = rep.slot.index;
  r.offset = rep.slot.offset;
  r.state = rep.state;
  r.erased = erased;
  r.kmsg = rep.kmsg;
  r.detail = rep.detail;
  r.compressed = rep.kmsg->compressed != 0;
  r.name = record_name(RecordType::kDmesg, r.id, false, erased);

  // psz_kmsg_read(): the payload is data[hlen .. datalen), hlen =
  // sizeof(struct psz_kmsg_header). An erased zone has datalen 0, so take the
  // whole data area (deflate ends itself; text is trimmed).
  const std::uint64_t buffer_size = rep.slot.size - kZoneHeaderSize;
  const std::size_t hlen = abi.kmsg_header_size;
  const std::uint64_t datalen =
      erased
          ? buffer_size
          : std::min<std::uint64_t>(static_cast<std::uint32_t>(rep.header->datalen), buffer_size);
  const std::uint64_t want = datalen > hlen ? datalen - hlen : 0;
  p.body.ranges.push_back(clip(kZoneHeaderSize + hlen, want, rep.available));
  if (r.compressed) {
    p.body.inflate = true;
    p.body.inflate_limit = opts.inflate_limit ? opts.inflate_limit : 3 * buffer_size;
  } else {
    p.body.prefix = total_line(*rep.kmsg);
    p.body.trim_trailing_nul = erased;
  }
  return p;
}

std::vector<ByteRange> ring_ranges(const ZoneHeader& h, std::uint64_t available) {
  const auto len = static_cast<std::uint64_t>(std::max(h.datalen, 0));
  const auto start = static_cast<std::uint64_t>(std::max(h.start, 0));
  if (start > len) return {};
  const std::uint64_t data_avail = available > kZoneHeaderSize ? available - kZoneHeaderSize : 0;
  std::vector<ByteRange> out;
  for (ByteRange r : {ByteRange{start, len - start}, ByteRange{0, start}}) {
    ByteRange c = clip(r.offset, r.length, data_avail);
    if (c.length) out.push_back({kZoneHeaderSize + c.offset, c.length});
  }
  return out;
}

std::optional<PendingRecord> plan_ring(const ZoneReport& rep) {
  if (!(rep.state == ZoneState::kOk || rep.state == ZoneState::kTruncated) || !rep.header)
    return std::nullopt;
  PendingRecord p;
  Record& r = p.record;
  r.type = rep.slot.type;
  r.id = 0;
  r.offset = rep.slot.offset;
  r.state = rep.state;
  r.detail = rep.detail;
  r.name = record_name(rep.slot.type, 0, false, false);
  p.body.ranges = ring_ranges(*rep.header, rep.available);
  return p;
}

void BodyDecoder::start(const BodyPlan& plan, const ChunkSink& out) {
  inflate_ = plan.inflate;
  trim_ = plan.trim_trailing_nul;
  stopped_ = false;
  pending_nul_ = 0;
  size_ = 0;
  if (inflate_) inflater_.reset(plan.inflate_limit);
  if (!plan.prefix.empty()) {
    stopped_ = !out(plan.prefix);
    size_ += plan.prefix.size();
  }
}

bool BodyDecoder::feed(Bytes in, bool last, const ChunkSink& out) {
  if (stopped_) return false;
  if (inflate_) return inflater_.feed(in, last, out);
  std::string_view text = as_chars(in);
  if (!trim_) {
    size_ += text.size();
    stopped_ = !text.empty() && !out(text);
    return !stopped_;
  }
  // Zeros are held back until text follows them: the ones at the very end
  // are the zone's kzalloc'd tail.
  static constexpr char kZeros[4096] = {};
  const auto last_text = text.find_last_not_of('\0');
  if (last_text == std::string_view::npos) {
    pending_nul_ += text.size();
    return true;
  }
  while (pending_nul_ && !stopped_) {
    const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>(pending_nul_, 4096));
    stopped_ = !out(std::string_view(kZeros, n));
    pending_nul_ -= n;
    size_ += n;
  }
  if (stopped_ || !out(text.substr(0, last_text + 1))) return !(stopped_ = true);
  size_ += last_text + 1;
  pending_nul_ = text.size() - last_text - 1;
  return true;
}

BodyOutcome BodyDecoder::finish() {
  BodyOutcome o;
  if (inflate_) {
    o.status = inflater_.status();
    o.message = inflater_.message();
    o.size = size_ + inflater_.produced();
    return o;
  }
  o.status = stopped_ ? InflateStatus::kStopped : InflateStatus::kOk;
  o.size = size_;
  return o;
}

void settle_record(PendingRecord& p, const BodyOutcome& out) {
  Record& r = p.record;
  if (!p.body.inflate || out.status == InflateStatus::kOk) {
    r.decompressed = p.body.inflate;
    r.size = out.size;
    return;
  }
  // The kernel keeps the compressed bytes and names the file .enc.z.
  r.decompressed = false;
  r.size = p.body.stored_size();
  r.salvaged_size = out.size;
  r.name = record_name(r.type, r.id, true, r.erased);
  if (r.state == ZoneState::kOk) r.state = ZoneState::kDecompressFailed;
  if (!r.detail.empty()) r.detail += "; ";
  r.detail +=
      "decompression failed: " + inflate_failure(out.status, p.body.inflate_limit, out.message) +
      "; salvaged " + std::to_string(out.size) + " bytes";
  // An erased zone's compressed stream that does not end cleanly is most
  // likely stale bytes; keep what inflated.
  if (r.erased) r.state = ZoneState::kErased;
}

namespace {

// Runs a plan over a zone held in memory, keeping content and salvage.
Record materialize(PendingRecord p, Bytes zone) {
  std::string decoded;
  auto keep = [&](std::string_view s) {
    decoded.append(s);
    return true;
  };
  BodyDecoder dec;
  dec.start(p.body, keep);
  const auto& ranges = p.body.ranges;
  for (std::size_t i = 0; i < ranges.size(); ++i) {
    const ByteRange& br = ranges[i];
    Bytes b = br.offset < zone.size() ? zone.subspan(static_cast<std::size_t>(br.offset)) : Bytes{};
    if (b.size() > br.length) b = b.first(static_cast<std::size_t>(br.length));
    if (!dec.feed(b, i + 1 == ranges.size(), keep)) break;
  }
  if (ranges.empty()) dec.feed({}, true, keep);
  const BodyOutcome out = dec.finish();
  settle_record(p, out);
  Record r = std::move(p.record);
  if (p.body.inflate && out.status != InflateStatus::kOk) {
    for (const ByteRange& br : ranges)
      if (br.offset < zone.size())
        r.content.append(as_chars(zone.subspan(static_cast<std::size_t>(br.offset),
                                               static_cast<std::size_t>(std::min<std::uint64_t>(
                                                   br.length, zone.size() - br.offset)))));
    r.salvaged = std::move(decoded);
  } else {
    r.content = std::move(decoded);
  }
  return r;
}

}  // namespace

std::optional<Record> decode_dmesg(const ZoneReport& rep, Bytes zone, const Abi& abi,
                                   const DecodeOptions& opts) {
  auto p = plan_dmesg(rep, abi, opts);
  if (!p) return std::nullopt;
  return materialize(std::move(*p), zone);
}

std::string linearize_ring(const ZoneHeader& h, Bytes zone) {
  std::string out;
  for (const ByteRange& r : ring_ranges(h, zone.size()))
    out.append(as_chars(
        zone.subspan(static_cast<std::size_t>(r.offset), static_cast<std::size_t>(r.length))));
  return out;
}

std::optional<Record> decode_ring(const ZoneReport& rep, Bytes zone) {
  auto p = plan_ring(rep);
  if (!p) return std::nullopt;
  return materialize(std::move(*p), zone);
}

}  // namespace psb::format
