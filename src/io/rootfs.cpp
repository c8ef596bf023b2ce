// RootFs: files of a system tree below --root, read-only.
#include "pstore_blk/io/rootfs.hpp"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace psb::io {

RootFs::RootFs(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_.empty()) root_ = "/";
}

std::string RootFs::host_path(std::string_view abs) const {
  if (root_ == "/") return std::string(abs);
  return root_ + std::string(abs);
}

std::optional<std::string> RootFs::read(std::string_view abs) const {
  std::ifstream in(host_path(abs), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream ss;
  ss << in.rdbuf();
  // A sysfs attribute that cannot be read (0400 as non-root) sets failbit.
  if (in.bad()) return std::nullopt;
  return ss.str();
}

std::optional<std::string> RootFs::read_line(std::string_view abs) const {
  auto s = read(abs);
  if (!s) return std::nullopt;
  auto nl = s->find('\n');
  if (nl != std::string::npos) s->resize(nl);
  while (!s->empty() && (s->back() == ' ' || s->back() == '\t' || s->back() == '\r')) s->pop_back();
  return s;
}

std::optional<std::string> RootFs::read_gz(std::string_view abs) const {
  gzFile f = gzopen(host_path(abs).c_str(), "rb");
  if (!f) return std::nullopt;
  std::string out;
  char buf[65536];
  for (;;) {
    int n = gzread(f, buf, sizeof buf);
    if (n < 0) {
      gzclose(f);
      return std::nullopt;
    }
    if (n == 0) break;
    out.append(buf, static_cast<std::size_t>(n));
  }
  gzclose(f);
  return out;
}

std::optional<unsigned> RootFs::mode(std::string_view abs) const {
  struct stat st;
  if (stat(host_path(abs).c_str(), &st) != 0) return std::nullopt;
  return static_cast<unsigned>(st.st_mode & 07777);
}

bool RootFs::exists(std::string_view abs) const {
  struct stat st;
  return lstat(host_path(abs).c_str(), &st) == 0;
}

bool RootFs::is_dir(std::string_view abs) const {
  struct stat st;
  return stat(host_path(abs).c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

std::vector<std::string> RootFs::list(std::string_view abs) const {
  std::vector<std::string> out;
  std::error_code ec;
  for (std::filesystem::directory_iterator it(host_path(abs), ec), end; !ec && it != end;
       it.increment(ec))
    out.push_back(it->path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace psb::io
