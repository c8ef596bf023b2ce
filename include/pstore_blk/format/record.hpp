// From classified zones to the files the kernel shows in /sys/fs/pstore.
//
// Naming (pstore_mkfile(), fs/pstore/inode.c): "<type>-<backend>-<id>" plus
// ".enc.z" while the record is still compressed. pstore/zone ids: the kmsg
// zone index for dmesg (psz_pstore_read(): kmsg_read_cnt - 1), 0 otherwise.
//
// dmesg content (psz_kmsg_read(), fs/pstore/zone.c): uncompressed records get
// "<Reason>: Total <counter> times\n" (counter printed with %d) followed by
// data[hdr .. hdr + min(datalen - hdr, buffer_size - hdr)); compressed ones are
// inflated by pstore (decompress_record(), fs/pstore/platform.c) and get no
// such line; if inflating fails the raw bytes stay and the name gets .enc.z.
//
// pmsg/console (psz_recover_zone()): the ring linearised oldest first:
// data[start .. datalen) then data[0 .. start).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/zone.hpp"

namespace psb::format {

/// The backend name in file names: blk.c's KBUILD_MODNAME, also for mtdpstore.
inline constexpr std::string_view kBackendName = "pstore_blk";

struct Record {
  RecordType type = RecordType::kDmesg;
  unsigned id = 0;
  std::string name;          ///< file name, as the kernel would name it (+ ".erased")
  std::uint64_t offset = 0;  ///< zone offset inside the partition
  ZoneState state = ZoneState::kOk;
  bool erased = false;             ///< recovered from an erased zone (--include-erased)
  bool compressed = false;         ///< the payload is compressed on disk
  bool decompressed = false;       ///< ... and inflated cleanly
  std::string content;             ///< exact bytes of the file
  std::string salvaged;            ///< partial inflate output when inflating failed
  std::string detail;              ///< what went wrong, if anything
  std::optional<KmsgHeader> kmsg;  ///< dmesg only
};

struct DecodeOptions {
  bool include_erased = false;
  /// Upper bound for inflated output; 0 means 3 * buffer_size like >= 6.6's
  /// decompress_record(), which is larger than anything 6.1 wrote.
  std::size_t inflate_limit = 0;
};

/// Decodes a dmesg zone classified as ok (or erased, with include_erased).
/// Returns nullopt for zones that hold no record. Damaged compressed payloads
/// give a record in state kDecompressFailed with the kernel's .enc.z content.
std::optional<Record> decode_dmesg(const ZoneReport& rep, Bytes zone, const Abi& abi,
                                   const DecodeOptions& opts);

/// Linearises a pmsg or console ring zone classified as ok.
std::optional<Record> decode_ring(const ZoneReport& rep, Bytes zone);

/// The linearised data of one ring zone (used for ftrace CPU zones too).
std::string linearize_ring(const ZoneHeader& h, Bytes zone);

}  // namespace psb::format
