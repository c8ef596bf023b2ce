// Writing extracted records into a directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/result.hpp"

namespace psb::io {

/// Creates `dir` (mode 0700) if it does not exist; fails if it is not a directory.
Result<void> ensure_directory(const std::string& dir);

/// Writes `content` to dir/name with mode `mode` through a temporary file and
/// rename(), never following a symlink at the target. With `mtime_sec`, sets
/// the file's modification (and access) time.
Result<void> write_file(const std::string& dir, std::string_view name, std::string_view content,
                        unsigned mode, std::optional<std::int64_t> mtime_sec,
                        std::int64_t mtime_nsec = 0);

}  // namespace psb::io
