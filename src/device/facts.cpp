// DeviceFacts: the kernel's view of a block device, from stat(2) of the node,
// /sys/dev/block/<maj>:<min>, /sys/class/block/<kname>/{partition,size,ro,
// holders}, /proc/self/mounts and /proc/swaps.
#include "pstore_blk/device/facts.hpp"

#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <climits>
#include <cstdlib>
#include <sstream>

namespace psb::device {

namespace {

// `p` is the block device `rdev`: compares device numbers, so
// /dev/disk/by-* and /dev/root spellings match.
bool same_dev(const std::string& p, dev_t rdev) {
  struct stat st;
  return ::stat(p.c_str(), &st) == 0 && S_ISBLK(st.st_mode) && st.st_rdev == rdev;
}

// The kernel name of `rdev`, and for a partition its number and disk:
// /sys/dev/block/<maj>:<min> -> ../../devices/.../<disk>/<kname>.
void read_kernel_names(const io::RootFs& fs, dev_t rdev, DeviceFacts& d) {
  char link[4096];
  std::string devlink = fs.host_path("/sys/dev/block/" + std::to_string(major(rdev)) + ":" +
                                     std::to_string(minor(rdev)));
  ssize_t n = ::readlink(devlink.c_str(), link, sizeof link - 1);
  if (n <= 0) return;
  link[n] = 0;
  std::string l(link);
  d.kname = l.substr(l.rfind('/') + 1);
  std::string up = l.substr(0, l.rfind('/'));
  if (fs.exists("/sys/class/block/" + d.kname + "/partition")) {
    d.is_partition = true;
    d.partno =
        std::atoi(fs.read_line("/sys/class/block/" + d.kname + "/partition").value_or("0").c_str());
    d.parent = up.substr(up.rfind('/') + 1);
  }
}

// Mount points of `rdev` in /proc/self/mounts text.
std::vector<std::string> mount_points(const std::string& mounts, dev_t rdev) {
  std::vector<std::string> out;
  std::istringstream in(mounts);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string src, dir;
    if (w >> src >> dir && src.rfind("/dev/", 0) == 0 && same_dev(src, rdev)) out.push_back(dir);
  }
  return out;
}

// "vda1 on /" for each mounted partition of the whole disk `kname`.
std::vector<std::string> partitions_mounted(const io::RootFs& fs, const std::string& mounts,
                                            const std::string& kname) {
  std::vector<std::string> out;
  std::istringstream in(mounts);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string src, dir;
    if (!(w >> src >> dir) || src.rfind("/dev/", 0) != 0) continue;
    char buf[PATH_MAX];
    if (!::realpath(src.c_str(), buf)) continue;
    const std::string name = std::string(buf).substr(std::string(buf).rfind('/') + 1);
    // /sys/class/block/<part> links to .../block/<disk>/<part>.
    if (!::realpath(fs.host_path("/sys/class/block/" + name).c_str(), buf)) continue;
    std::string parent_dir(buf);
    parent_dir = parent_dir.substr(0, parent_dir.rfind('/'));
    if (name != kname && parent_dir.substr(parent_dir.rfind('/') + 1) == kname)
      out.push_back(name + " on " + dir);
  }
  return out;
}

// `rdev` is an active swap area (/proc/swaps).
bool is_swap(const io::RootFs& fs, dev_t rdev) {
  auto swaps = fs.read("/proc/swaps");
  if (!swaps) return false;
  bool swap = false;
  std::istringstream in(*swaps);
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream w(line);
    std::string src;
    if (w >> src && src.rfind("/dev/", 0) == 0 && same_dev(src, rdev)) swap = true;
  }
  return swap;
}

}  // namespace

bool is_block_device(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISBLK(st.st_mode);
}

DeviceFacts probe_device_facts(const io::RootFs& fs, const std::string& path) {
  DeviceFacts d;
  d.path = path;
  struct stat st;
  if (::stat(path.c_str(), &st) != 0) return d;
  d.exists = true;
  d.is_block = S_ISBLK(st.st_mode);
  if (!d.is_block) {
    d.size = static_cast<std::uint64_t>(st.st_size);
    return d;
  }
  read_kernel_names(fs, st.st_rdev, d);
  const std::string sys = "/sys/class/block/" + d.kname;
  d.size = std::strtoull(fs.read_line(sys + "/size").value_or("0").c_str(), nullptr, 10) * 512;
  d.read_only = fs.read_line(sys + "/ro").value_or("0") == "1";
  d.holders = fs.list(sys + "/holders");
  if (auto mounts = fs.read("/proc/self/mounts")) {
    d.mounted_at = mount_points(*mounts, st.st_rdev);
    if (!d.is_partition && !d.kname.empty())
      d.partitions_mounted = partitions_mounted(fs, *mounts, d.kname);
  }
  d.swap = is_swap(fs, st.st_rdev);
  return d;
}

}  // namespace psb::device
