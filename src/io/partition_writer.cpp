#include "pstore_blk/io/partition_writer.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace psb::io {

namespace {

Result<std::uint64_t> size_of(int fd, const std::string& path, bool& is_blk) {
  struct stat st = {};
  if (fstat(fd, &st) != 0) return make_sys_error("Failed to stat '" + path + "'", errno);
  is_blk = S_ISBLK(st.st_mode);
  if (is_blk) {
    std::uint64_t size = 0;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0)
      return make_sys_error("Failed to get the size of '" + path + "'", errno);
    return size;
  }
  if (S_ISREG(st.st_mode)) return static_cast<std::uint64_t>(st.st_size);
  return make_error(Errc::kInvalidArgument,
                    "'" + path + "' is neither a regular file nor a block device");
}

}  // namespace

Result<std::unique_ptr<PartitionWriter>> PartitionWriter::open(const std::string& path,
                                                               std::uint64_t start,
                                                               std::uint64_t length) {
  // Find out what it is first: O_EXCL means "exclusive" only for block
  // devices, and must not be combined with O_CREAT semantics on files.
  int probe = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (probe < 0) {
    Error e = make_sys_error("Failed to open '" + path + "'", errno);
    if (errno == ENOENT) e.code = Errc::kNotFound;
    return e;
  }
  bool is_blk = false;
  auto size = size_of(probe, path, is_blk);
  ::close(probe);
  if (!size) return size.error();
  if (start > *size || length > *size - start)
    return make_error(Errc::kInvalidArgument, "'" + path + "': the partition (" +
                                                  std::to_string(length) + " bytes at byte " +
                                                  std::to_string(start) + ") lies outside its " +
                                                  std::to_string(*size) + " bytes");
  const int flags = O_RDWR | O_CLOEXEC | (is_blk ? O_EXCL : 0);
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    Error e = make_sys_error("Failed to open '" + path + "' for writing", errno);
    if (errno == EACCES || errno == EPERM || errno == EROFS) e.code = Errc::kPermission;
    if (errno == EBUSY) e.code = Errc::kConflict;
    return e;
  }
  return std::unique_ptr<PartitionWriter>(new PartitionWriter(path, fd, start, length));
}

PartitionWriter::~PartitionWriter() {
  if (fd_ >= 0) ::close(fd_);
}

Result<void> PartitionWriter::write_at(std::uint64_t offset, std::span<const std::byte> data) {
  if (offset > length_ || data.size() > length_ - offset) {
    Error e =
        make_error(Errc::kInvalidArgument,
                   "'" + path_ + "': refusing to write " + std::to_string(data.size()) +
                       " bytes past the end of the " + std::to_string(length_) + "-byte partition");
    e.offset = offset;
    return e;
  }
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::pwrite(fd_, data.data() + done, data.size() - done,
                               static_cast<off_t>(start_ + offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = make_sys_error("Failed to write '" + path_ + "'", errno);
      e.offset = start_ + offset + done;
      return e;
    }
    if (n == 0) {
      Error e = make_sys_error("Failed to write '" + path_ + "'", ENOSPC);
      e.offset = start_ + offset + done;
      return e;
    }
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> PartitionWriter::sync() {
  if (::fsync(fd_) != 0) return make_sys_error("Failed to fsync '" + path_ + "'", errno);
  return {};
}

}  // namespace psb::io
