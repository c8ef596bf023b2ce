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
#include "pstore_blk/format/decompress.hpp"
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
  bool erased = false;              ///< recovered from an erased zone (--include-erased)
  bool compressed = false;          ///< the payload is compressed on disk
  bool decompressed = false;        ///< ... and inflated cleanly
  std::uint64_t size = 0;           ///< bytes of the file (known once the body ran)
  std::uint64_t salvaged_size = 0;  ///< bytes that did inflate when inflating failed
  std::string content;              ///< exact bytes of the file (when the caller keeps them)
  std::string salvaged;             ///< partial inflate output (when the caller keeps it)
  std::string detail;               ///< what went wrong, if anything
  std::optional<KmsgHeader> kmsg;   ///< dmesg only
};

struct DecodeOptions {
  bool include_erased = false;
  /// Upper bound for inflated output; 0 means 3 * buffer_size like >= 6.6's
  /// decompress_record(), which is larger than anything 6.1 wrote.
  std::size_t inflate_limit = 0;
};

/// Bytes of a zone, relative to the zone's start.
struct ByteRange {
  std::uint64_t offset = 0;
  std::uint64_t length = 0;
};

/// How a record's file content comes out of its zone, without holding it:
/// `prefix`, then the ranges' bytes in order, inflated when `inflate`.
/// The ranges are clipped to the bytes the image holds.
struct BodyPlan {
  std::string prefix;              ///< "<Reason>: Total <n> times\n" of uncompressed dmesg
  std::vector<ByteRange> ranges;   ///< one (dmesg) or two (a wrapped ring)
  bool inflate = false;            ///< the ranges hold one raw-deflate stream
  bool trim_trailing_nul = false;  ///< erased kmsg text: the kzalloc'd tail is not text
  std::uint64_t inflate_limit = 0;
  std::uint64_t stored_size() const;  ///< bytes of the ranges (the .enc.z content)
};

/// A record whose metadata is decided and whose content is yet to stream.
struct PendingRecord {
  Record record;
  BodyPlan body;
};

/// The record a dmesg zone holds: classified ok or truncated (or erased,
/// with include_erased); nullopt for zones that hold none.
std::optional<PendingRecord> plan_dmesg(const ZoneReport& rep, const Abi& abi,
                                        const DecodeOptions& opts);
/// The record a pmsg or console ring zone holds (ok or truncated).
std::optional<PendingRecord> plan_ring(const ZoneReport& rep);

/// The result of running a body.
struct BodyOutcome {
  InflateStatus status = InflateStatus::kOk;  ///< kOk for bodies that need no inflate
  std::uint64_t size = 0;                     ///< bytes given to the sink
  std::string message;
};

/// Runs a BodyPlan over the ranges' bytes fed in order, in pieces.
/// Reusable; memory does not grow with the record.
class BodyDecoder {
 public:
  void start(const BodyPlan& plan, const ChunkSink& out);
  /// Feeds the next bytes; false: stop feeding (stream over or sink refused).
  bool feed(Bytes in, bool last, const ChunkSink& out);
  BodyOutcome finish();

 private:
  StreamInflater inflater_;
  bool inflate_ = false;
  bool trim_ = false;
  bool stopped_ = false;
  std::uint64_t pending_nul_ = 0;
  std::uint64_t size_ = 0;
};

/// After the body ran: what the kernel does when decompress_record()
/// (fs/pstore/platform.c) fails: the file keeps the compressed bytes and
/// its name gets ".enc.z"; what did inflate is the salvage. Sets name,
/// state, detail, decompressed, size and salvaged_size.
void settle_record(PendingRecord& p, const BodyOutcome& out);

/// In-memory convenience (tests, small inputs): decodes a dmesg zone whose
/// bytes are all in `zone`, filling content and salvaged.
std::optional<Record> decode_dmesg(const ZoneReport& rep, Bytes zone, const Abi& abi,
                                   const DecodeOptions& opts);

/// Linearises a pmsg or console ring zone classified as ok (in memory).
std::optional<Record> decode_ring(const ZoneReport& rep, Bytes zone);

/// The linearised data of one ring zone (used for ftrace CPU zones too).
std::string linearize_ring(const ZoneHeader& h, Bytes zone);

/// The ranges of a ring zone's data, oldest first (psz_recover_zone()):
/// data[start .. datalen) then data[0 .. start), clipped to `available`.
std::vector<ByteRange> ring_ranges(const ZoneHeader& h, std::uint64_t available);

/// The kernel's file name: "<type>-pstore_blk-<id>[.enc.z]", plus our
/// ".erased" for a record recovered from an erased zone.
std::string record_name(RecordType t, unsigned id, bool enc_z, bool erased);

}  // namespace psb::format
