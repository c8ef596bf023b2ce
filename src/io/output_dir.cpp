#include "pstore_blk/io/output_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace psb::io {

Result<void> ensure_directory(const std::string& dir) {
  struct stat st {};
  if (stat(dir.c_str(), &st) == 0) {
    if (!S_ISDIR(st.st_mode))
      return make_error(Errc::kInvalidArgument, "'" + dir + "' exists and is not a directory");
    return {};
  }
  if (errno != ENOENT) return make_sys_error("Failed to stat '" + dir + "'", errno);
  if (mkdir(dir.c_str(), 0700) != 0) return make_sys_error("Failed to create '" + dir + "'", errno);
  return {};
}

Result<void> write_file(const std::string& dir, std::string_view name, std::string_view content,
                        unsigned mode, std::optional<std::int64_t> mtime_sec,
                        std::int64_t mtime_nsec) {
  if (name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..")
    return make_error(Errc::kInvalidArgument,
                      "refusing to write a file named '" + std::string(name) + "'");
  const std::string target = dir + "/" + std::string(name);
  const std::string tmp = dir + "/." + std::string(name) + ".tmp" + std::to_string(getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
  if (fd < 0) return make_sys_error("Failed to create '" + tmp + "'", errno);
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_sys_error("Failed to write '" + target + "'", err);
    }
    done += static_cast<std::size_t>(n);
  }
  if (fchmod(fd, static_cast<mode_t>(mode)) != 0) {
    int err = errno;
    ::close(fd);
    ::unlink(tmp.c_str());
    return make_sys_error("Failed to chmod '" + target + "'", err);
  }
  if (mtime_sec) {
    struct timespec ts[2];
    ts[0].tv_sec = static_cast<time_t>(*mtime_sec);
    ts[0].tv_nsec = static_cast<long>(mtime_nsec);
    ts[1] = ts[0];
    if (futimens(fd, ts) != 0) {
      int err = errno;
      ::close(fd);
      ::unlink(tmp.c_str());
      return make_sys_error("Failed to set the time of '" + target + "'", err);
    }
  }
  if (::close(fd) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_sys_error("Failed to write '" + target + "'", err);
  }
  if (::rename(tmp.c_str(), target.c_str()) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return make_sys_error("Failed to rename '" + tmp + "' to '" + target + "'", err);
  }
  return {};
}

}  // namespace psb::io
