// Streams a pstore/zone partition zone by zone. Every decision (layout,
// which zones, how much of each, names, damage) is format's zone policy
// (pstore_blk/format/policy.hpp); this layer reads the bytes it asks for and
// streams each record's content to its destination, so memory stays flat
// whatever the zone or partition size.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/discover.hpp"
#include "pstore_blk/format/ftrace.hpp"
#include "pstore_blk/format/layout.hpp"
#include "pstore_blk/format/policy.hpp"
#include "pstore_blk/format/record.hpp"
#include "pstore_blk/format/zone.hpp"
#include "pstore_blk/io/byte_source.hpp"

namespace psb::io {

using LayoutOverride = format::LayoutOverride;

struct ReadOptions {
  std::optional<format::Abi> abi;  ///< forced ABI; guessed when empty
  LayoutOverride layout;           ///< forced layout when any() is true
  bool include_erased = false;
  const format::SymbolTable* symbols = nullptr;  ///< for ftrace rendering
  /// scan_partition() only: false hands records over without content (their
  /// sizes still set); true keeps content and salvage up to content_limit.
  bool keep_content = true;
  std::uint64_t content_limit = 16u << 20;
  /// scan_records(): the sink reads records' metadata only (name, state,
  /// size, times), never their bytes. Zones are then decoded while discovery
  /// holds their bytes, and decode()/stored() of those records deliver no
  /// bytes (their outcomes and sizes are the same). scan_partition() sets it
  /// when !keep_content.
  bool metadata_only = false;
};

struct ScanSummary {
  format::ZoneLayout layout;
  format::Abi abi;
  bool layout_forced = false;
  bool abi_forced = false;
  bool signatures_found = false;
  std::vector<std::string> notes;         ///< how the layout and ABI were chosen
  std::vector<format::ZoneReport> zones;  ///< every zone, on-disk order
  std::uint64_t source_size = 0;
  std::size_t records = 0;
};

/// One record on its way out, valid only inside the sink call. record() has
/// the metadata; its name, state, size and detail are final once decode()
/// ran (a payload that does not inflate turns it into the kernel's .enc.z).
class RecordStream {
 public:
  virtual ~RecordStream() = default;
  const format::Record& record() const { return rec_; }
  /// Streams the file content the kernel would show when the record
  /// inflates (or needs no inflating). When it does not, `out` has received
  /// what did inflate (the salvage), and the outcome says why.
  virtual Result<format::BodyOutcome> decode(const format::ChunkSink& out) = 0;
  /// Streams the payload as stored on disk: the .enc.z file's content.
  virtual Result<std::uint64_t> stored(const format::ChunkSink& out) = 0;

 protected:
  format::Record rec_;
};

using StreamSink = std::function<void(RecordStream&)>;
using RecordSink = std::function<void(format::Record&&)>;

/// Called once the layout is chosen, before the first record.
using PlanSink = std::function<void(const ScanSummary&)>;

/// Reads `src` (a pstore partition) and calls `sink` for each record in the
/// kernel's order: dmesg by zone index, then ftrace, pmsg, console.
/// Fails only when the source cannot be read at all or the layout is
/// impossible; damaged zones are reported in ScanSummary::zones.
Result<ScanSummary> scan_records(const ByteSource& src, const ReadOptions& opts,
                                 const StreamSink& sink, const PlanSink& on_plan = nullptr);

/// The same with each record's content decoded into Record::content (and
/// salvage into Record::salvaged), bounded by opts.content_limit.
Result<ScanSummary> scan_partition(const ByteSource& src, const ReadOptions& opts,
                                   const RecordSink& sink);

}  // namespace psb::io
