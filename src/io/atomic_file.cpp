#include "pstore_blk/io/atomic_file.hpp"

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

namespace psb::io {

namespace {

Error sys_error(const std::string& what, int err) {
  Error e = make_sys_error(what, err);
  if (err == EACCES || err == EROFS || err == EPERM) e.code = Errc::kPermission;
  if (err == EEXIST) e.code = Errc::kConflict;
  return e;
}

// O_EXCL never opens an existing name, symlinks included. A leftover of our
// own (a write killed before its rename) is removed once and retried.
int create_temp(const std::string& tmp) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::open(tmp.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST && ::unlink(tmp.c_str()) == 0)
    fd = ::open(tmp.c_str(), flags, 0600);
  return fd;
}

Result<void> fill(int fd, std::string_view content, const AtomicWrite& opt,
                  const std::string& path) {
  std::size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("Failed to write '" + path + "'", n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  if (::fchmod(fd, static_cast<mode_t>(opt.mode)) != 0)
    return sys_error("Failed to chmod '" + path + "'", errno);
  if (opt.mtime_sec) {
    struct timespec ts[2];
    ts[0].tv_sec = static_cast<time_t>(*opt.mtime_sec);
    ts[0].tv_nsec = static_cast<long>(opt.mtime_nsec);
    ts[1] = ts[0];
    if (::futimens(fd, ts) != 0)
      return sys_error("Failed to set the time of '" + path + "'", errno);
  }
  if (::fsync(fd) != 0) return sys_error("Failed to sync '" + path + "'", errno);
  return {};
}

int rename_into_place(const std::string& tmp, const std::string& path, bool replace) {
  if (replace) return ::rename(tmp.c_str(), path.c_str());
  return ::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, path.c_str(), RENAME_NOREPLACE);
}

void sync_dir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

std::string atomic_temp_path(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + ".pstore-blk.tmp";
}

Result<void> write_atomic(const std::string& path, std::string_view content,
                          const AtomicWrite& opt) {
  const std::filesystem::path parent = std::filesystem::path(path).parent_path();
  if (opt.make_parents && !parent.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(parent, ec);
    if (ec) return sys_error("Failed to create directory '" + parent.string() + "'", ec.value());
  }
  const std::string tmp = atomic_temp_path(path);
  int fd = create_temp(tmp);
  if (fd < 0) return sys_error("Failed to create '" + tmp + "'", errno);
  auto filled = fill(fd, content, opt, path);
  if (::close(fd) != 0 && filled) filled = sys_error("Failed to write '" + path + "'", errno);
  if (!filled) {
    ::unlink(tmp.c_str());
    return filled;
  }
  if (rename_into_place(tmp, path, opt.replace) != 0) {
    int err = errno;
    ::unlink(tmp.c_str());
    return sys_error("Failed to rename '" + tmp + "' to '" + path + "'", err);
  }
  sync_dir(parent.empty() ? "." : parent.string());
  return {};
}

}  // namespace psb::io
