// Writing extracted records into a directory.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/result.hpp"

namespace psb::io {

/// An output directory, opened once: every file is created relative to its
/// descriptor (openat/renameat), so a path component swapped for a symlink
/// after opening does not redirect the writes.
class OutputDir {
 public:
  /// Creates `dir` (mode 0700) if it does not exist and opens it; fails if
  /// it is not a directory.
  static Result<OutputDir> open(const std::string& dir);
  ~OutputDir();
  OutputDir(OutputDir&& o) noexcept : path_(std::move(o.path_)), fd_(o.fd_) { o.fd_ = -1; }
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
  /// itself, never followed).
  Result<void> write_file(std::string_view name, std::string_view content, unsigned mode,
                          std::optional<std::int64_t> mtime_sec, std::int64_t mtime_nsec,
                          bool replace);

  /// Removes `name` (a file this run wrote and now takes back).
  Result<void> remove(std::string_view name);

 private:
  OutputDir(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace psb::io
