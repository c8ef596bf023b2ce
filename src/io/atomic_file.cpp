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

bool is_atomic_temp_path(const std::string& path) {
  const auto slash = path.rfind('/');
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  if (name.size() < 2 || name[0] != '.') return false;
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string suffix = atomic_temp_path("x").substr(2);  // ".pstore-blk.tmp"
  if (name.size() <= suffix.size() + 1 ||
      name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0)
    return false;
  return atomic_temp_path(dir + name.substr(1, name.size() - 1 - suffix.size())) == path;
}

namespace {

Result<void> write_in_place(const std::string& path, std::string_view content,
                            const AtomicWrite& opt) {
  const std::string parent = std::filesystem::path(path).parent_path().string();
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
  sync_dir(parent.empty() ? "." : parent);
  return {};
}

// The top-most missing directory above `path` ("" when its parent exists).
std::filesystem::path top_missing_parent(const std::filesystem::path& path) {
  std::filesystem::path top;
  std::error_code ec;
  for (auto p = path.parent_path(); !p.empty() && p != p.root_path(); p = p.parent_path()) {
    if (std::filesystem::exists(p, ec)) break;
    top = p;
  }
  return top;
}

// Missing parents appear all at once: the subtree from the top-most missing
// directory down to the file is built under that directory's temporary name
// and renamed into place, so a crash leaves either nothing new or all of it
// (plus, at worst, the temporary subtree, which the next write removes).
Result<void> write_with_parents(const std::filesystem::path& top, const std::string& path,
                                std::string_view content, const AtomicWrite& opt) {
  const std::string stage = atomic_temp_path(top.string());
  std::error_code ec;
  std::filesystem::remove_all(stage, ec);
  if (ec) return sys_error("Failed to remove the leftover '" + stage + "'", ec.value());
  const std::string below = std::filesystem::path(path).lexically_relative(top).string();
  const std::string staged = stage + "/" + below;
  std::filesystem::create_directories(std::filesystem::path(staged).parent_path(), ec);
  if (ec) return sys_error("Failed to create directory '" + stage + "'", ec.value());
  auto w = write_in_place(staged, content, opt);
  if (!w) {
    std::filesystem::remove_all(stage, ec);
    return w;
  }
  if (::renameat2(AT_FDCWD, stage.c_str(), AT_FDCWD, top.c_str(), RENAME_NOREPLACE) != 0) {
    const int err = errno;
    std::filesystem::remove_all(stage, ec);
    if (err != EEXIST)
      return sys_error("Failed to rename '" + stage + "' to '" + top.string() + "'", err);
    // Someone created it meanwhile: fill it the ordinary way.
    std::filesystem::create_directories(std::filesystem::path(path).parent_path(), ec);
    if (ec) return sys_error("Failed to create directory '" + top.string() + "'", ec.value());
    return write_in_place(path, content, opt);
  }
  sync_dir(top.parent_path().string());
  return {};
}

}  // namespace

Result<void> write_atomic(const std::string& path, std::string_view content,
                          const AtomicWrite& opt) {
  if (opt.make_parents) {
    const auto top = top_missing_parent(path);
    if (!top.empty()) return write_with_parents(top, path, content, opt);
  }
  return write_in_place(path, content, opt);
}

}  // namespace psb::io
