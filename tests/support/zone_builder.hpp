// Test-only builder of pstore/zone images, described rather than pasted as
// hex (bloaty's yaml2obj role). It writes zones the way fs/pstore/zone.c
// does: psz_kmsg_write_record() for dmesg, psz_record_write() for rings.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/bytes.hpp"
#include "pstore_blk/format/ftrace.hpp"
#include "pstore_blk/format/layout.hpp"
#include "pstore_blk/format/zone.hpp"

namespace psb::test {

using format::Abi;
using format::RecordType;
using format::ZoneLayout;
using format::ZoneSlot;

/// Raw deflate as the kernel writes it (level 6, memLevel 8).
inline std::string deflate_raw(std::string_view in, int window_bits = 11) {
  z_stream zs{};
  if (deflateInit2(&zs, 6, Z_DEFLATED, -window_bits, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("deflateInit2");
  std::string out(deflateBound(&zs, in.size()) + 16, '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) throw std::runtime_error("deflate");
  out.resize(zs.total_out);
  deflateEnd(&zs);
  return out;
}

class ImageBuilder {
 public:
  ImageBuilder(ZoneLayout layout, Abi abi, std::byte fill = std::byte{0})
      : layout_(layout), abi_(abi), img_(layout.total_size, fill) {
    auto s = format::compute_slots(layout);
    if (!s) throw std::runtime_error(s.error().message());
    slots_ = *s;
  }

  const std::vector<ZoneSlot>& slots() const { return slots_; }
  const ZoneSlot& slot(RecordType t, unsigned index) const {
    for (const auto& s : slots_)
      if (s.type == t && s.index == index) return s;
    throw std::runtime_error("no such slot");
  }

  /// psz_kmsg_write_record(): a fresh zeroed zone, header, payload at hlen.
  ImageBuilder& kmsg(unsigned index, std::uint32_t reason, std::uint32_t counter, std::int64_t sec,
                     std::string_view text, bool compress, std::int64_t nsec = 123456789) {
    const ZoneSlot& s = slot(RecordType::kDmesg, index);
    std::string payload = compress ? deflate_raw(text) : std::string(text);
    const std::size_t hlen = abi_.kmsg_header_size;
    const std::size_t buffer_size = s.size - 12;
    if (payload.size() > buffer_size - hlen) payload.resize(buffer_size - hlen);
    std::byte* z = img_.data() + s.offset;
    std::fill(z, z + s.size, std::byte{0});
    put32(z, format::expected_sig(RecordType::kDmesg));
    put32(z + 4, static_cast<std::uint32_t>(hlen + payload.size()));
    put32(z + 8, 0);
    std::byte* h = z + 12;
    put32(h + abi_.kmsg_off_magic, format::PSTORE_KMSG_HEADER_MAGIC);
    put64(h + abi_.kmsg_off_tv_sec, static_cast<std::uint64_t>(sec));
    if (abi_.long_bytes == 8)
      put64(h + abi_.kmsg_off_tv_nsec, static_cast<std::uint64_t>(nsec));
    else
      put32(h + abi_.kmsg_off_tv_nsec, static_cast<std::uint32_t>(nsec));
    h[abi_.kmsg_off_compressed] = std::byte{compress ? std::uint8_t{1} : std::uint8_t{0}};
    put32(h + abi_.kmsg_off_counter, counter);
    put32(h + abi_.kmsg_off_reason, reason);
    std::memcpy(h + hlen, payload.data(), payload.size());
    return *this;
  }

  /// psz_kmsg_erase() on a block device: only datalen becomes 0.
  ImageBuilder& erase_kmsg(unsigned index) {
    put32(img_.data() + slot(RecordType::kDmesg, index).offset + 4, 0);
    return *this;
  }

  /// psz_record_write() on a ring zone (pmsg, console, an ftrace CPU):
  /// one call per write(); wraps byte-wise like the kernel.
  ImageBuilder& ring_write(RecordType t, unsigned index, std::string_view rec) {
    const ZoneSlot& s = slot(t, index);
    std::byte* z = img_.data() + s.offset;
    RingState& st = ring(t, index, z);
    const std::size_t buffer_size = s.size - 12;
    bool full = st.datalen >= buffer_size;
    std::size_t cnt = rec.size();
    const char* buf = rec.data();
    if (cnt > buffer_size) {
      buf += cnt - buffer_size;
      cnt = buffer_size;
    }
    std::size_t start = st.start;
    std::size_t rem = buffer_size - start;
    if (rem < cnt) {
      std::memcpy(z + 12 + start, buf, rem);
      st.datalen = start + rem;
      buf += rem;
      cnt -= rem;
      start = 0;
      full = true;
    }
    st.start = cnt + start;
    std::memcpy(z + 12 + start, buf, cnt);
    st.datalen = cnt + start;
    if (full) st.datalen = buffer_size;
    put32(z, format::expected_sig(t));
    put32(z + 4, static_cast<std::uint32_t>(st.datalen));
    put32(z + 8, static_cast<std::uint32_t>(st.start));
    return *this;
  }

  /// Appends ftrace records for one CPU zone (ts = counter << 8 | cpu).
  ImageBuilder& ftrace(unsigned cpu, std::uint64_t counter, std::uint64_t ip,
                       std::uint64_t parent) {
    std::string rec(abi_.ftrace_record_size(), '\0');
    auto* p = reinterpret_cast<std::byte*>(rec.data());
    if (abi_.long_bytes == 8) {
      put64(p, ip);
      put64(p + 8, parent);
    } else {
      put32(p, static_cast<std::uint32_t>(ip));
      put32(p + 4, static_cast<std::uint32_t>(parent));
    }
    put64(p + 2 * abi_.long_bytes, (counter << 8) | cpu);
    return ring_write(RecordType::kFtrace, cpu, rec);
  }

  /// Overwrites raw bytes (corruption tests).
  ImageBuilder& poke32(std::uint64_t off, std::uint32_t v) {
    put32(img_.data() + off, v);
    return *this;
  }

  const std::vector<std::byte>& bytes() const { return img_; }
  std::vector<std::byte>& bytes() { return img_; }

 private:
  struct RingState {
    RecordType t;
    unsigned index;
    std::size_t datalen = 0, start = 0;
  };
  RingState& ring(RecordType t, unsigned index, std::byte* z) {
    for (auto& r : rings_)
      if (r.t == t && r.index == index) return r;
    // psz_init_zone(): the RAM buffer starts as 0xFF; the first FLUSH_ALL
    // writes it whole.
    const ZoneSlot& s = slot(t, index);
    std::fill(z, z + s.size, std::byte{0xFF});
    rings_.push_back({t, index});
    return rings_.back();
  }
  void put32(std::byte* p, std::uint32_t v) { format::store_int(p, v, abi_.endian); }
  void put64(std::byte* p, std::uint64_t v) { format::store_int(p, v, abi_.endian); }

  ZoneLayout layout_;
  Abi abi_;
  std::vector<std::byte> img_;
  std::vector<ZoneSlot> slots_;
  std::vector<RingState> rings_;
};

/// A small oops-like text, deterministic per seed.
inline std::string fake_log(unsigned seed, std::size_t lines = 40) {
  std::string s = "Oops#" + std::to_string(seed) + " Part1\n";
  for (std::size_t i = 0; i < lines; ++i)
    s += "<4>[   " + std::to_string(10 + i) + ".000" + std::to_string(100 + seed) + "] line " +
         std::to_string(i) + " of record " + std::to_string(seed) +
         ": BUG: kernel NULL pointer dereference, address: 0000000000000000\n";
  return s;
}

}  // namespace psb::test
