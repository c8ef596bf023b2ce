// Writing extracted records into a directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/result.hpp"

namespace psb::io {

class OutputDir;

/// A file being written into an OutputDir under a temporary name (created
/// O_EXCL|O_NOFOLLOW, mode 0600); it gets its name, mode and time only at
/// commit(), so content can stream in before the name is known. commit()
/// takes the steps every atomic write of the project takes (open_temp_at,
/// seal_temp, rename_temp_at in io/atomic_file.hpp: fsync of the file, a
/// rename that never replaces unless asked), except the directory's fsync,
/// which OutputDir::sync() does once for every file committed. Removed
/// when destroyed uncommitted.
class OutputFile {
 public:
  ~OutputFile();
  OutputFile(OutputFile&& o) noexcept
      : dir_(o.dir_), tmp_(std::move(o.tmp_)), fd_(o.fd_), error_(std::move(o.error_)) {
    o.fd_ = -1;
  }
  OutputFile& operator=(OutputFile&&) = delete;
  OutputFile(const OutputFile&) = delete;

  /// Appends bytes; false once a write failed (commit() then reports it).
  bool write(std::string_view bytes);
  /// Names the file `name` (never replacing an existing one without
  /// `replace`: Errc::kConflict), with `mode` and the mtime if given.
  Result<void> commit(std::string_view name, unsigned mode, std::optional<std::int64_t> mtime_sec,
                      std::int64_t mtime_nsec, bool replace);

 private:
  friend class OutputDir;
  OutputFile(const OutputDir& dir, std::string tmp, int fd)
      : dir_(&dir), tmp_(std::move(tmp)), fd_(fd) {}
  const OutputDir* dir_;
  std::string tmp_;
  int fd_ = -1;
  std::optional<Error> error_;
};

/// An output directory, opened once: every file is created relative to its
/// descriptor (openat/renameat), so a path component swapped for a symlink
/// after opening does not redirect the writes.
class OutputDir {
 public:
  /// Creates `dir` (mode 0700) if it does not exist and opens it; fails if
  /// it is not a directory.
  static Result<OutputDir> open(const std::string& dir);
  ~OutputDir();
  OutputDir(OutputDir&& o) noexcept
      : path_(std::move(o.path_)), fd_(o.fd_), created_mode_(o.created_mode_) {
    o.fd_ = -1;
  }
  OutputDir& operator=(OutputDir&&) = delete;
  OutputDir(const OutputDir&) = delete;

  const std::string& path() const { return path_; }

  /// True when `name` exists in the directory as anything (a symlink is not
  /// followed).
  bool exists(std::string_view name) const;

  /// Writes `content` to `name` through a temporary file created with
  /// O_EXCL|O_NOFOLLOW and a rename, with mode `mode` and, with `mtime_sec`,
  /// that modification (and access) time. Without `replace`, an existing
  /// `name` is never replaced: the error is Errc::kConflict and nothing is
  /// left behind. With it, the entry is replaced (a symlink is replaced
  /// itself, never followed). The directory is fsynced (sync()) after.
  Result<void> write_file(std::string_view name, std::string_view content, unsigned mode,
                          std::optional<std::int64_t> mtime_sec, std::int64_t mtime_nsec,
                          bool replace);

  /// Starts a file whose content streams in (see OutputFile).
  Result<OutputFile> create();

  /// Removes `name` (a file this run wrote and now takes back).
  Result<void> remove(std::string_view name);

  /// fsyncs the directory, so that the renames of the files committed so
  /// far survive a power cut: one fsync for a whole batch (extract's
  /// 2,048 files) instead of one per file.
  Result<void> sync();

 private:
  friend class OutputFile;
  OutputDir(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
  // The mode the first temporary file got (0600 less the umask or the
  // directory's default ACL): the same for every file of the run, so
  // commit() skips the fchmod when it is already the mode asked for. Set by
  // the first create(), before any file can reach commit() (extract's
  // committing thread receives files through a mutex).
  std::optional<unsigned> created_mode_;
};

}  // namespace psb::io
