// Crash signatures from kernel log text: what killed the machine, where.
//
// A dmesg record holds the tail of the kernel log at the time of the dump
// (kmsg_dump(), kernel/printk/printk.c), so it usually holds more than one
// report: earlier WARNINGs, an oops, the "Kernel panic" that followed it. The
// report that caused the dump is the last one; parse_crash() finds it.
//
// Lines it understands (6.1 wording, checked against 5.10 .. 6.12 sources):
//   each line   "<N>[    1.234567] msg" or "[    1.234567][  T123] msg"
//               (printk.c info_print_prefix(); the <N> and [T..] parts optional);
//               pstore's own first lines "Oops: Total N times" and
//               "Oops#1 Part1" (fs/pstore/zone.c, fs/pstore/platform.c)
//   headlines   "BUG: kernel NULL pointer dereference, address: ..."
//               "BUG: unable to handle page fault for address: ..."
//                 (arch/x86/mm/fault.c show_fault_oops())
//               "Unable to handle kernel NULL pointer dereference at virtual address"
//               "Unable to handle kernel paging request at virtual address"
//                 (arch/arm64/mm/fault.c die_kernel_fault())
//               "kernel BUG at FILE:LINE!"  (lib/bug.c report_bug())
//               "WARNING: CPU: N PID: N at FILE:LINE func+0x../0x.. [mod]" (kernel/panic.c
//               __warn()) "general protection fault, ...: 0000 [#1] ..." (arch/x86/kernel/traps.c)
//               "Oops: 0002 [#1] ...", "invalid opcode: 0000 [#1] ...",
//               "Internal error: Oops: 96000045 [#1] ..." (x86 __die(), arm64 die())
//               "watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [comm:pid]"
//               "Watchdog detected hard LOCKUP on cpu N" (kernel/watchdog*.c)
//               "INFO: task comm:pid blocked for more than N seconds." (kernel/hung_task.c)
//               "Kernel panic - not syncing: MSG" (kernel/panic.c)
//   details     "CPU: 0 PID: 1 Comm: sh Tainted: G  O  6.1.0-56-amd64 #1 ..." (lib/dump_stack.c;
//               >= 6.10 adds "UID: N"), "Linux version R (...)" (init/version.c),
//               "RIP: 0010:func+0x12/0x30 [mod]" (x86), "pc : func+..", "lr : func+.." (arm64),
//               the frames after "Call Trace:" / "Call trace:" (" func+0x../0x.. [mod]",
//               "? " marks an unreliable frame).
//
// Pure: text in, signature out. No I/O, no printing. Its own library
// (psb_oops): only `summary` uses it, and it needs nothing from the others.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

namespace psb::oops {

/// What kind of report killed the machine, most specific first.
enum class CrashKind {
  kNone,               ///< no crash report found in the text
  kNullDeref,          ///< NULL pointer dereference (x86 and arm64 wording)
  kPageFault,          ///< other unhandled kernel page fault / paging request
  kGeneralProtection,  ///< x86 general protection fault
  kBug,                ///< "kernel BUG at" or another "BUG: ..." line
  kWarning,            ///< "WARNING: CPU: ..." (fatal with panic_on_warn)
  kOops,               ///< a die() line with no more specific headline before it
  kSoftLockup,
  kHardLockup,
  kHungTask,
  kPanic,  ///< "Kernel panic - not syncing" with no report that caused it
};

/// Stable machine name: "null-deref", "page-fault", "gpf", "bug", "warning",
/// "oops", "soft-lockup", "hard-lockup", "hung-task", "panic", "none".
std::string_view kind_name(CrashKind k);
/// Human title: "NULL pointer dereference", "general protection fault", ...
std::string_view kind_title(CrashKind k);

/// One symbolised code address as the kernel prints it (%pS / %pB):
/// "func+0x17/0x23 [mod]".
struct Frame {
  std::string function;  ///< "psb_do_null"; may carry ".cold" or ".isra.0"
  std::string offset;    ///< "+0x17/0x23", empty if none was printed
  std::string module;    ///< "psb_oops", empty for the kernel image

  /// As printed: "psb_do_null+0x17/0x23 [psb_oops]".
  std::string display() const;
  /// Normalised for grouping: no offset, no compiler clone suffix
  /// (.cold, .isra.N, .constprop.N, .part.N, .llvm.N): "psb_do_null [psb_oops]".
  std::string normalized() const;
};

/// Parses one "%pS"-style symbol ("func+0x1/0x2 [mod buildid]"). Returns
/// nullopt for raw addresses ("0x47b7a0") and anything that is not a symbol.
std::optional<Frame> parse_frame(std::string_view s);

/// Drops GCC/LLVM clone suffixes from a symbol name.
std::string strip_clone_suffix(std::string_view function);

inline constexpr std::size_t kSignatureFrames = 3;  ///< call-trace frames in the signature

/// The crash found in one record's text.
struct CrashSignature {
  CrashKind kind = CrashKind::kNone;
  std::string headline;           ///< the headline message, without log prefix
  std::optional<double> uptime;   ///< the headline's printk timestamp (s)
  std::optional<Frame> function;  ///< faulting function (RIP / pc / WARNING site)
  std::optional<Frame> caller;    ///< arm64 "lr :"
  std::vector<Frame> frames;      ///< first reliable call-trace frames (<= kSignatureFrames)
  std::string comm;               ///< task name, empty if unknown
  std::optional<long> pid;
  std::optional<int> cpu;
  std::optional<std::string> taint;  ///< taint letters ("GOE"); "" = Not tainted; nullopt = unknown
  std::string release;               ///< kernel release, empty if unknown
  std::string panic;                 ///< "Kernel panic - not syncing:" message, if one followed
  std::size_t reports = 0;           ///< crash headlines seen in the whole text

  /// kind + normalised function + normalised top frames (+ the panic message
  /// for a bare panic): no addresses, offsets, PIDs or timestamps.
  std::string signature;
  std::uint64_t hash = 0;  ///< format::fnv1a64(signature)

  /// First 12 hex digits of `hash`: the group id.
  std::string group_id() const;
};

/// Finds the crash that caused the dump in `text` (the last report in it).
/// Never fails: text with no report gives kind kNone. Binary junk is skipped.
CrashSignature parse_crash(std::string_view text);

/// 12 lowercase hex digits: the top 48 bits of `hash`.
std::string short_hex(std::uint64_t hash);

/// One group of records with the same signature; only aggregates are kept,
/// so memory grows with the number of groups, not records.
struct CrashGroup {
  std::string id;          ///< group_id()
  CrashSignature example;  ///< the first record's signature
  std::size_t count = 0;
  std::optional<std::int64_t> first_time, last_time;  ///< dump times (s since epoch)
  std::set<std::string> releases;
  std::set<std::string> sources;              ///< at most kMaxGroupSources names are kept
  std::size_t source_count = 0;               ///< distinct sources, counted past the cap
  std::map<std::string, std::size_t> states;  ///< "compressed" -> 2, "erased" -> 1, ...
  std::string last_source;  ///< the source of the latest record (for source_count)
};

/// Groups records by signature.
class CrashGroups {
 public:
  static constexpr std::size_t kMaxGroupSources = 1000;

  /// Adds one record. `time` is the dump time when known; `state` says how
  /// the text was obtained ("compressed", "uncompressed", "erased", ...).
  /// Returns the group id.
  const std::string& add(const CrashSignature& sig, std::string_view source,
                         std::optional<std::int64_t> time, std::string_view state);

  /// Groups, most records first, then by first dump time, then id.
  std::vector<const CrashGroup*> sorted() const;

  std::size_t records() const { return records_; }

 private:
  std::map<std::string, CrashGroup> groups_;
  std::size_t records_ = 0;
};

}  // namespace psb::oops
