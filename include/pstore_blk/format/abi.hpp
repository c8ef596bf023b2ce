// The writer's ABI: byte order and the layout of the native-ABI structs that
// pstore/zone stores on disk.
//
// struct psz_kmsg_header (fs/pstore/zone.c, unchanged 5.8 .. 6.12):
//     uint32_t magic; struct timespec64 time; bool compressed;
//     uint32_t counter; enum kmsg_dump_reason reason; uint8_t data[];
// It is an unpacked C struct, so its offsets follow the ABI's alignment of
// 64-bit integers. All fields are in the writer's native byte order.
//
//   field        x86_64/arm64/arm(EABI)   i386
//   magic        0                        0
//   tv_sec       8  (s64)                 4
//   tv_nsec      16 (long: 8 or 4 bytes)  12
//   compressed   24 (bool)                16
//   counter      28                       20
//   reason       32                       24
//   sizeof       40                       28   <- text starts here
//
// struct pstore_ftrace_record (include/linux/pstore.h):
//     unsigned long ip; unsigned long parent_ip; u64 ts;  => 24 or 16 bytes.
// On ARM builds with NR_CPUS <= 4 the CPU number lives in the low bits of ip
// (PSTORE_CPU_IN_IP) instead of the low 8 bits of ts (TS_CPU_SHIFT).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/format/bytes.hpp"

namespace psb::format {

struct Abi {
  std::string_view name;
  Endian endian = Endian::kLittle;
  unsigned long_bytes = 8;  ///< sizeof(long) == sizeof(void*)

  // psz_kmsg_header offsets (relative to the start of psz_buffer.data).
  std::size_t kmsg_off_magic = 0;
  std::size_t kmsg_off_tv_sec = 8;
  std::size_t kmsg_off_tv_nsec = 16;
  std::size_t kmsg_off_compressed = 24;
  std::size_t kmsg_off_counter = 28;
  std::size_t kmsg_off_reason = 32;
  std::size_t kmsg_header_size = 40;  ///< sizeof(struct psz_kmsg_header)

  /// sizeof(struct pstore_ftrace_record) = 2 * long + 8.
  std::size_t ftrace_record_size() const { return 2 * long_bytes + 8; }
  /// PSTORE_CPU_IN_IP mask (0 when the CPU is kept in ts).
  std::uint64_t cpu_in_ip_mask = 0;

  static Abi x86_64();
  static Abi arm64();
  static Abi arm64be();
  static Abi arm();    ///< ARMv7 EABI, little-endian, NR_CPUS > 4
  static Abi armeb();  ///< ARM EABI big-endian
  static Abi i386();
  static Abi ppc64();  ///< big-endian 64-bit (ppc64, s390x, mips64 share it)

  /// Every preset, for --abi and for guessing.
  static const std::vector<Abi>& presets();
  /// Looks a preset up by name (also accepts aliases such as "amd64", "aarch64").
  static std::optional<Abi> by_name(std::string_view name);
};

}  // namespace psb::format
