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

int rename_noreplace(int dfd, const char* tmp, const char* name) {
  if (::renameat2(dfd, tmp, dfd, name, RENAME_NOREPLACE) == 0) return 0;
  if (errno != EINVAL && errno != ENOSYS) return -1;
  // No RENAME_NOREPLACE on this filesystem: link fails on an existing name too.
  if (::linkat(dfd, tmp, dfd, name, 0) != 0) return -1;
  ::unlinkat(dfd, tmp, 0);
  return 0;
}

// fsyncs the directory holding `name` (relative to dfd): dfd itself when the
// name has no slash and dfd is a directory descriptor.
void sync_parent(int dfd, const std::string& name) {
  const auto slash = name.rfind('/');
  if (slash == std::string::npos && dfd != AT_FDCWD) {
    (void)::fsync(dfd);
    return;
  }
  const std::string dir = slash == std::string::npos ? "." : name.substr(0, slash ? slash : 1);
  int fd = ::openat(dfd, dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return;
  (void)::fsync(fd);
  ::close(fd);
}

}  // namespace

int open_temp_at(int dfd, const std::string& tmp) {
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
  int fd = ::openat(dfd, tmp.c_str(), flags, 0600);
  if (fd < 0 && errno == EEXIST && ::unlinkat(dfd, tmp.c_str(), 0) == 0)
    fd = ::openat(dfd, tmp.c_str(), flags, 0600);
  return fd;
}

Result<void> write_all(int fd, std::string_view bytes, const std::string& shown) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return sys_error("Failed to write '" + shown + "'", n < 0 ? errno : EIO);
    done += static_cast<std::size_t>(n);
  }
  return {};
}

Result<void> seal_temp(int fd, const AtomicWrite& opt, const std::string& shown) {
  Result<void> r;
  if (!opt.has_mode && ::fchmod(fd, static_cast<mode_t>(opt.mode)) != 0) {
    r = sys_error("Failed to chmod '" + shown + "'", errno);
  } else if (opt.mtime_sec) {
    struct timespec ts[2];
    ts[0].tv_sec = static_cast<time_t>(*opt.mtime_sec);
    ts[0].tv_nsec = static_cast<long>(opt.mtime_nsec);
    ts[1] = ts[0];
    if (::futimens(fd, ts) != 0) r = sys_error("Failed to set the time of '" + shown + "'", errno);
  }
  if (r && ::fsync(fd) != 0) r = sys_error("Failed to sync '" + shown + "'", errno);
  if (::close(fd) != 0 && r) r = sys_error("Failed to write '" + shown + "'", errno);
  return r;
}

Result<void> rename_temp_at(int dfd, const std::string& tmp, const std::string& name,
                            const AtomicWrite& opt, const std::string& shown) {
  const int rc = opt.replace ? ::renameat(dfd, tmp.c_str(), dfd, name.c_str())
                             : rename_noreplace(dfd, tmp.c_str(), name.c_str());
  if (rc != 0) {
    const int err = errno;
    ::unlinkat(dfd, tmp.c_str(), 0);
    if (err == EEXIST) return make_error(Errc::kConflict, "'" + shown + "' exists");
    return sys_error("Failed to rename '" + tmp + "' to '" + shown + "'", err);
  }
  if (opt.sync_dir) sync_parent(dfd, name);
  return {};
}

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
  const std::string tmp = atomic_temp_path(path);
  int fd = open_temp_at(AT_FDCWD, tmp);
  if (fd < 0) return sys_error("Failed to create '" + tmp + "'", errno);
  auto w = write_all(fd, content, path);
  if (!w) {
    ::close(fd);
    ::unlink(tmp.c_str());
    return w;
  }
  if (auto sealed = seal_temp(fd, opt, path); !sealed) {
    ::unlink(tmp.c_str());
    return sealed;
  }
  return rename_temp_at(AT_FDCWD, tmp, path, opt, path);
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
  sync_parent(AT_FDCWD, top.string());
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
