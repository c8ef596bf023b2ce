// Read-only access to a system tree below a root prefix (--root, default /).
// Every absolute path the device and sysconf layers read (/proc, /sys, /boot,
// /etc, /lib) goes through here, so tests point it at
// fixtures/systems/<name>/ — the generalisation of systemd-pstore's
// source-directory override.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace psb::io {

class RootFs {
 public:
  /// `root` is a directory; "" and "/" both mean the running system.
  explicit RootFs(std::string root);

  /// The root as given, normalised: "/" or "/some/dir" without a trailing '/'.
  const std::string& root() const { return root_; }
  bool is_live() const { return root_ == "/"; }

  /// Maps an absolute path of the target system to a host path.
  /// Requires: `abs` starts with '/'.
  std::string host_path(std::string_view abs) const;

  /// Whole file, or nullopt when it does not exist or cannot be read.
  std::optional<std::string> read(std::string_view abs) const;
  /// First line without the trailing newline/whitespace.
  std::optional<std::string> read_line(std::string_view abs) const;
  /// A gzip file (proc/config.gz) inflated; nullopt on any failure.
  std::optional<std::string> read_gz(std::string_view abs) const;

  /// Permission bits of `abs` (following symlinks), or nullopt when missing.
  std::optional<unsigned> mode(std::string_view abs) const;

  bool exists(std::string_view abs) const;
  bool is_dir(std::string_view abs) const;
  /// Entry names of a directory, sorted, without "." and ".."; empty when
  /// the directory is missing.
  std::vector<std::string> list(std::string_view abs) const;

 private:
  std::string root_;
};

}  // namespace psb::io
