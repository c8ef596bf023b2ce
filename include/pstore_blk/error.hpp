// Error type shared by every layer (see docs/ARCHITECTURE.md, "Errors").
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace psb {

/// What kind of failure an Error describes. The CLI maps these to exit codes.
enum class Errc {
  kInvalidArgument,  ///< caller passed something unusable (usage error)
  kNotFound,         ///< a file, device, partition or record does not exist
  kIo,               ///< a system call failed; sys_errno says why
  kFormat,           ///< bytes on disk do not follow the pstore/zone format
  kUnsupported,      ///< valid input we deliberately do not handle
  kConflict,         ///< the requested change collides with the system's state
  kPermission,       ///< needs root, or the device is read-only
};

/// One error, reported once by the CLI. Format errors carry the byte offset,
/// system errors the errno, and `what` names the path.
struct Error {
  Errc code = Errc::kIo;
  std::string what;
  std::optional<std::uint64_t> offset;
  int sys_errno = 0;

  /// "what[ at offset N][: strerror]"
  std::string message() const;
};

Error make_error(Errc code, std::string what);
Error make_sys_error(std::string what, int err);
Error make_format_error(std::string what, std::uint64_t offset);

}  // namespace psb
