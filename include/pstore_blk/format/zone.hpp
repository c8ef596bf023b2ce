// Zone headers and the per-zone verdict, following the kernel's own checks.
//
// struct psz_buffer (fs/pstore/zone.c, 5.8 .. 6.12), native byte order,
// identical on every ABI:
//   off 0  u32       sig      PSZ_SIG ^ pstore_type_id
//   off 4  atomic_t  datalen  valid bytes in data[] (kmsg: header + text)
//   off 8  atomic_t  start    ring zones: next write position; kmsg: 0
//   off 12 u8        data[]
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/bytes.hpp"
#include "pstore_blk/format/layout.hpp"

namespace psb::format {

/// fs/pstore/zone.c: `#define PSZ_SIG (0x43474244) /* DBGC */`
inline constexpr std::uint32_t PSZ_SIG = 0x43474244;
/// fs/pstore/zone.c: `#define PSTORE_KMSG_HEADER_MAGIC 0x4dfc3ae5`
inline constexpr std::uint32_t PSTORE_KMSG_HEADER_MAGIC = 0x4dfc3ae5;
/// sizeof(struct psz_buffer)
inline constexpr std::size_t kZoneHeaderSize = 12;

/// enum kmsg_dump_reason (include/linux/kmsg_dump.h, stable since 5.8).
enum class DumpReason : std::uint32_t {
  kUndef = 0,
  kPanic = 1,
  kOops = 2,
  kEmerg = 3,
  kShutdown = 4,
};
/// kmsg_dump_reason_str(): "Panic", "Oops", "Emergency", "Shutdown", else "Unknown".
std::string_view reason_str(std::uint32_t reason);

inline constexpr std::uint32_t expected_sig(RecordType t) {
  return PSZ_SIG ^ static_cast<std::uint32_t>(t);
}

struct ZoneHeader {
  std::uint32_t sig = 0;
  std::int32_t datalen = 0;
  std::int32_t start = 0;
};

struct KmsgHeader {
  std::uint32_t magic = 0;
  std::int64_t tv_sec = 0;
  std::int64_t tv_nsec = 0;
  std::uint8_t compressed = 0;  ///< the raw bool byte
  std::uint32_t counter = 0;
  std::uint32_t reason = 0;
};

/// The verdict for one zone. The first five mirror psz_kmsg_recover_meta()
/// and psz_recover_zone(); the rest are ours.
enum class ZoneState {
  kOk,                ///< the kernel would show this record
  kNoValidData,       ///< sig != type ^ PSZ_SIG (never written, or not a zone)
  kErased,            ///< sig ok, datalen == 0 (unlinked through /sys/fs/pstore)
  kOvertop,           ///< datalen or start larger than the data area
  kBadKmsgMagic,      ///< kmsg header magic wrong
  kCorrupt,           ///< passes the kernel's checks but cannot be decoded
                      ///< (datalen shorter than the kmsg header, start > datalen)
  kTruncated,         ///< the image ends inside the zone
  kDecompressFailed,  ///< compressed payload does not inflate
};

/// Stable lower-case name used in text and JSON output.
std::string_view state_name(ZoneState s);

struct ZoneReport {
  ZoneSlot slot;
  ZoneState state = ZoneState::kNoValidData;
  std::optional<ZoneHeader> header;
  std::optional<KmsgHeader> kmsg;
  std::uint64_t available = 0;  ///< bytes of this zone present in the image
  std::string detail;           ///< why, for damaged zones
};

/// Parses the 12-byte header; nullopt when fewer than 12 bytes are given.
std::optional<ZoneHeader> parse_zone_header(Bytes zone, Endian e);
/// Parses the kmsg header at zone+12; nullopt when it does not fit.
std::optional<KmsgHeader> parse_kmsg_header(Bytes zone, const Abi& abi);

/// Classifies one zone. `zone` holds the bytes of the slot that exist in the
/// image: it may be shorter than slot.size (truncated image), never longer.
/// Only the header bytes are looked at (12, plus the kmsg header for dmesg).
ZoneReport classify_zone(const ZoneSlot& slot, Bytes zone, const Abi& abi);
/// The same from the zone's head only (zone_head_size() bytes, fewer when
/// the image ends there) and the number of the zone's bytes the image
/// holds: the reader classifies every zone once, before reading its data.
ZoneReport classify_zone(const ZoneSlot& slot, Bytes head, std::uint64_t available, const Abi& abi);

}  // namespace psb::format
