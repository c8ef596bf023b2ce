// The verdicts `check` prints: for each crash kind, will it be recorded, and
// why (not). Pure functions of SystemFacts and an optional target device.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/device/facts.hpp"
#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/sysconf/facts.hpp"
#include "pstore_blk/sysconf/plan.hpp"

namespace psb::sysconf {

/// Why setup would refuse a device as it is. Setup switches on the kind;
/// the text is for people.
struct Problem {
  enum class Kind {
    kMounted,     ///< the partition is mounted
    kHeld,        ///< device-mapper, RAID or LVM holds it
    kSwap,        ///< an active swap area
    kReadOnly,    ///< the device (or its disk) is read-only
    kMisaligned,  ///< size not a multiple of 4 KiB
    kTooSmall,    ///< smaller than one kmsg zone
    kSignature,   ///< carries a filesystem/RAID/... signature: --force wipes it
  };
  Kind kind;
  std::string text;
  /// `setup --force` overrides it (only signatures: it wipes them).
  bool forceable() const { return kind == Kind::kSignature; }
  /// The device is in use by the running system: never touched, even by a re-run.
  bool in_use() const {
    return kind == Kind::kMounted || kind == Kind::kHeld || kind == Kind::kSwap ||
           kind == Kind::kReadOnly;
  }
};

/// What check/setup know about DEVICE.
struct DeviceReport {
  device::DeviceFacts facts;
  std::string disk;         ///< whole disk (or image) holding the partition
  bool whole_disk = false;  ///< DEVICE is a whole disk / disk image
  bool exists_as_partition = false;
  int partno = 0;                                  ///< partition number (existing or to create)
  std::optional<device::PartitionInfo> partition;  ///< the existing partition, if any
  std::vector<device::Signature> signatures;       ///< in the partition (or whole device)
  std::uint64_t free_bytes = 0;                    ///< largest free range of a whole disk
  device::DiskLayout layout;                       ///< `disk`'s table, read once (label "": none)
  /// Reasons setup would refuse to use the device as is, in the order found.
  std::vector<Problem> problems;

  /// The first problem --force does not override, or nullptr.
  const Problem* blocking() const;
  /// The first problem --force overrides, or nullptr.
  const Problem* forceable() const;
};

/// Probes DEVICE: a block device (whole disk or partition), an image file,
/// or a partition path that does not exist yet (/dev/vda3 of /dev/vda).
/// `image_partition` selects partition N of an image/whole disk.
/// `kmsg_kib` sizes the "too small" check.
Result<DeviceReport> probe_device(const io::RootFs& live, const std::string& device,
                                  std::optional<int> image_partition, long kmsg_kib);

/// Effective zone sizes in KiB (0: front-end disabled).
struct Sizes {
  long kmsg = 0, pmsg = 0, console = 0, ftrace = 0;
  int max_reason = 2;
};
/// The sizes pstore_blk uses: the live parameters when attached, else the
/// plan's, else the kernel's CONFIG_PSTORE_BLK_*_SIZE defaults; disabled
/// front-ends are 0.
Sizes effective_sizes(const SystemFacts& sf, const SetupPlan* plan);

struct Verdict {
  std::string kind;  ///< oops, panic, console, pmsg, ftrace
  bool yes = false;
  std::string reason;
};

/// One verdict per crash kind. With `target`, the verdicts describe the
/// system after `pstore-blk setup <target>` (which resolves backend
/// conflicts); without, the system as it is.
std::vector<Verdict> judge(const SystemFacts& sf, const DeviceReport* target, const Sizes& sizes);

/// Problems that stop setup regardless of the device (no pstore_blk in the
/// kernel, unknown build). Empty when setup can proceed.
std::vector<std::string> kernel_blockers(const SystemFacts& sf);

}  // namespace psb::sysconf
