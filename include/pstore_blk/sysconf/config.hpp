// From facts and a SetupPlan to the set of file changes and commands setup
// makes, and back again for undo. Planning is pure (reads through io::RootFs);
// applying goes through a Writer, so --dry-run and tests never touch disk.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "pstore_blk/io/rootfs.hpp"
#include "pstore_blk/result.hpp"
#include "pstore_blk/sysconf/facts.hpp"
#include "pstore_blk/sysconf/plan.hpp"
#include "pstore_blk/sysconf/writer.hpp"

namespace psb::sysconf {

inline constexpr const char* kStatePath = "/var/lib/pstore-blk/state.json";
inline constexpr const char* kBackupDir = "/var/lib/pstore-blk/backup";
inline constexpr const char* kModprobePath = "/etc/modprobe.d/pstore-blk.conf";
inline constexpr const char* kModulesLoadPath = "/etc/modules-load.d/pstore-blk.conf";
inline constexpr const char* kGrubDropinPath = "/etc/default/grub.d/pstore-blk.cfg";
inline constexpr const char* kKernelCmdlinePath = "/etc/kernel/cmdline";
inline constexpr const char* kPstoreDropinPath =
    "/etc/systemd/system/systemd-pstore.service.d/pstore-blk.conf";
inline constexpr const char* kCaptureUnitPath = "/etc/systemd/system/pstore-blk-capture.service";
inline constexpr const char* kCaptureWantsPath =
    "/etc/systemd/system/multi-user.target.d/pstore-blk-capture.conf";
/// The crash kernel reservation setup asks for: the smallest that worked
/// under QEMU was 88M (6.1) and 72M (6.12); 128M leaves margin (and is
/// kdump-tools' default).
inline constexpr const char* kCrashKernelSize = "128M";
inline constexpr std::uint64_t kCrashKernelBytes = 128ull << 20;

inline constexpr const char* kStateDir = "/var/lib/pstore-blk";

/// Journal phases, in the order setup passes them. A state file without a
/// phase (written before journaling existed) is complete.
inline constexpr const char* kPhasePlanned = "planned";      ///< intent recorded, nothing changed
inline constexpr const char* kPhasePartition = "partition";  ///< partition table written
inline constexpr const char* kPhaseWiped = "wiped";          ///< zone area cleared
inline constexpr const char* kPhaseBackups = "backups";      ///< every backup written
inline constexpr const char* kPhaseFiles = "files";          ///< every file written
inline constexpr const char* kPhaseComplete = "complete";    ///< boot-loader commands ran too
inline constexpr const char* kPhaseUndoing = "undoing";      ///< undo started

/// What setup wrote, kept in kStatePath so undo and status know.
struct StateFile {
  std::string path;      ///< file setup wrote
  std::string backup;    ///< copy of the file it replaced; "" when it created the file
  unsigned mode = 0644;  ///< permissions of the replaced file, restored by undo
};
struct State {
  std::string device;  ///< DEVICE as given to setup
  std::string disk;    ///< the disk (or image) holding the partition
  int partno = 0;
  std::string partuuid;
  bool partition_created = false;
  std::string mode;     ///< "module" or "builtin"
  std::string cmdline;  ///< kernel command line words setup asked for ("" none)
  std::vector<StateFile> files;
  std::vector<std::vector<std::string>> undo_commands;  ///< run after restoring (update-grub)
  std::string phase = kPhaseComplete;                   ///< how far setup (or undo) got
  bool wiped = true;                                    ///< the partition's zone area was cleared
  std::vector<std::string> created_dirs;  ///< directories setup created, parents first

  bool complete() const { return phase == kPhaseComplete; }
  /// Backups are all written: a missing backup now means it was lost.
  bool backups_done() const;
};
std::string render_state(const State& s);
Result<State> parse_state(const std::string& text);
/// nullopt when there is no state file.
Result<std::optional<State>> load_state(const io::RootFs& fs);

/// Fills mode, best_effort and the rival-backend fields of `plan` from the
/// facts. Errors: kUnsupported when the kernel has no usable pstore_blk.
Result<void> decide_mode(const SystemFacts& sf, SetupPlan& plan);

/// With plan.capture_panics: checks that a capture kernel can work here and
/// fills plan.crashkernel. Refusals (kConflict): kdump-tools is enabled or
/// another crash kernel is loaded (one kexec crash slot); (kUnsupported): the
/// kernel lacks CONFIG_KEXEC_FILE or CONFIG_CRASH_DUMP, no static busybox
/// (busybox-static) for the capture initramfs, less than 4 x the
/// reservation of memory.
Result<void> decide_capture(const SystemFacts& sf, const io::RootFs& fs, SetupPlan& plan);

/// The state records a setup with --capture-panics (it wrote the unit).
bool captures_panics(const State& s);

struct FileChange {
  std::string path;
  std::string content;
  std::optional<std::string> old;  ///< current content; nullopt: file absent
  unsigned mode = 0644;
  bool changed() const { return !old || *old != content; }
};

struct ConfigPlan {
  std::vector<FileChange> files;
  std::vector<std::vector<std::string>> commands;  ///< after writing (live system only)
  std::vector<std::vector<std::string>> undo_commands;
  /// Commands that make the files take effect even when they are unchanged
  /// (update-grub): run again when an interrupted setup is completed.
  std::vector<std::vector<std::string>> refresh_commands;
  /// Built-in kernel and no known boot loader: the words the user must add.
  std::string manual_cmdline;
  std::vector<std::string> notes;
  bool changes() const;
};

/// Renders every file for `plan` and compares with what is on disk.
ConfigPlan plan_config(const SystemFacts& sf, const SetupPlan& plan, const io::RootFs& fs);

/// Where setup keeps the copy of `path` it replaced.
std::string backup_path(const std::string& path);

}  // namespace psb::sysconf
