// Heuristic layout discovery: propose a ZoneLayout from the zone signatures
// found in the bytes. This is separate from decoding on purpose: the decoder
// takes an explicit layout, and the CLI says when a layout was guessed.
//
// Every pstore/zone header starts with PSZ_SIG ^ type, i.e. the bytes
// "?BGC" (little-endian) or "CGB?" (big-endian), so signatures are found with
// one memmem pass. dmesg hits also need the kmsg magic right after the header.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/layout.hpp"
#include "pstore_blk/format/zone.hpp"

namespace psb::format {

/// Bytes inspected at a candidate zone: psz_buffer + the largest kmsg header.
inline constexpr std::size_t kProbeBytes = kZoneHeaderSize + 40;

struct SigHit {
  std::uint64_t offset = 0;
  RecordType type = RecordType::kDmesg;
  ZoneHeader header;
  std::array<std::byte, kProbeBytes> raw{};  ///< header bytes (zero-padded at the image end)
};

/// Appends the signature hits of `chunk` (which starts at `chunk_offset`) for
/// byte order `e`, keeping only hits that start before `report_limit`
/// (callers overlap chunks by kProbeBytes and pass the chunk end minus the
/// overlap). Stops adding once `out` holds `max_hits`.
void find_signatures(Bytes chunk, std::uint64_t chunk_offset, std::uint64_t report_limit, Endian e,
                     std::vector<SigHit>& out, std::size_t max_hits = 65536);

struct DiscoveredLayout {
  ZoneLayout layout;
  Abi abi;
  bool found = false;              ///< any pstore zone signature at all
  std::vector<std::string> notes;  ///< how each value was chosen
};

/// Proposes the layout (and the writer's ABI, unless `forced_abi`) that puts
/// a zone of the right type at every hit. `total_size` is the partition size.
DiscoveredLayout discover_layout(const std::vector<SigHit>& hits, std::uint64_t total_size,
                                 const std::optional<Abi>& forced_abi);

/// The writer's ABI: the preset that fits most dmesg hits, else x86_64; adds
/// a note saying which and why.
Abi choose_abi(const std::vector<SigHit>& hits, std::vector<std::string>& notes);

/// Guesses the ABI from one dmesg hit's raw header; nullopt when no preset fits.
std::optional<Abi> guess_abi(const SigHit& dmesg_hit, Endian e);

}  // namespace psb::format
