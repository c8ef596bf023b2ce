#include "pstore_blk/io/output_dir.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

#include "pstore_blk/io/atomic_file.hpp"

namespace psb::io {

namespace {

// Closes `fd`, removes the temporary file and returns the error.
Error abandon(int dfd, int fd, const std::string& tmp, Error e) {
  if (fd >= 0) ::close(fd);
  ::unlinkat(dfd, tmp.c_str(), 0);
  return e;
}

}  // namespace

Result<OutputDir> OutputDir::open(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST)
    return make_sys_error("Failed to create '" + dir + "'", errno);
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOTDIR)
      return make_error(Errc::kInvalidArgument, "'" + dir + "' exists and is not a directory");
    return make_sys_error("Failed to open '" + dir + "'", errno);
  }
  return OutputDir(dir, fd);
}

OutputDir::~OutputDir() {
  if (fd_ >= 0) ::close(fd_);
}

bool OutputDir::exists(std::string_view name) const {
  struct stat st = {};
  return ::fstatat(fd_, std::string(name).c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0;
}

namespace {

bool valid_name(std::string_view name) {
  return !(name.empty() || name.find('/') != std::string_view::npos || name == "." || name == "..");
}

}  // namespace

Result<OutputFile> OutputDir::create() {
  static unsigned serial = 0;
  static const std::string prefix = ".psb-" + std::to_string(getpid()) + "-";
  const std::string tmp = prefix + std::to_string(serial++) + ".tmp";
  int fd = open_temp_at(fd_, tmp);
  if (fd < 0) return make_sys_error("Failed to create '" + path_ + "/" + tmp + "'", errno);
  if (!created_mode_) {
    struct stat st = {};
    if (::fstat(fd, &st) == 0) created_mode_ = static_cast<unsigned>(st.st_mode & 07777);
  }
  return OutputFile(*this, tmp, fd);
}

OutputFile::~OutputFile() {
  if (fd_ >= 0) (void)abandon(dir_->fd_, fd_, tmp_, Error{});
}

bool OutputFile::write(std::string_view bytes) {
  if (error_) return false;
  if (auto w = write_all(fd_, bytes, dir_->path_ + "/" + tmp_); !w) error_ = w.error();
  return !error_;
}

Result<void> OutputFile::commit(std::string_view name, unsigned mode,
                                std::optional<std::int64_t> mtime_sec, std::int64_t mtime_nsec,
                                bool replace) {
  const int dfd = dir_->fd_;
  const int fd = fd_;
  fd_ = -1;
  const std::string target = dir_->path_ + "/" + std::string(name);
  if (!valid_name(name))
    return abandon(dfd, fd, tmp_,
                   make_error(Errc::kInvalidArgument,
                              "refusing to write a file named '" + std::string(name) + "'"));
  if (error_) return abandon(dfd, fd, tmp_, *error_);
  // The same steps as every atomic write (io/atomic_file.hpp): mode, time,
  // fsync, rename that never replaces without `replace`, directory fsync.
  AtomicWrite opt;
  opt.mode = mode;
  opt.has_mode = dir_->created_mode_ == mode;
  opt.mtime_sec = mtime_sec;
  opt.mtime_nsec = mtime_nsec;
  opt.replace = replace;
  opt.sync_dir = false;  // OutputDir::sync(), once per batch
  if (auto sealed = seal_temp(fd, opt, target); !sealed)
    return abandon(dfd, -1, tmp_, sealed.error());
  return rename_temp_at(dfd, tmp_, std::string(name), opt, target);
}

Result<void> OutputDir::write_file(std::string_view name, std::string_view content, unsigned mode,
                                   std::optional<std::int64_t> mtime_sec, std::int64_t mtime_nsec,
                                   bool replace) {
  if (!valid_name(name))
    return make_error(Errc::kInvalidArgument,
                      "refusing to write a file named '" + std::string(name) + "'");
  auto f = create();
  if (!f) return f.error();
  f->write(content);
  if (auto c = f->commit(name, mode, mtime_sec, mtime_nsec, replace); !c) return c;
  return sync();
}

Result<void> OutputDir::sync() {
  if (::fsync(fd_) != 0) return make_sys_error("Failed to sync '" + path_ + "'", errno);
  return {};
}

Result<void> OutputDir::remove(std::string_view name) {
  if (::unlinkat(fd_, std::string(name).c_str(), 0) != 0)
    return make_sys_error("Failed to remove '" + path_ + "/" + std::string(name) + "'", errno);
  return {};
}

}  // namespace psb::io
