#include "pstore_blk/sysconf/writer.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "pstore_blk/io/atomic_file.hpp"

namespace psb::sysconf {

std::string temp_path_for(const std::string& abs) { return io::atomic_temp_path(abs); }

RealWriter::RealWriter(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
  if (root_ == "/") root_.clear();
}

Result<void> RealWriter::write(const std::string& abs, const std::string& content, unsigned mode) {
  io::AtomicWrite opt;
  opt.mode = mode;
  opt.make_parents = true;
  return io::write_atomic(root_ + abs, content, opt);
}

Result<void> RealWriter::remove(const std::string& abs) {
  const std::string path = root_ + abs;
  struct stat st;
  if (io::is_atomic_temp_path(abs) && ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
    if (ec) return make_sys_error("Failed to remove '" + path + "'", ec.value());
    return {};
  }
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    return make_sys_error("Failed to remove '" + path + "'", errno);
  return {};
}

Result<void> RealWriter::remove_dir(const std::string& abs) {
  const std::string path = root_ + abs;
  if (::rmdir(path.c_str()) != 0 && errno != ENOENT && errno != ENOTEMPTY && errno != EEXIST)
    return make_sys_error("Failed to remove directory '" + path + "'", errno);
  return {};
}

Result<void> RealWriter::commit_partition(const device::PartitionPlan& plan,
                                          std::vector<std::string>& messages) {
  return plan.commit(&messages);
}

Result<void> RealWriter::delete_partition(const std::string& disk, int number,
                                          const std::string& uuid) {
  return device::delete_partition(disk, number, uuid);
}

Result<void> RealWriter::rewrite_table(const std::string& disk) {
  return device::rewrite_table(disk);
}

Result<std::vector<device::Signature>> RealWriter::wipe(const std::string& path,
                                                        std::uint64_t offset, std::uint64_t size,
                                                        std::uint64_t zero_bytes, bool exclusive) {
  return device::wipe_range(path, offset, size, zero_bytes, exclusive);
}

Result<void> DryRunWriter::write(const std::string& abs, const std::string& content, unsigned) {
  log_->push_back("write " + abs + " (" + std::to_string(content.size()) + " bytes)");
  return {};
}

Result<void> DryRunWriter::remove(const std::string& abs) {
  log_->push_back("remove " + abs);
  return {};
}

Result<void> DryRunWriter::remove_dir(const std::string& abs) {
  log_->push_back("remove directory " + abs + " (if empty)");
  return {};
}

Result<void> DryRunWriter::commit_partition(const device::PartitionPlan& plan,
                                            std::vector<std::string>&) {
  log_->push_back("write the partition table of " + plan.disk() + " with partition " +
                  std::to_string(plan.partition().number));
  return {};
}

Result<void> DryRunWriter::delete_partition(const std::string& disk, int number,
                                            const std::string&) {
  log_->push_back("delete partition " + std::to_string(number) + " of " + disk);
  return {};
}

Result<void> DryRunWriter::rewrite_table(const std::string& disk) {
  log_->push_back("rewrite the partition table of " + disk);
  return {};
}

Result<std::vector<device::Signature>> DryRunWriter::wipe(const std::string& path,
                                                          std::uint64_t offset, std::uint64_t,
                                                          std::uint64_t zero_bytes, bool) {
  log_->push_back("wipe signatures in " + path + " at byte " + std::to_string(offset) +
                  " and zero " + std::to_string(zero_bytes >> 10) + " KiB");
  return std::vector<device::Signature>{};
}

}  // namespace psb::sysconf
