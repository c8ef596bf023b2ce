// What `check` learns about a system: kernel build, pstore modules and their
// parameters, the registered backend and its rivals, /sys/fs/pstore, the boot
// loader. Everything is read through a io::RootFs; nothing here changes the system.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/io/rootfs.hpp"

namespace psb::sysconf {

/// How a kernel feature is built.
enum class Build { kBuiltin, kModule, kAbsent, kUnknown };
const char* build_name(Build b);

/// A kernel config: CONFIG_FOO -> "y", "m", "64", "\"\"". "is not set"
/// options are absent.
using KernelConfig = std::map<std::string, std::string>;
KernelConfig parse_kernel_config(const std::string& text);

enum class Bootloader { kGrub, kKernelInstall, kGrubby, kUnknown };
const char* bootloader_name(Bootloader b);

/// One pstore module (pstore, pstore_zone, pstore_blk, efi_pstore, ...).
struct ModuleFacts {
  std::string name;
  Build build = Build::kUnknown;
  std::string config_symbol;  ///< CONFIG_PSTORE_BLK
  std::string ko_path;        ///< /lib/modules/<kver>/kernel/fs/pstore/pstore_blk.ko.xz, if found
  bool loaded = false;        ///< /sys/module/<name> exists (loaded module or built-in with params)
  std::map<std::string, std::string> params;   ///< readable /sys/module/<name>/parameters/*
  std::vector<std::string> unreadable_params;  ///< present but not readable (0400, not root)
};

/// /sys/module/<module>/parameters/* below `fs`: the readable ones in
/// `params` (first line each), the names of the others in `unreadable`.
void read_module_params(const io::RootFs& fs, const std::string& module,
                        std::map<std::string, std::string>& params,
                        std::vector<std::string>& unreadable);

/// A backend other than pstore_blk that can take the single pstore slot.
struct RivalBackend {
  std::string module;        ///< efi_pstore, ramoops, erst
  std::string backend_name;  ///< name it registers under (6.1: "efi"; >= 6.2: "efi_pstore")
  Build build = Build::kUnknown;
  bool loaded = false;
  bool will_register = false;  ///< expected to register at boot on this machine
  bool disabled = false;       ///< pstore_disable=1 / erst_disable already in effect or configured
  /// Disabled only by the file `pstore-blk setup` wrote: a re-run must keep
  /// disabling it, or the next boot hands the slot back to it.
  bool disabled_by_setup = false;
  std::string why;  ///< why it will (not) register
  /// A writable module parameter that may free the slot at run time:
  /// efi_pstore's pstore_disable (mode 0644). On 6.12 writing Y unregisters
  /// efi_pstore at once; 6.1 has the same 0644 parameter but reads it only at
  /// module init, so callers check the backend afterwards and fall back to
  /// rmmod. Empty when the parameter is missing or read-only.
  std::string runtime_switch;
};

/// The pstore core refused a backend because another holds the single slot
/// (fs/pstore/platform.c, pstore_register). Linux 6.1 logs "pstore: ignoring
/// unexpected backend '<refused>'" and fails with EPERM; 6.2 and later log
/// "pstore: backend '<holder>' already in use: ignoring '<refused>'" and fail
/// with EBUSY.
struct BackendRefusal {
  std::string refused;  ///< pstore_blk
  std::string holder;   ///< the backend that kept the slot ("" when 6.1 does not say)
  int error = 0;        ///< EPERM (6.1) or EBUSY (>= 6.2)
  std::string line;     ///< the kernel's log line
};

/// The last refusal in `kernel_log` (dmesg text), if any.
std::optional<BackendRefusal> find_backend_refusal(const std::string& kernel_log);

/// Where SystemFacts::kernel_release came from.
/// The crash (capture) kernel slot of kexec: what a panic boots into.
/// pstore_blk cannot write panics on a block device; a capture kernel loaded
/// here by `pstore-blk capture-load` can (it writes the panicked kernel's log
/// into the partition and reboots).
struct CrashKernelFacts {
  bool kexec_file = false;  ///< CONFIG_KEXEC_FILE=y: kexec_file_load(2) exists
  bool crash_dump = false;  ///< CONFIG_CRASH_DUMP=y: a capture kernel gets /proc/vmcore
  /// /sys/kernel/kexec_crash_loaded: nullopt when not readable (no kexec).
  std::optional<bool> loaded;
  std::uint64_t reserved = 0;       ///< /sys/kernel/kexec_crash_size, bytes (crashkernel=)
  std::string crashkernel;          ///< the crashkernel= word of /proc/cmdline, or ""
  std::uint64_t mem_total_kib = 0;  ///< MemTotal of /proc/meminfo; 0 unknown
  /// kdump-tools will load its own crash kernel (USE_KDUMP=1 in
  /// /etc/default/kdump-tools).
  bool kdump_tools = false;
  /// The loaded crash kernel is pstore-blk's: capture-load left
  /// kCaptureMarker (on /run, so it lasts exactly one boot).
  bool ours = false;
  std::string ours_device;  ///< the device the marker names
};

/// Written by `pstore-blk capture-load` after the kernel accepted the capture
/// kernel: one line, the pstore partition it writes to.
inline constexpr const char* kCaptureMarker = "/run/pstore-blk/capture-loaded";

/// The kexec crash slot's run-time state: `loaded`, `reserved`, and `ours`
/// / `ours_device` from kCaptureMarker (the rest of CrashKernelFacts comes
/// from probe_system). capture-load and check read it the same way.
void read_crash_slot(const io::RootFs& fs, CrashKernelFacts& c);

enum class KernelFrom {
  kUnknown,    ///< none found: no /proc, no DIR/lib/modules/* with a /boot/config-*
  kRunning,    ///< the running kernel: /proc/sys/kernel/osrelease of the tree
  kOption,     ///< given by the user (--kernel RELEASE)
  kInstalled,  ///< offline tree: the newest DIR/lib/modules/R with DIR/boot/config-R
};

struct SystemFacts {
  std::string root;
  std::string kernel_release;  ///< see kernel_from
  KernelFrom kernel_from = KernelFrom::kUnknown;
  /// The releases installed in the tree (lib/modules/* with a boot/config-*),
  /// oldest first; filled when kernel_from is kInstalled.
  std::vector<std::string> installed_kernels;
  int kernel_major = 0, kernel_minor = 0;
  std::string config_source;  ///< /boot/config-<kver> or /proc/config.gz; empty: none found
  KernelConfig config;

  ModuleFacts pstore, pstore_zone, pstore_blk;
  bool has_pmsg = false, has_console = false, has_ftrace = false, has_compress = false;
  std::optional<long> cfg_kmsg_size, cfg_pmsg_size, cfg_console_size, cfg_ftrace_size;
  std::optional<int> cfg_max_reason;

  std::string backend;   ///< /sys/module/pstore/parameters/backend; "" or "(null)": none
  std::string compress;  ///< /sys/module/pstore/parameters/compress
  std::vector<RivalBackend> rivals;

  bool efi_firmware = false;  ///< /sys/firmware/efi
  bool pstore_mounted = false;
  std::string pstore_mountpoint;
  std::vector<std::string> records;  ///< files waiting in the pstore mount
  bool systemd_pstore = false;       ///< systemd-pstore.service installed
  bool panic_on_oops = false;
  std::string cmdline;  ///< /proc/cmdline

  Bootloader bootloader = Bootloader::kUnknown;
  std::string bootloader_why;

  std::vector<std::string> log_lines;     ///< kernel log lines mentioning pstore
  std::optional<BackendRefusal> refusal;  ///< pstore_blk refused since boot (kernel log)
  /// blkdev= configured for the next boot (modprobe.d options, or
  /// pstore_blk.blkdev= in /etc/kernel/cmdline or the GRUB drop-in), and where.
  std::string configured_blkdev;
  std::string configured_in;
  CrashKernelFacts crash;

  /// pstore_blk is registered as the backend and has a blkdev.
  bool pstore_blk_attached() const;
  /// The backend currently registered, or "" when none.
  std::string active_backend() const;
  /// >= 5.14: the block path exists only behind best_effort=y.
  bool needs_best_effort() const;
};

/// Reads every fact through `fs`. `kernel_log` is the kernel's log text (dmesg
/// lines); pass "" when it is not available. `kernel_release` chooses the
/// kernel whose config and modules are read; "" means the tree's running
/// kernel (/proc/sys/kernel/osrelease), else, in a tree without /proc (an
/// offline system image), the newest release in lib/modules/ that has a
/// matching boot/config-*.
SystemFacts probe_system(const io::RootFs& fs, const std::string& kernel_log,
                         const std::string& kernel_release = "");

/// The kernel log of the system behind `fs`: /dev/kmsg on the live system,
/// else the file /var/log/dmesg of the tree (fake trees carry one); "" when
/// neither is readable.
std::string read_kernel_log(const io::RootFs& fs);

}  // namespace psb::sysconf
