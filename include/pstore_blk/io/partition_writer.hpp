// Writing zones into a pstore partition: the only code in the project that
// opens an image or block device for writing records (capture-panic).
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pstore_blk/result.hpp"

namespace psb::io {

/// A partition, or the window [start, start + length) of a disk that holds
/// it, opened read-write. Every write is checked against the window, so
/// nothing outside the partition can be written through it.
class PartitionWriter {
 public:
  /// Opens `path` (a regular file or block device) O_RDWR; block devices
  /// also O_EXCL, which fails with EBUSY while the partition is mounted or
  /// held by a driver (e.g. a loaded pstore_blk). The window must lie inside
  /// the file or device.
  static Result<std::unique_ptr<PartitionWriter>> open(const std::string& path, std::uint64_t start,
                                                       std::uint64_t length);
  ~PartitionWriter();
  PartitionWriter(const PartitionWriter&) = delete;
  PartitionWriter& operator=(const PartitionWriter&) = delete;

  /// Writes all of `data` at `offset` inside the window; fails without
  /// writing when [offset, offset + size) is not inside it.
  Result<void> write_at(std::uint64_t offset, std::span<const std::byte> data);
  /// fsync(): the data is on the device (or in the image file) when it returns.
  Result<void> sync();

  std::uint64_t length() const { return length_; }

 private:
  PartitionWriter(std::string path, int fd, std::uint64_t start, std::uint64_t length)
      : path_(std::move(path)), fd_(fd), start_(start), length_(length) {}
  std::string path_;
  int fd_;
  std::uint64_t start_;
  std::uint64_t length_;
};

}  // namespace psb::io
