// Zone layout of a pstore/zone device, exactly as psz_alloc_zones()
// (fs/pstore/zone.c, 5.8 .. 6.12) computes it from the module parameters.
//
// pstore/zone writes no superblock: the layout exists only in the writing
// kernel's configuration. Zones are contiguous from offset 0, in this order:
//   pmsg [0,P) | console [P,P+C) | ftrace: F/f zones of f = F/nr_cpu_ids bytes
//   | kmsg: (T-P-C-F)/K zones of K bytes starting at P+C+(F/f)*f
// where T is the device size capped at 128 MiB. The tail is never touched.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/result.hpp"

namespace psb::format {

/// enum pstore_type_id (include/linux/pstore.h; "kind of an ABI").
enum class RecordType : std::uint32_t {
  kDmesg = 0,
  kConsole = 2,
  kFtrace = 3,
  kPmsg = 7,
};

/// The pstore file-name prefix (pstore_type_names[] in fs/pstore/platform.c).
std::string_view type_name(RecordType t);

/// 128 MiB cap applied by register_pstore_zone().
inline constexpr std::uint64_t kMaxTotalSize = 128ull << 20;

/// Module parameters as pstore/zone uses them: byte sizes (0 = frontend off).
struct ZoneLayout {
  std::uint64_t total_size = 0;    ///< device size; capped to 128 MiB by slots()
  std::uint64_t kmsg_size = 0;     ///< K
  std::uint64_t pmsg_size = 0;     ///< P
  std::uint64_t console_size = 0;  ///< C
  std::uint64_t ftrace_size = 0;   ///< F
  unsigned nr_cpus = 1;            ///< nr_cpu_ids of the writing machine

  /// The layout pstore_blk builds from its KiB parameters, including the
  /// kernel's own normalisation (check_size/verify_size in fs/pstore/blk.c):
  /// values <= 0 disable a frontend; a byte size that is not a multiple of 4096
  /// is replaced by ALIGN(KiB value, 4096) bytes (the kernel's own bug).
  static ZoneLayout from_kib(std::uint64_t total_size, long kmsg_kib, long pmsg_kib,
                             long console_kib, long ftrace_kib, unsigned nr_cpus);

  std::string describe() const;  ///< "kmsg=64K pmsg=0 console=0 ftrace=0 cpus=1 total=8M"
};

/// One zone of the device.
struct ZoneSlot {
  RecordType type = RecordType::kDmesg;
  unsigned index = 0;        ///< kmsg zone index (the record id) or ftrace CPU
  std::uint64_t offset = 0;  ///< byte offset inside the partition
  std::uint64_t size = 0;    ///< zone size including the 12-byte header
};

/// Zones in on-disk order, as psz_alloc_zones() creates them. Fails, like the
/// kernel's register_pstore_zone(), when total_size < 4096, is not a multiple
/// of 4096, or the frontends do not fit.
Result<std::vector<ZoneSlot>> compute_slots(const ZoneLayout& layout);

}  // namespace psb::format
