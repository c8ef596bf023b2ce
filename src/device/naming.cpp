#include "pstore_blk/device/naming.hpp"

#include <cctype>
#include <cstdlib>

namespace psb::device {

namespace {
bool digit(char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; }
}  // namespace

std::string partition_node(const std::string& disk, int number) {
  const bool p = !disk.empty() && digit(disk.back());
  return disk + (p ? "p" : "") + std::to_string(number);
}

std::optional<std::pair<std::string, int>> split_partition_node(const std::string& path) {
  std::size_t i = path.size();
  while (i > 0 && digit(path[i - 1])) --i;
  if (i == path.size() || i == 0 || path.size() - i > 6) return std::nullopt;
  const int n = std::atoi(path.c_str() + i);
  std::string disk = path.substr(0, i);
  if (disk.size() >= 2 && disk.back() == 'p' && digit(disk[disk.size() - 2]))
    disk.pop_back();  // nvme0n1p9, mmcblk0p3
  if (n <= 0 || disk.back() == '/') return std::nullopt;
  return std::make_pair(disk, n);
}

}  // namespace psb::device
