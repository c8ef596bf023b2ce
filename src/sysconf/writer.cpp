#include "pstore_blk/sysconf/writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace psb::sysconf {

RealWriter::RealWriter(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_ == "/") root_.clear();
}

Result<void> RealWriter::write(const std::string& abs, const std::string& content, unsigned mode) {
  const std::string path = root_ + abs;
  std::error_code ec;
  std::filesystem::path parent = std::filesystem::path(path).parent_path();
  std::filesystem::create_directories(parent, ec);
  if (ec) return make_sys_error("Failed to create directory '" + parent.string() + "'", ec.value());
  // The temp file lives next to the target so rename() stays atomic.
  std::string tmp = path + ".pstore-blk.tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
  if (fd < 0) {
    Error e = make_sys_error("Failed to create '" + tmp + "'", errno);
    if (errno == EACCES || errno == EROFS || errno == EPERM) e.code = Errc::kPermission;
    return e;
  }
  const char* p = content.data();
  std::size_t left = content.size();
  while (left > 0) {
    ssize_t n = ::write(fd, p, left);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      int err = n < 0 ? errno : EIO;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_sys_error("Failed to write '" + tmp + "'", err);
    }
    p += n;
    left -= static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, mode) != 0 || ::fsync(fd) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_sys_error("Failed to sync '" + tmp + "'", err);
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_sys_error("Failed to rename '" + tmp + "' to '" + path + "'", err);
  }
  return {};
}

Result<void> RealWriter::remove(const std::string& abs) {
  const std::string path = root_ + abs;
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return make_sys_error("Failed to remove '" + path + "'", errno);
  return {};
}

Result<void> DryRunWriter::write(const std::string& abs, const std::string& content, unsigned) {
  actions.push_back("write " + abs + " (" + std::to_string(content.size()) + " bytes)");
  return {};
}

Result<void> DryRunWriter::remove(const std::string& abs) {
  actions.push_back("remove " + abs);
  return {};
}

}  // namespace psb::sysconf
