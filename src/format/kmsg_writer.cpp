#include "pstore_blk/format/kmsg_writer.hpp"

#include <zlib.h>

#include <algorithm>
#include <cstdint>

#include "pstore_blk/format/decompress.hpp"

namespace psb::format {

std::size_t zbufsize_deflate_6_1(std::size_t bufsize) {
  // fs/pstore/platform.c (<= 6.5), zbufsize_deflate(): ratios chosen per
  // backend buffer range; (size * 100) / cmpr.
  std::size_t cmpr = 60;
  if (bufsize >= 1000 && bufsize <= 2000)
    cmpr = 56;
  else if (bufsize >= 2001 && bufsize <= 3000)
    cmpr = 54;
  else if (bufsize >= 3001 && bufsize <= 3999)
    cmpr = 52;
  else if (bufsize >= 4000 && bufsize <= 10000)
    cmpr = 45;
  return bufsize * 100 / cmpr;
}

KmsgCapacity kmsg_capacity(std::uint64_t zone_size, const Abi& abi) {
  KmsgCapacity c;
  const std::uint64_t overhead = kZoneHeaderSize + abi.kmsg_header_size;
  if (zone_size <= overhead) return c;
  // register_pstore_zone(): bufsize = kpszs[0]->buffer_size - sizeof(hdr).
  c.bufsize = static_cast<std::size_t>(zone_size - overhead);
  // 6.1 inflates into big_oops_buf_sz, >= 6.6 into 3 * bufsize.
  c.inflate_limit = std::min(zbufsize_deflate_6_1(c.bufsize), 3 * c.bufsize);
  return c;
}

namespace {

bool passes_recover_meta(const ZoneReport& z) {
  if (!z.header || !z.kmsg) return false;
  if (z.header->sig != expected_sig(RecordType::kDmesg)) return false;
  // `zone->buffer_size < atomic_read(&buf->datalen)`: size_t against int,
  // so a negative datalen is huge.
  const std::uint64_t buffer_size =
      z.slot.size > kZoneHeaderSize ? z.slot.size - kZoneHeaderSize : 0;
  if (static_cast<std::uint32_t>(z.header->datalen) > buffer_size) return false;
  return z.kmsg->magic == PSTORE_KMSG_HEADER_MAGIC;
}

}  // namespace

KmsgWriteState recover_kmsg_meta(const std::vector<ZoneReport>& zones) {
  KmsgWriteState st;
  for (const auto& z : zones)
    if (z.slot.type == RecordType::kDmesg) ++st.zone_count;
  if (st.zone_count == 0) return st;
  std::int64_t newest = 0;  // `struct timespec64 time = { };`
  for (const auto& z : zones) {
    if (z.slot.type != RecordType::kDmesg || !passes_recover_meta(z)) continue;
    const KmsgHeader& h = *z.kmsg;
    ++st.valid_headers;
    if (h.tv_sec >= newest) {
      newest = h.tv_sec;
      st.next_zone = (z.slot.index + 1) % st.zone_count;
    }
    if (!st.newest_sec || h.tv_sec > *st.newest_sec) st.newest_sec = h.tv_sec;
    if (h.reason == static_cast<std::uint32_t>(DumpReason::kOops))
      st.oops_counter = std::max(st.oops_counter, h.counter);
    else if (h.reason == static_cast<std::uint32_t>(DumpReason::kPanic))
      st.panic_counter = std::max(st.panic_counter, h.counter);
  }
  return st;
}

std::optional<std::string> deflate_window11(std::string_view in, std::size_t max_out) {
  // crypto/deflate.c (6.1): zlib_deflateInit2(level Z_DEFAULT_COMPRESSION,
  // Z_DEFLATED, -DEFLATE_DEF_WINBITS (11), DEFLATE_DEF_MEMLEVEL (8), default
  // strategy); the output buffer is bufsize and a stream that does not end
  // inside it is a failure.
  return deflate_once(in, Z_DEFAULT_COMPRESSION, -11, 8, max_out);
}

std::size_t log_tail_start(std::string_view log, std::size_t budget) {
  if (log.size() <= budget) return 0;
  const std::size_t start = log.size() - budget;
  if (log[start - 1] == '\n') return start;
  const std::size_t nl = log.find('\n', start);
  // No line ends inside the budget but the last: keep the cut line's tail.
  if (nl == std::string_view::npos || nl + 1 >= log.size()) return start;
  return nl + 1;
}

namespace {

struct Payload {
  std::string bytes;  // what goes after the kmsg header
  std::string text;   // header line + log tail, uncompressed
  std::size_t log_start = 0;
};

std::string panic_line(unsigned oopscount) {
  // pstore_dump(): snprintf("%s#%d Part%u\n", why, oopscount, part), part 1.
  return "Panic#" + std::to_string(static_cast<int>(oopscount)) + " Part1\n";
}

Result<Payload> raw_payload(const PanicDump& d, const KmsgCapacity& cap, const std::string& head) {
  if (head.size() > cap.bufsize)
    return make_error(Errc::kInvalidArgument, "kmsg zone too small for the record's first line");
  Payload p;
  p.log_start = log_tail_start(d.log, cap.bufsize - head.size());
  p.text = head + std::string(d.log.substr(p.log_start));
  p.bytes = p.text;
  return p;
}

std::optional<Payload> try_compressed(const PanicDump& d, const KmsgCapacity& cap,
                                      const std::string& head, std::size_t budget) {
  Payload p;
  p.log_start = log_tail_start(d.log, budget);
  p.text = head + std::string(d.log.substr(p.log_start));
  auto z = deflate_window11(p.text, cap.bufsize);
  if (!z) return std::nullopt;
  p.bytes = std::move(*z);
  return p;
}

// The longest newest tail that inflates within both kernels' buffers and
// deflates into bufsize: the whole budget when it fits, else a bisection on
// the tail length (the kept lines only grow with it).
Result<Payload> compressed_payload(const PanicDump& d, const KmsgCapacity& cap,
                                   const std::string& head) {
  if (head.size() > cap.inflate_limit)
    return make_error(Errc::kInvalidArgument, "kmsg zone too small for the record's first line");
  const std::size_t max_budget = cap.inflate_limit - head.size();
  if (auto all = try_compressed(d, cap, head, max_budget)) return std::move(*all);
  auto best = try_compressed(d, cap, head, 0);
  if (!best)
    return make_error(Errc::kInvalidArgument, "kmsg zone too small for the record's first line");
  std::size_t lo = 0, hi = max_budget;  // fits at lo, not at hi
  while (hi - lo > 16) {
    const std::size_t mid = lo + (hi - lo) / 2;
    if (auto p = try_compressed(d, cap, head, mid)) {
      lo = mid;
      best = std::move(p);
    } else {
      hi = mid;
    }
  }
  return std::move(*best);
}

void put32(std::vector<std::byte>& z, std::size_t off, std::uint32_t v, Endian e) {
  store_int(z.data() + off, v, e);
}

// psz_kmsg_write_record() + psz_write_kmsg_hdr() + psz_zone_write(FLUSH_ALL).
std::vector<std::byte> encode_zone(const ZoneSlot& slot, const Abi& abi, const PanicDump& d,
                                   std::uint32_t counter, bool compressed,
                                   const std::string& payload) {
  std::vector<std::byte> z(slot.size, std::byte{0});
  const std::size_t hlen = abi.kmsg_header_size;
  put32(z, 0, expected_sig(RecordType::kDmesg), abi.endian);
  put32(z, 4, static_cast<std::uint32_t>(hlen + payload.size()), abi.endian);
  put32(z, 8, 0, abi.endian);
  const std::size_t h = kZoneHeaderSize;
  put32(z, h + abi.kmsg_off_magic, PSTORE_KMSG_HEADER_MAGIC, abi.endian);
  store_int(z.data() + h + abi.kmsg_off_tv_sec, static_cast<std::uint64_t>(d.tv_sec), abi.endian);
  if (abi.long_bytes == 8)
    store_int(z.data() + h + abi.kmsg_off_tv_nsec, static_cast<std::uint64_t>(d.tv_nsec),
              abi.endian);
  else
    put32(z, h + abi.kmsg_off_tv_nsec, static_cast<std::uint32_t>(d.tv_nsec), abi.endian);
  z[h + abi.kmsg_off_compressed] = std::byte{compressed ? std::uint8_t{1} : std::uint8_t{0}};
  put32(z, h + abi.kmsg_off_counter, counter, abi.endian);
  put32(z, h + abi.kmsg_off_reason, static_cast<std::uint32_t>(DumpReason::kPanic), abi.endian);
  std::copy_n(reinterpret_cast<const std::byte*>(payload.data()), payload.size(),
              z.data() + h + hlen);
  return z;
}

const ZoneSlot* kmsg_slot(const std::vector<ZoneReport>& zones, unsigned index) {
  for (const auto& z : zones)
    if (z.slot.type == RecordType::kDmesg && z.slot.index == index) return &z.slot;
  return nullptr;
}

}  // namespace

Result<KmsgRecordPlan> plan_panic_record(const std::vector<ZoneReport>& zones, const Abi& abi,
                                         const PanicDump& dump) {
  if (dump.tv_sec < 0)
    return make_error(Errc::kInvalidArgument, "dump time before 1970 would never count as newest");
  if (dump.tv_nsec < 0 || dump.tv_nsec > 999999999)
    return make_error(Errc::kInvalidArgument, "dump time nanoseconds out of range");
  if (dump.oopscount == 0 || dump.oopscount > static_cast<unsigned>(INT32_MAX))
    return make_error(Errc::kInvalidArgument, "dump number out of range");
  KmsgRecordPlan plan;
  plan.before = recover_kmsg_meta(zones);
  const ZoneSlot* slot = kmsg_slot(zones, plan.before.next_zone);
  if (plan.before.zone_count == 0 || !slot)
    return make_error(Errc::kFormat, "the layout has no kmsg (dmesg) zone to write to");
  plan.slot = *slot;
  const KmsgCapacity cap = kmsg_capacity(slot->size, abi);
  if (cap.bufsize == 0)
    return make_error(Errc::kFormat, "kmsg zones are smaller than their headers");

  const std::string head = panic_line(dump.oopscount);
  auto payload = dump.compress ? compressed_payload(dump, cap, head) : raw_payload(dump, cap, head);
  if (!payload) return payload.error();

  plan.counter = plan.before.panic_counter + 1;  // ++cxt->panic_counter (unsigned int)
  plan.compressed = dump.compress;
  plan.payload_size = payload->bytes.size();
  plan.log_kept = dump.log.size() - payload->log_start;
  plan.log_dropped = payload->log_start;
  plan.older_than_newest = plan.before.newest_sec && dump.tv_sec < *plan.before.newest_sec;
  plan.zone = encode_zone(*slot, abi, dump, plan.counter, plan.compressed, payload->bytes);
  if (!plan.compressed)
    plan.kernel_file =
        "Panic: Total " + std::to_string(static_cast<std::int32_t>(plan.counter)) + " times\n";
  plan.kernel_file += payload->text;
  return plan;
}

}  // namespace psb::format
