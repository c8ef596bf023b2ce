// Reading the crashed kernel's System.map or a /proc/kallsyms dump, bounded:
// a symbol file is hostile input like an image.
#pragma once

#include <cstdint>
#include <string>

#include "pstore_blk/format/ftrace.hpp"
#include "pstore_blk/result.hpp"

namespace psb::io {

struct SymbolFileLimits {
  std::uint64_t max_bytes = 64u << 20;  ///< a Debian System.map is about 5 MiB
  std::size_t max_symbols = 400000;     ///< text symbols kept (kallsyms: ~150k)
  std::size_t max_line = 4096;          ///< longer lines are not symbol lines
};

/// Streams `path` (a regular file or block device; a FIFO or character
/// device is refused at once) line by line into a symbol table. Fails when
/// the file is larger than the limits allow, or holds no text symbol.
Result<format::SymbolTable> load_symbol_file(const std::string& path,
                                             const SymbolFileLimits& limits = {});

}  // namespace psb::io
