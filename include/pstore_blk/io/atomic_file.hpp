// The one way this project replaces a file: write a temporary file next to
// the target, sync it, rename it over the target, sync the directory. A
// reader (or a crash) sees the old file or the new one, never a mix.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/result.hpp"

namespace psb::io {

struct AtomicWrite {
  unsigned mode = 0644;                   ///< permissions of the new file (fchmod, umask ignored)
  std::optional<std::int64_t> mtime_sec;  ///< set modification and access time
  std::int64_t mtime_nsec = 0;
  bool replace = true;  ///< false: fail with kConflict when the target exists
  /// Create missing parent directories (0755), all in one rename: the
  /// subtree is built under atomic_temp_path(top-most missing directory)
  /// and renamed into place, so a crash never leaves some of them behind.
  bool make_parents = false;
};

/// The temporary name write_atomic uses for `path`: ".<name>.pstore-blk.tmp"
/// in the same directory. A crash can leave it behind; the next write_atomic
/// of the same path removes it, and undo removes it by this name.
std::string atomic_temp_path(const std::string& path);

/// True when `path` is a name atomic_temp_path() gives.
bool is_atomic_temp_path(const std::string& path);

/// Writes `content` to `path`: the temporary file is created with
/// O_EXCL|O_NOFOLLOW (never through a symlink someone planted), written,
/// fchmod-ed, fsync-ed, renamed over `path` (renameat2 RENAME_NOREPLACE when
/// !replace), then the directory is fsync-ed so the rename itself survives a
/// power cut. Errors name the path; kPermission for EACCES/EPERM/EROFS.
Result<void> write_atomic(const std::string& path, std::string_view content,
                          const AtomicWrite& opt);

}  // namespace psb::io
