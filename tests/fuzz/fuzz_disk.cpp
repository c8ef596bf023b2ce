// libFuzzer target: a whole-disk image through partition discovery, as
// `list DISK` and `summary DISK` take it. The input is written to an
// in-memory file (memfd); libblkid reads its GPT, MBR or EBR chain
// (device::probe_partitions), open_pstore_area() picks the pstore partition
// (by GPT name, by signature, or the whole source) and the scanner reads it.
// Nothing may crash, hang, leak, or read past the source.
#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/io/reader.hpp"

namespace {

bool write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t n = ::write(fd, data, size);
    if (n <= 0) return false;
    data += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const int fd = ::memfd_create("psb-fuzz-disk", MFD_CLOEXEC);
  if (fd < 0) return 0;
  if (write_all(fd, data, size)) {
    const std::string path = "/proc/self/fd/" + std::to_string(fd);
    (void)psb::device::probe_partitions(path);
    // No partition given (discovery), and partition 2 asked for explicitly.
    for (std::optional<int> part : {std::optional<int>{}, std::optional<int>{2}}) {
      auto area = psb::device::open_pstore_area(path, part);
      if (!area) continue;
      psb::io::ReadOptions opts;
      opts.include_erased = true;
      (void)psb::io::scan_partition(area->source(), opts, [](psb::format::Record&&) {});
    }
  }
  ::close(fd);
  return 0;
}
