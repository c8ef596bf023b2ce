// The pstore_blk configuration `setup` writes, as plain data, and the pure
// renderers that turn it into modprobe.d / modules-load.d / GRUB / kernel
// command line / systemd drop-in text. Renderers are golden-tested against
// fixtures/sysconf/.
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace psb::sysconf {

/// How the kernel gets its pstore_blk parameters.
enum class Mode { kModule, kBuiltin };

struct SetupPlan {
  Mode mode = Mode::kModule;
  std::string device;    ///< what the user named, for comments ("/dev/vda2")
  std::string partuuid;  ///< PARTUUID of the pstore partition
  long kmsg_kib = 64;
  std::optional<long> pmsg_kib, console_kib, ftrace_kib;
  std::optional<int> max_reason;  ///< kmsg_dump_reason: 1 panic, 2 oops, 3 emerg, 4 shutdown
  bool best_effort = true;        ///< kernels >= 5.14 need it for block devices
  /// efi_pstore is a module: `options efi_pstore pstore_disable=1`.
  bool disable_efi_pstore_module = false;
  /// `pstore.backend=pstore_blk` on the command line (built-in rivals).
  bool backend_on_cmdline = false;
  /// What the user gives up when a rival backend is switched off, for comments.
  std::string rival_note;
  /// --capture-panics: a capture kernel saves panics (capture-load at boot).
  bool capture_panics = false;
  /// crashkernel= value setup adds ("128M"); "" when the command line
  /// already reserves crash kernel memory or capture is off.
  std::string crashkernel;
  /// The pstore-blk the capture unit runs: the installed binary setup runs
  /// from (/usr/sbin from the package, /usr/local/sbin from a source install).
  std::string binary = "/usr/sbin/pstore-blk";

  /// /dev/disk/by-partuuid/<uuid>: the path form a module's blkdev needs.
  std::string by_partuuid() const { return "/dev/disk/by-partuuid/" + partuuid; }
};

/// Name <-> kmsg_dump_reason value ("panic" 1, "oops" 2, "emerg" 3, "shutdown" 4).
std::optional<int> max_reason_from_name(const std::string& name);
const char* max_reason_name(int value);

/// `options pstore_blk ...` words after the module name (module form).
std::string render_module_options(const SetupPlan& plan);
/// The kernel command line words: pstore_blk.blkdev=PARTUUID=... etc.
/// Module mode returns only the words a module cannot get from modprobe.d
/// (pstore.backend=...), possibly "".
std::string render_cmdline_fragment(const SetupPlan& plan);

/// /etc/modprobe.d/pstore-blk.conf
std::string render_modprobe_conf(const SetupPlan& plan);
/// /etc/modules-load.d/pstore-blk.conf
std::string render_modules_load(const SetupPlan& plan);
/// /etc/default/grub.d/pstore-blk.cfg (sourced by /etc/default/grub on Debian).
std::string render_grub_dropin(const SetupPlan& plan);
/// /etc/kernel/cmdline for kernel-install: `existing` (the current file, or
/// the running command line when there is none) without earlier pstore_blk.*
/// / pstore.backend words and without BOOT_IMAGE=/initrd=, plus the fragment.
std::string render_kernel_cmdline(const SetupPlan& plan, const std::string& existing);
/// /etc/systemd/system/systemd-pstore.service.d/pstore-blk.conf
std::string render_pstore_dropin(const SetupPlan& plan);
/// /etc/systemd/system/pstore-blk-capture.service: loads the capture kernel
/// at boot (`pstore-blk capture-load`), failing the unit when it cannot.
std::string render_capture_unit(const SetupPlan& plan);
/// /etc/systemd/system/multi-user.target.d/pstore-blk-capture.conf: makes
/// the boot want the unit (a plain file, so undo only removes it).
std::string render_capture_wants(const SetupPlan& plan);

}  // namespace psb::sysconf
