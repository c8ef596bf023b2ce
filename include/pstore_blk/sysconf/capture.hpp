// Which crashes get saved, by which pstore backend, now and at the next boot.
//
// pstore has one backend slot: the first backend that registers (or the one
// named by pstore.backend=) gets every kmsg dump. The backends differ in what
// they can save: efi_pstore, ramoops and ERST write at panic time, pstore_blk
// on a block device cannot (no block driver has panic_write; mtdpstore can
// when its MTD driver has one), ramoops loses everything at a power cycle.
//
// probe_capture() reads the facts SystemFacts does not carry (configuration
// text for the next boot, /proc/mtd, the ACPI ERST table, kernel.panic);
// capture_table() is pure: facts in, one row per backend out. The same model
// describes the system after `setup` (with_config_files overlays the files a
// setup plan writes), so `check` and `setup` cannot disagree.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/io/rootfs.hpp"
#include "pstore_blk/sysconf/facts.hpp"

namespace psb::sysconf {

/// Where a piece of kernel configuration sits.
enum class SourceKind {
  kRunningCmdline,  ///< /proc/cmdline: the running kernel's
  kBootCmdline,     ///< GRUB files, /etc/kernel/cmdline: the next boot's
  kModprobe,        ///< modprobe.d `options MODULE p=v`: applies when the module loads
  kSysctl,          ///< sysctl.d / sysctl.conf: applied at every boot
};

/// One setting, normalised: cmdline words as written ("pstore_blk.blkdev=x",
/// "best_effort=y", "oops=panic"); modprobe options as "module.param=value";
/// sysctl lines as "kernel.panic_on_oops=1".
struct ConfigWord {
  SourceKind kind = SourceKind::kRunningCmdline;
  std::string where;  ///< file (or "/proc/cmdline"), for the user
  std::string word;
};

/// Facts `check` needs beyond SystemFacts.
struct CaptureFacts {
  std::vector<ConfigWord> words;
  /// GRUB's files give the next command line; without them the next boot
  /// repeats /proc/cmdline (plus /etc/kernel/cmdline's words).
  bool boot_cmdline_known = false;
  std::vector<std::string> modules_load;  ///< /etc/modules-load.d etc., in order
  std::vector<std::string> blacklist;     ///< modprobe.d `blacklist MODULE`
  std::optional<long> kmsg_bytes;         ///< pstore's kmsg_bytes parameter (bytes per dump)
  std::map<std::string, std::string> efi_params, ramoops_params, mtdpstore_params;
  bool ramoops_loaded = false, mtdpstore_loaded = false;
  std::vector<std::string> mtd_devices;  ///< /proc/mtd names ("mtd0 \"pstore\"")
  bool erst_table = false;               ///< /sys/firmware/acpi/tables/ERST
  std::optional<long> panic_timeout;     ///< /proc/sys/kernel/panic (seconds, 0: hang)
};

CaptureFacts probe_capture(const io::RootFs& fs);

/// The same facts with the files of a plan written: every word read from one
/// of `files` (path, new content) is replaced by what the new content says.
CaptureFacts with_config_files(CaptureFacts cf,
                               const std::vector<std::pair<std::string, std::string>>& files);

/// A "no" in one column and why.
struct NoReason {
  std::string column;  ///< available, active, next_boot, oops, panic, survives_power_off
  std::string reason;
};

struct BackendRow {
  std::string name;          ///< efi_pstore, pstore_blk, ramoops, erst, mtdpstore
  std::string registers_as;  ///< its name in /sys/module/pstore/parameters/backend
  Build build = Build::kUnknown;
  bool available = false;  ///< this kernel and machine can use it
  bool active = false;     ///< holds the pstore slot now
  bool next_boot = false;  ///< holds it after the next boot, as configured
  bool oops = false;       ///< saves oopses while it holds the slot
  bool panic = false;      ///< saves panics while it holds the slot
  bool survives_power_off = false;
  long record_bytes = 0;     ///< bytes kept per crash (0: set by the firmware)
  std::string record_size;   ///< the same in words ("64 KiB per record")
  std::string location;      ///< where records live
  std::vector<NoReason> no;  ///< one entry per "no" column
  /// The reason for the first "no", "" when every column says yes.
  std::string reason() const;
  std::string reason_for(const std::string& column) const;
};

/// Who saves what at one point in time.
struct CaptureState {
  std::string oops_by, panic_by;  ///< backend name; "" nobody
  std::string oops_where, panic_where;
};

/// A field trap: configuration that looks right and silently loses crashes.
struct Trap {
  std::string id;  ///< unprefixed_param, blkdev_without_best_effort, panic_on_oops, absent_frontend
  std::string where;  ///< file or /proc/cmdline
  std::string text;   ///< the word or line as found
  std::string problem;
  std::string fix;
};

/// ramoops as the way to save panics without firmware help.
struct RamoopsAdvice {
  bool possible = false;    ///< CONFIG_PSTORE_RAM and reserve_mem (>= 6.11)
  std::string params;       ///< kernel command line words, ready to paste
  std::string module_note;  ///< modules-load.d / slot remarks, "" none
  std::string why_not;      ///< when !possible
};

struct CaptureTable {
  std::vector<BackendRow> rows;  ///< efi_pstore, pstore_blk, ramoops, erst, mtdpstore
  CaptureState now, next;
  std::vector<Trap> traps;
  RamoopsAdvice ramoops;
  std::optional<long> panic_timeout;        ///< seconds; 0: a panic hangs the machine
  bool reboot_on_panic_configured = false;  ///< kernel.panic set in sysctl.d / cmdline
  std::vector<std::string> recommendation;  ///< plain sentences
  const BackendRow* row(const std::string& name) const;
};

/// `device`: the DEVICE given to check ("" none): pstore_blk's row then
/// describes it. Pure.
CaptureTable capture_table(const SystemFacts& sf, const CaptureFacts& cf,
                           const std::string& device);

/// "panics and oopses are saved by efi_pstore (EFI variables)",
/// "oopses are saved by pstore_blk on /dev/vda2, panics are saved nowhere".
std::string describe(const CaptureState& s);

/// What setup changes in capture.
struct CaptureChange {
  CaptureState today, after;
  std::string sentence;  ///< "today: ...; after setup: ..."
  /// A backend saves panics today and none will after setup: setup then
  /// needs --replace-backend (or an interactive yes to `sentence`).
  bool takes_panic_capture = false;
};
CaptureChange capture_change(const CaptureTable& before, const CaptureTable& after);

/// The capture change of writing `files` (path, new content): the table of
/// the system as it is against the table with the files in place.
CaptureChange plan_capture_change(const SystemFacts& sf, const CaptureFacts& cf,
                                  const std::vector<std::pair<std::string, std::string>>& files,
                                  const std::string& device);

/// `setup --reboot-on-panic SECONDS` writes kernel.panic here (systemd-sysctl
/// applies it at every boot); undo removes it like every file setup wrote.
inline constexpr const char* kSysctlPath = "/etc/sysctl.d/pstore-blk.conf";
std::string render_reboot_on_panic(long seconds);

}  // namespace psb::sysconf
