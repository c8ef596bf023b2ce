// Read-only access to an image file or block device. The only code in the
// project that calls open/pread/ioctl(BLKGETSIZE64) for reading images.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "pstore_blk/result.hpp"

namespace psb::io {

/// A readable byte range: a file, a block device, or a window onto one.
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual std::uint64_t size() const = 0;
  /// Reads up to buf.size() bytes at `offset`; short only at the end of the
  /// source. Errors name the path and the offset.
  virtual Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> buf) const = 0;
  /// The path for messages ("disk.img", "disk.img partition 2").
  virtual std::string name() const = 0;
};

/// Opens a regular file or block device read-only (O_RDONLY|O_CLOEXEC); the
/// reader never opens a source for writing.
class FileSource final : public ByteSource {
 public:
  static Result<std::unique_ptr<FileSource>> open(const std::string& path);
  ~FileSource() override;
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  std::uint64_t size() const override { return size_; }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> buf) const override;
  std::string name() const override { return path_; }
  bool is_block_device() const { return is_blk_; }
  /// Hints the kernel to read ahead sequentially (posix_fadvise).
  void advise_sequential() const;

 private:
  FileSource(std::string path, int fd, std::uint64_t size, bool is_blk)
      : path_(std::move(path)), fd_(fd), size_(size), is_blk_(is_blk) {}
  std::string path_;
  int fd_;
  std::uint64_t size_;
  bool is_blk_;
};

/// A window [offset, offset+length) of another source (a partition).
class SliceSource final : public ByteSource {
 public:
  SliceSource(const ByteSource& base, std::uint64_t offset, std::uint64_t length,
              std::string label);
  std::uint64_t size() const override { return length_; }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> buf) const override;
  std::string name() const override { return label_; }
  std::uint64_t base_offset() const { return offset_; }

 private:
  const ByteSource& base_;
  std::uint64_t offset_;
  std::uint64_t length_;
  std::string label_;
};

/// An in-memory source (tests, benchmarks).
class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::span<const std::byte> data, std::string label = "<memory>")
      : data_(data), label_(std::move(label)) {}
  std::uint64_t size() const override { return data_.size(); }
  Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> buf) const override;
  std::string name() const override { return label_; }

 private:
  std::span<const std::byte> data_;
  std::string label_;
};

}  // namespace psb::io
