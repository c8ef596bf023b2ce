#include "pstore_blk/io/byte_source.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace psb::io {

Result<std::unique_ptr<FileSource>> FileSource::open(const std::string& path) {
  // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused
  // below like every source that is neither a file nor a block device.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    Error e = make_sys_error("Failed to open '" + path + "'", errno);
    if (errno == ENOENT) e.code = Errc::kNotFound;
    return e;
  }
  struct stat st = {};
  if (fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return make_sys_error("Failed to stat '" + path + "'", err);
  }
  std::uint64_t size = 0;
  bool blk = false;
  if (S_ISBLK(st.st_mode)) {
    blk = true;
    if (ioctl(fd, BLKGETSIZE64, &size) != 0) {
      int err = errno;
      ::close(fd);
      return make_sys_error("Failed to get the size of '" + path + "'", err);
    }
  } else if (S_ISREG(st.st_mode)) {
    size = static_cast<std::uint64_t>(st.st_size);
  } else {
    ::close(fd);
    const char* kind = S_ISFIFO(st.st_mode)   ? "a FIFO"
                       : S_ISCHR(st.st_mode)  ? "a character device"
                       : S_ISSOCK(st.st_mode) ? "a socket"
                       : S_ISDIR(st.st_mode)  ? "a directory"
                                              : "not a regular file";
    return make_error(Errc::kInvalidArgument, "'" + path + "' is " + kind +
                                                  ": only a regular file or a block device "
                                                  "can be read");
  }
  fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return std::unique_ptr<FileSource>(new FileSource(path, fd, size, blk));
}

FileSource::~FileSource() {
  if (fd_ >= 0) ::close(fd_);
}

void FileSource::advise_sequential() const { posix_fadvise(fd_, 0, 0, POSIX_FADV_SEQUENTIAL); }

Result<std::size_t> FileSource::read_at(std::uint64_t offset, std::span<std::byte> buf) const {
  std::size_t done = 0;
  while (done < buf.size() && offset + done < size_) {
    const std::size_t want =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size() - done, size_ - offset - done));
    ssize_t n = ::pread(fd_, buf.data() + done, want, static_cast<off_t>(offset + done));
    if (n < 0) {
      if (errno == EINTR) continue;
      Error e = make_sys_error("Failed to read '" + path_ + "'", errno);
      e.offset = offset + done;
      return e;
    }
    if (n == 0) break;  // file shrank under us
    done += static_cast<std::size_t>(n);
  }
  return done;
}

SliceSource::SliceSource(const ByteSource& base, std::uint64_t offset, std::uint64_t length,
                         std::string label)
    : base_(base), offset_(offset), length_(length), label_(std::move(label)) {
  // A partition table may claim more than the image holds (a cut image):
  // keep the claimed length, reads report the shortfall.
}

Result<std::size_t> SliceSource::read_at(std::uint64_t offset, std::span<std::byte> buf) const {
  if (offset >= length_) return std::size_t{0};
  const std::size_t n =
      static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), length_ - offset));
  return base_.read_at(offset_ + offset, buf.first(n));
}

Result<std::size_t> MemorySource::read_at(std::uint64_t offset, std::span<std::byte> buf) const {
  if (offset >= data_.size()) return std::size_t{0};
  const std::size_t n =
      static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), data_.size() - offset));
  std::memcpy(buf.data(), data_.data() + offset, n);
  return n;
}

}  // namespace psb::io
