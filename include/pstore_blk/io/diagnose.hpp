// What a source holds before any layout reasoning: nothing, a compressed
// file, a blank (never written) area, or data. Typed answers; the CLI words
// them.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "pstore_blk/io/byte_source.hpp"
#include "pstore_blk/result.hpp"

namespace psb::io {

/// A compression format recognised by its magic bytes.
struct Compression {
  std::string_view name;     ///< "xz", "gzip", "zstd", "bzip2"
  std::string_view command;  ///< how to decompress a copy: "xz -dk"
};

/// The compression format whose magic starts `src`, if any.
Result<std::optional<Compression>> sniff_compression(const ByteSource& src);

/// The offset of the first byte of [offset, offset + len) in `src` that is
/// not `fill`; nullopt when every byte there is (a source that ends early
/// is looked at as far as it goes). Reads in 1 MiB chunks.
Result<std::optional<std::uint64_t>> find_not_fill(const ByteSource& src, std::uint64_t offset,
                                                   std::uint64_t len, std::uint8_t fill);

/// The byte every one of the first `limit` bytes of `src` holds, when they
/// are all 0x00 or all 0xFF (a partition nothing has written to); nullopt
/// when the area holds anything else. Reads in 1 MiB chunks.
Result<std::optional<std::uint8_t>> blank_fill(const ByteSource& src, std::uint64_t limit);

}  // namespace psb::io
