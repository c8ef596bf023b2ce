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
  unsigned mode = 0644;  ///< permissions of the new file (fchmod, umask ignored)
  /// The temporary file was created with exactly `mode` (its creator checked
  /// what the umask and the directory's default ACL left): no fchmod.
  bool has_mode = false;
  std::optional<std::int64_t> mtime_sec;  ///< set modification and access time
  std::int64_t mtime_nsec = 0;
  bool replace = true;  ///< false: fail with kConflict when the target exists
  /// Create missing parent directories (0755), all in one rename: the
  /// subtree is built under atomic_temp_path(top-most missing directory)
  /// and renamed into place, so a crash never leaves some of them behind.
  bool make_parents = false;
  /// false: rename_temp_at() leaves the directory fsync to the caller, who
  /// commits a batch of files and then fsyncs the directory once
  /// (OutputDir::sync(), extract).
  bool sync_dir = true;
};

/// The temporary name write_atomic uses for `path`: ".<name>.pstore-blk.tmp"
/// in the same directory. A crash can leave it behind; the next write_atomic
/// of the same path removes it, and undo removes it by this name.
std::string atomic_temp_path(const std::string& path);

/// True when `path` is a name atomic_temp_path() gives.
bool is_atomic_temp_path(const std::string& path);

/// The steps of an atomic write, relative to a directory descriptor `dfd`
/// (AT_FDCWD: names are paths). write_atomic() and OutputDir (extract) are
/// built from these, so both have every property below.
///
/// Creates the temporary file `tmp` with O_EXCL|O_NOFOLLOW (never through a
/// symlink someone planted), mode 0600; a leftover of that name (a write
/// killed before its rename) is removed once and the create retried.
/// Returns the descriptor, or -1 with errno.
int open_temp_at(int dfd, const std::string& tmp);
/// Writes all of `bytes` to `fd`; errors name `shown`.
Result<void> write_all(int fd, std::string_view bytes, const std::string& shown);
/// Gives the temporary file `opt.mode` (fchmod, umask ignored, unless
/// opt.has_mode) and the mtime,
/// fsyncs and closes it (`fd` is closed whatever happens).
Result<void> seal_temp(int fd, const AtomicWrite& opt, const std::string& shown);
/// Renames `tmp` to `name` in `dfd` (renameat2 RENAME_NOREPLACE unless
/// opt.replace, link+unlink where the filesystem lacks it: an existing name is
/// kConflict "'shown' exists"), then fsyncs the directory so the rename
/// survives a power cut (unless !opt.sync_dir). On failure `tmp` is removed.
Result<void> rename_temp_at(int dfd, const std::string& tmp, const std::string& name,
                            const AtomicWrite& opt, const std::string& shown);

/// Writes `content` to `path`: the temporary file is created with
/// O_EXCL|O_NOFOLLOW (never through a symlink someone planted), written,
/// fchmod-ed, fsync-ed, renamed over `path` (renameat2 RENAME_NOREPLACE when
/// !replace), then the directory is fsync-ed so the rename itself survives a
/// power cut. Errors name the path; kPermission for EACCES/EPERM/EROFS.
Result<void> write_atomic(const std::string& path, std::string_view content,
                          const AtomicWrite& opt);

}  // namespace psb::io
