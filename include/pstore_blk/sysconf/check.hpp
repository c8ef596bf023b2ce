// The verdicts `check` prints: for each crash kind, will it be recorded, and
// why (not). Pure functions of SystemFacts and an optional target device.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/sysconf/facts.hpp"
#include "pstore_blk/sysconf/plan.hpp"

namespace psb::sysconf {

/// What check/setup know about DEVICE.
struct DeviceReport {
  DeviceFacts facts;
  std::string disk;         ///< whole disk (or image) holding the partition
  bool whole_disk = false;  ///< DEVICE is a whole disk / disk image
  bool exists_as_partition = false;
  int partno = 0;                                  ///< partition number (existing or to create)
  std::string pttype;                              ///< of `disk`
  std::optional<device::PartitionInfo> partition;  ///< the existing partition, if any
  std::vector<device::Signature> signatures;       ///< in the partition (or whole device)
  std::uint64_t free_bytes = 0;                    ///< largest free range of a whole disk
  /// Reasons setup would refuse to use the device as is (mounted, held,
  /// read-only, signatures, size). `signature_only` marks problems --force overrides.
  std::vector<std::string> problems;
  std::vector<std::string> forceable;
};

/// Probes DEVICE: a block device (whole disk or partition), an image file,
/// or a partition path that does not exist yet (/dev/vda3 of /dev/vda).
/// `image_partition` selects partition N of an image/whole disk.
/// `kmsg_kib` sizes the "too small" check.
Result<DeviceReport> probe_device(const RootFs& live, const std::string& device,
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
