// Streams a pstore/zone partition zone by zone: discovers (or takes) the
// layout, classifies every zone, decodes records and hands each one to a
// sink, so memory stays flat whatever the partition size.
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
#include "pstore_blk/format/record.hpp"
#include "pstore_blk/format/zone.hpp"
#include "pstore_blk/io/byte_source.hpp"

namespace psb::io {

/// Layout overrides in the units of the pstore_blk module parameters.
struct LayoutOverride {
  std::optional<long> kmsg_kib, pmsg_kib, console_kib, ftrace_kib;
  std::optional<unsigned> cpus;
  bool any() const { return kmsg_kib || pmsg_kib || console_kib || ftrace_kib || cpus; }
};

struct ReadOptions {
  std::optional<format::Abi> abi;  ///< forced ABI; guessed when empty
  LayoutOverride layout;           ///< forced layout when any() is true
  bool include_erased = false;
  const format::SymbolTable* symbols = nullptr;  ///< for ftrace rendering
  bool keep_content = true;                      ///< false: records reach the sink without content
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

using RecordSink = std::function<void(format::Record&&)>;

/// Reads `src` (a pstore partition) and calls `sink` for each record in the
/// kernel's order: dmesg by zone index, then ftrace, pmsg, console.
/// Fails only when the source cannot be read at all or the layout is
/// impossible; damaged zones are reported in ScanSummary::zones.
Result<ScanSummary> scan_partition(const ByteSource& src, const ReadOptions& opts,
                                   const RecordSink& sink);

/// Signature hits found by streaming the first 128 MiB of `src`.
Result<std::vector<format::SigHit>> collect_signatures(const ByteSource& src, format::Endian e,
                                                       std::size_t max_hits = 65536);

}  // namespace psb::io
