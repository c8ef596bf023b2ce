// libFuzzer target (bloaty tests/fuzz_target.cc): any byte string is a
// partition image; scanning it must never crash, hang or read out of bounds.
// Build: CXX=clang++ cmake -DPSB_BUILD_FUZZ=ON -DPSB_BUILD_TESTS=OFF ...
// Run:   ./build-fuzz/tests/fuzz/psb_fuzz_zone -max_len=300000 corpus/
// Seed the corpus with the decompressed fixtures/kernel/*/image.bin.xz.
#include <cstddef>
#include <cstdint>
#include <span>

#include "pstore_blk/io/reader.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::span<const std::byte> bytes(reinterpret_cast<const std::byte*>(data), size);
  psb::io::MemorySource src(bytes);
  psb::io::ReadOptions discovered;
  discovered.include_erased = true;
  (void)psb::io::scan_partition(src, discovered, [](psb::format::Record&&) {});
  // A small forced layout exercises every frontend, whatever the bytes say.
  psb::io::ReadOptions forced;
  forced.include_erased = true;
  forced.layout.kmsg_kib = 4;
  forced.layout.pmsg_kib = 4;
  forced.layout.console_kib = 4;
  forced.layout.ftrace_kib = 8;
  forced.layout.cpus = 2;
  (void)psb::io::scan_partition(src, forced, [](psb::format::Record&&) {});
  return 0;
}
