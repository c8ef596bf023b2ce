// Setup and undo as transactions: plan_setup()/plan_undo() decide every step
// from facts (nothing is changed), the CLI prints the plan, and
// apply_setup()/apply_undo() carry it out through a Writer and a Runner. A
// dry run is the same apply with DryRunWriter/DryRunRunner, so the two paths
// cannot drift.
//
// Crash safety (the state file is a journal): before the partition table is
// written, the state file records the intent — the partition with the
// PARTUUID it will have, the files to write with their backups, the
// directories setup creates — and each later step advances `phase`. A re-run
// or `undo` after a crash at any point finds the record and completes or
// rolls back exactly; a partition setup created is recognised by its PARTUUID
// and adopted, never created twice.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/result.hpp"
#include "pstore_blk/sysconf/check.hpp"
#include "pstore_blk/sysconf/config.hpp"
#include "pstore_blk/sysconf/runner.hpp"
#include "pstore_blk/sysconf/writer.hpp"

namespace psb::sysconf {

/// pstore/zone never uses more than 128 MiB of its device
/// (fs/pstore/zone.c psz_alloc_zones: "capping size to 128MiB").
inline constexpr std::uint64_t kZoneCap = 128ull << 20;

/// What the user asked setup to do, already parsed and range-checked.
struct SetupRequest {
  std::string device;
  std::optional<int> partition;  ///< --partition N
  std::uint64_t size = 8ull << 20;
  SetupPlan params;  ///< kmsg/pmsg/console/ftrace sizes and max_reason
  bool now = false;
  bool force = false;
  std::optional<long> reboot_on_panic;  ///< kernel.panic seconds in sysctl.d
};

/// What happens to the partition.
struct PartitionStep {
  std::optional<device::PartitionPlan> create;  ///< set: a new partition is written
  device::PartitionInfo part;                   ///< final partition (planned or existing)
  std::string disk;                             ///< whole disk or image holding it
  /// The partition's own node when DEVICE named an existing partition of a
  /// block device (wiped there, O_EXCL); "" otherwise.
  std::string node;
  /// The kernel's node for a new partition of a block device (/dev/vda2,
  /// /dev/nvme0n1p2): the fallback when udev's link does not appear.
  std::string kernel_node;
  bool block_device = false;
  bool adopt_ours = false;  ///< set up earlier (state file or derived PARTUUID)
  bool wipe = true;         ///< erase signatures and zero the zone area
};

/// --now: what is loaded or unloaded after the files are written.
struct NowStep {
  bool requested = false;
  /// Frees the slot a loaded rival module holds: through its run-time switch
  /// (efi_pstore's pstore_disable: on 6.12 writing Y unregisters it), and
  /// with `release_fallback` (rmmod) when the backend is still held after it
  /// (6.1 reads the parameter only at module init).
  std::vector<std::string> release;
  std::vector<std::string> release_fallback;
  std::string holder_module, holder_backend;
  std::vector<std::vector<std::string>> commands;  ///< rmmod/modprobe pstore_blk
  std::string skip;     ///< why nothing is loaded (built in; already attached)
  std::string refusal;  ///< why --now cannot work (a built-in rival holds the slot): exit 1
  bool already_attached = false;
};

/// Checks the zone sizes against --size and fills mode, best_effort and the
/// rival-backend fields (decide_mode) and, with --capture-panics, the crash
/// kernel reservation (decide_capture, which reads `root`). Errors:
/// kUnsupported (no usable pstore_blk, no capture kernel possible),
/// kConflict (the kexec crash slot is taken), kInvalidArgument (zones larger
/// than the partition).
Result<SetupPlan> plan_parameters(const SetupRequest& req, const SystemFacts& sf,
                                  const io::RootFs& root);

/// Every step of one setup, decided before anything changes.
struct SetupTransaction {
  std::string root = "/";  ///< the target tree (--root), for messages
  SetupPlan config;        ///< the parameters rendered into the files
  PartitionStep partition;
  ConfigPlan files;                 ///< files, boot-loader commands, notes
  std::vector<FileChange> backups;  ///< copies of replaced files, written before them
  /// Directories of the target tree setup creates (parents first); undo
  /// removes them again.
  std::vector<std::string> created_dirs;
  NowStep now;
  bool live = true;  ///< the running system: commands run (else listed for the user)
  /// What changes about which crashes are saved (before -> after), one
  /// statement for the plan; "" until the capture model fills it in.
  std::string capture_change;
  /// The journal: what the state file says once setup completes.
  State state;
  /// A state file left by an interrupted setup is being completed.
  bool resumes = false;

  /// Nothing to write and nothing to run (a re-run of a completed setup).
  bool nothing_to_do() const;
};

/// Plans setup. Pure apart from reading the disk's table (libfdisk) and the
/// target tree through `root`. Errors are refusals: kConflict (device in
/// use, signature without --force, no space), kUnsupported (no pstore_blk,
/// unknown boot loader without --force), kInvalidArgument.
/// `params` comes from plan_parameters().
Result<SetupTransaction> plan_setup(const SetupRequest& req, const SetupPlan& params,
                                    const SystemFacts& sf, const DeviceReport& dev,
                                    const std::optional<State>& prior, const io::RootFs& root);

/// Receives one line per step carried out ("Created partition 2 on disk.img.")
/// and warnings ("'update-grub' failed: ..."); the CLI prints them.
struct Progress {
  std::function<void(std::string_view)> info;
  std::function<void(std::string_view)> warn;
};

/// --now after a real apply: did pstore_blk attach? Read from the live facts.
struct NowCheck {
  bool attached = false;
  std::string line;          ///< the kernel's "pstore_blk: attached ..." line, or blkdev
  bool panic_write = false;  ///< the device has a panic_write (mtdpstore only)
  std::string problem;       ///< why it did not attach
};
NowCheck check_now(const SystemFacts& after, const SetupPlan& plan);

/// What apply_setup may read back from the running kernel between --now
/// steps; unset members read as "nothing known" (a dry run).
struct LiveProbe {
  std::function<std::string()> active_backend;  ///< the registered backend, "" none
  std::function<std::string()> kernel_log;      ///< dmesg text
};

/// How apply_setup ended when it did not fail outright.
struct ApplyOutcome {
  bool commands_failed = false;  ///< a boot-loader command or --now step failed (warned)
  std::vector<std::string> warnings;
};

/// Carries out `tx`: journal, partition table, udev wait, wipe, backups,
/// files, commands, --now commands. Stops at the first failing write; what
/// was done is in the state file, so undo or a re-run finish the job.
Result<ApplyOutcome> apply_setup(const SetupTransaction& tx, Writer& w, Runner& r,
                                 const Progress& say, const LiveProbe& live = {});

/// One step of undo, in the order apply_undo runs them.
struct UndoTransaction {
  std::string root = "/";
  bool has_state = true;  ///< false: only leftovers of a setup killed before its journal
  State state;
  std::vector<FileChange> restore;  ///< files put back from their backup (content = backup)
  std::vector<std::string> remove;  ///< files setup created
  /// Files whose backup is missing because the setup was interrupted
  /// before it replaced them: left alone.
  std::vector<std::string> untouched;
  std::vector<std::vector<std::string>> commands;  ///< update-grub again (live only)
  /// Temporary files an interrupted write left next to a target.
  std::vector<std::string> leftovers;
  bool live = true;
  bool remove_partition = false;
  bool partition_present = false;  ///< the journal's partition is in the table
  bool unload_pstore_blk = false;  ///< the running pstore_blk holds the partition
  /// What stays in effect in the running kernel until the next boot, and how
  /// to change it now (one line each).
  std::vector<std::string> still_live;
  /// Directories to remove if empty (pstore-blk's own, created_dirs).
  std::vector<std::string> dirs;
  bool empty() const { return !has_state && leftovers.empty() && dirs.empty(); }
};

/// Plans undo from the state file. `sf` are the live facts (for what stays
/// loaded). Errors: kConflict (partition existed before setup; built-in
/// pstore_blk holds it), kNotFound (a backup of a replaced file is missing).
Result<UndoTransaction> plan_undo(const State& state, const SystemFacts& sf, bool remove_partition,
                                  const io::RootFs& root);

/// Without a state file: what a setup killed before its first journal write
/// can have left (the journal's temporary file, the empty state directory).
/// `has_state` is false in the result; empty() when there is nothing.
UndoTransaction plan_undo_leftovers(const io::RootFs& root);

/// Carries out `tx`; the state file goes last, so an interrupted undo can be
/// run again.
Result<ApplyOutcome> apply_undo(const UndoTransaction& tx, Writer& w, Runner& r,
                                const Progress& say);

}  // namespace psb::sysconf
