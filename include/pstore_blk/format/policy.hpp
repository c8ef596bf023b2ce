// The reader's zone policy: which layout to take, which zones to read, in
// which order and how much of each, what the kernel names the files and
// which mtime it gives them, and what counts as damaged. io only moves bytes
// between the source, these decisions and the caller (docs/FORMAT.md).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/discover.hpp"
#include "pstore_blk/format/layout.hpp"
#include "pstore_blk/format/record.hpp"
#include "pstore_blk/format/zone.hpp"

namespace psb::format {

/// Layout overrides in the units of the pstore_blk module parameters.
struct LayoutOverride {
  std::optional<long> kmsg_kib, pmsg_kib, console_kib, ftrace_kib;
  std::optional<unsigned> cpus;
  bool any() const { return kmsg_kib || pmsg_kib || console_kib || ftrace_kib || cpus; }
};

/// What the caller forces; everything else is discovered.
struct ScanRequest {
  std::optional<Abi> abi;
  LayoutOverride layout;
};

/// Signature hits worth collecting before plan_scan(): a few to guess the ABI
/// from when the layout is forced, else enough for every zone of 128 MiB.
std::size_t hits_wanted(const ScanRequest& req);
/// Byte orders to search, in order; the first that finds any hit wins
/// (little-endian unless only big-endian signatures exist or are forced).
std::vector<Endian> hit_orders(const ScanRequest& req);

/// The layout the reader takes, the zones it yields and why.
struct ScanPlan {
  ZoneLayout layout;
  Abi abi;
  bool layout_forced = false;
  bool abi_forced = false;
  bool signatures_found = false;
  std::vector<std::string> notes;  ///< how the layout and ABI were chosen
  std::vector<ZoneSlot> slots;     ///< every zone, on-disk order
  std::vector<std::size_t> order;  ///< indices into slots, the kernel's read order
  std::uint64_t source_size = 0;
};

/// Chooses the layout for a source of `source_size` bytes from the forced
/// values and the signature hits. Sources that are not a multiple of 4096
/// are images cut short (pstore/zone refuses such devices): zones are laid
/// out over the rounded-up size so the missing ones show as truncated.
/// Sources over 128 MiB get a note: pstore/zone uses only that much.
/// Fails only when the layout is impossible (the message names it).
Result<ScanPlan> plan_scan(std::uint64_t source_size, const std::vector<SigHit>& hits,
                           const ScanRequest& req);

/// psz_read_next_zone() (fs/pstore/zone.c): kmsg zones by index, then the
/// ftrace zones (merged into one record), then pmsg, then console.
std::vector<std::size_t> kernel_read_order(const std::vector<ZoneSlot>& slots);

/// Bytes at the start of a zone that decide its state: psz_buffer, plus the
/// kmsg header for dmesg zones (never more than the zone).
std::size_t zone_head_size(const ZoneSlot& slot, const Abi& abi);
/// Bytes of the zone that lie inside a source of `source_size` bytes.
std::uint64_t zone_available(const ZoneSlot& slot, std::uint64_t source_size);
/// The report for a zone that starts at or past the end of the source.
ZoneReport zone_past_end(const ZoneSlot& slot);
/// Bytes of a classified ring zone that linearize_ring() needs.
std::uint64_t ring_extent(const ZoneReport& rep);

/// A zone in one of these states makes the read incomplete (exit status 1):
/// corrupt headers, truncated zones and payloads that do not inflate.
bool is_damaged(ZoneState s);

/// A file time, as pstore_mkfile() (fs/pstore/inode.c) sets it.
struct FileTime {
  std::int64_t sec = 0;
  std::int64_t nsec = 0;
};
/// dmesg records carry the dump time of their kmsg header as mtime; the
/// others carry the time they were read (none here). Out-of-range
/// nanoseconds read as 0.
std::optional<FileTime> record_mtime(const Record& r);
/// The name of the file that holds what did inflate of a record whose
/// payload does not: "<name without .enc.z>.salvaged". Ours, not the kernel's.
std::string salvaged_name(const Record& r);

}  // namespace psb::format
