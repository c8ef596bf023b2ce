// capture-panic: the capture kernel's writer. Puts one PANIC kmsg record
// into the pstore partition, in the zone and with the counter the kernel
// would use next, so that the next boot's pstore_blk shows it as its own.
// The log comes from a file or stdin (--log), or from the crashed kernel's
// core file (--vmcore /proc/vmcore). Hidden from --help: the capture
// initramfs of capture-load runs it.
#include <fmt/core.h>
#include <time.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <iostream>

#include "cli/commands.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/format/kmsg_writer.hpp"
#include "pstore_blk/format/vmcore.hpp"
#include "pstore_blk/io/diagnose.hpp"
#include "pstore_blk/io/partition_writer.hpp"
#include "pstore_blk/io/reader.hpp"

namespace psb::cli {

namespace {

// Only the newest part of a log can be stored; more than this is never read
// into memory (a 128 MiB zone would hold at most ~213 MiB of text).
constexpr std::size_t kMaxLogBytes = 16u << 20;

struct CaptureArgs {
  std::string target;
  std::optional<int> partition;
  std::string partuuid;
  std::string root = "/";     // where /sys/block and /dev are looked up for --partuuid
  unsigned wait_seconds = 0;  // for the --partuuid's disk to appear
  std::string log;
  std::string vmcore;
  std::optional<long> kmsg_kib, pmsg_kib, console_kib, ftrace_kib;
  std::optional<unsigned> cpus;
  std::string abi;
  std::string time;
  bool no_compress = false;
  bool allow_empty = false;
  bool dry_run = false;
};

struct LogText {
  std::string text;
  std::uint64_t skipped = 0;               // older bytes never read into memory
  std::optional<std::int64_t> crash_time;  // when the log says when it crashed
};

// Reads the log, keeping at most kMaxLogBytes of its end.
Result<LogText> read_log(const std::string& path) {
  FILE* f = path == "-" ? stdin : std::fopen(path.c_str(), "rb");
  if (!f) return make_sys_error("Failed to open '" + path + "'", errno);
  LogText log;
  std::vector<char> buf(1 << 16);
  std::size_t n;
  while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) {
    log.text.append(buf.data(), n);
    if (log.text.size() > 2 * kMaxLogBytes) {
      const std::size_t cut = log.text.size() - kMaxLogBytes;
      log.text.erase(0, cut);
      log.skipped += cut;
    }
  }
  const bool bad = std::ferror(f);
  const int err = errno;
  if (f != stdin) std::fclose(f);
  if (bad) return make_sys_error("Failed to read '" + path + "'", err);
  if (log.text.size() > kMaxLogBytes) {
    const std::size_t cut = log.text.size() - kMaxLogBytes;
    log.text.erase(0, cut);
    log.skipped += cut;
  }
  return log;
}

// The panicked kernel's log from its core file (/proc/vmcore in a capture
// kernel), rendered as pstore's kmsg dumper would have written it.
Result<LogText> read_vmcore_log(const std::string& path) {
  auto f = io::FileSource::open(path);
  if (!f) return f.error();
  const io::FileSource& src = **f;
  format::ReadAt read = [&src](std::uint64_t off, std::span<std::byte> buf) {
    return src.read_at(off, buf);
  };
  auto named = [&path](Error e) {
    e.what = path + ": " + e.what;
    return e;
  };
  auto core = format::parse_elf_core(read, src.size());
  if (!core) return named(core.error());
  auto log = format::read_printk_log(read, *core);
  if (!log) return named(log.error());
  if (log->records.empty())
    return make_error(Errc::kFormat, path + ": the printk ring buffer holds no record");
  LogText t;
  t.crash_time = log->crash_time;
  t.text = format::render_kmsg_dump(log->records);
  if (t.text.size() > kMaxLogBytes) {
    t.skipped = t.text.size() - kMaxLogBytes;
    t.text.erase(0, t.skipped);
  }
  return t;
}

struct DumpTime {
  std::int64_t sec = 0, nsec = 0;
};

// "SEC" or "SEC.FRACTION" (up to 9 digits); empty: the current time.
Result<DumpTime> parse_time(const std::string& s) {
  DumpTime t;
  if (s.empty()) {
    struct timespec ts = {};
    clock_gettime(CLOCK_REALTIME, &ts);
    return DumpTime{ts.tv_sec, ts.tv_nsec};
  }
  const auto dot = s.find('.');
  const std::string sec = s.substr(0, dot),
                    frac = dot == std::string::npos ? "" : s.substr(dot + 1);
  auto digits = [](const std::string& d) {
    return !d.empty() && d.find_first_not_of("0123456789") == std::string::npos;
  };
  if (!digits(sec) || sec.size() > 18 || (dot != std::string::npos && !digits(frac)) ||
      frac.size() > 9)
    return make_error(Errc::kInvalidArgument,
                      "--time wants seconds since the epoch, e.g. 1795712157.5, not '" + s + "'");
  t.sec = std::stoll(sec);
  if (!frac.empty()) t.nsec = std::stoll(frac + std::string(9 - frac.size(), '0'));
  return t;
}

struct Target {
  device::PstoreArea area;
  io::ReadOptions opts;
  io::ScanSummary sum;
};

std::size_t zones_with_signature(const io::ScanSummary& sum, bool kmsg_only) {
  std::size_t n = 0;
  for (const auto& z : sum.zones)
    if (z.header && z.header->sig == format::expected_sig(z.slot.type) &&
        (!kmsg_only || z.slot.type == format::RecordType::kDmesg))
      ++n;
  return n;
}

// --allow-empty writes where no record was ever stored: only where every
// zone's first 4 KiB are zero, as setup leaves the zone area, never over
// other data that happens to have the name (a disk enumerated in another
// order by the capture kernel).
Result<void> check_blank(const Target& t) {
  const io::ByteSource& src = t.area.source();
  for (const auto& z : t.sum.zones) {
    auto at = io::find_not_fill(src, z.slot.offset, std::min<std::uint64_t>(4096, z.slot.size), 0);
    if (!at) return at.error();
    if (*at)
      return make_error(
          Errc::kConflict,
          fmt::format("'{}' holds no pstore/zone record and is not blank at offset {} (zone {}): "
                      "not the pstore partition, refusing to write",
                      src.name(), **at, z.slot.index));
  }
  return {};
}

// Refuses anything that is not plainly a whole pstore partition.
Result<void> check_target(const Target& t, const CaptureArgs& a) {
  const std::string name = t.area.source().name();
  if (t.sum.source_size % 4096 != 0)
    return make_error(Errc::kInvalidArgument,
                      fmt::format("'{}' is {} bytes, not a multiple of 4096: pstore_blk would "
                                  "refuse it, so it is not a pstore partition",
                                  name, t.sum.source_size));
  for (const auto& z : t.sum.zones)
    if (z.state == format::ZoneState::kTruncated)
      return make_error(Errc::kInvalidArgument,
                        fmt::format("'{}' ends inside zone {} at offset {}: the layout does not "
                                    "fit, refusing to write",
                                    name, z.slot.index, z.slot.offset));
  const bool forced = t.opts.layout.any();
  // The zone size is known from the spacing of two kmsg records at least;
  // one alone gives a guess, and a guess is not enough to write.
  if (!forced && zones_with_signature(t.sum, true) >= 2) return {};
  if (!forced && zones_with_signature(t.sum, false) > 0)
    return make_error(Errc::kInvalidArgument,
                      fmt::format("'{}' holds fewer than two kmsg records: give the layout "
                                  "pstore_blk uses (--kmsg-size, ...)",
                                  name));
  if (zones_with_signature(t.sum, false) > 0) return {};
  if (!a.allow_empty)
    return make_error(Errc::kConflict,
                      fmt::format("'{}' holds no pstore/zone record: not a pstore partition, or "
                                  "one that never held a record (then use --allow-empty with "
                                  "--kmsg-size)",
                                  name));
  if (!forced)
    return make_error(Errc::kInvalidArgument,
                      "--allow-empty needs the layout pstore_blk uses (--kmsg-size, ...)");
  return check_blank(t);
}

Result<Target> open_target(const CaptureArgs& a) {
  Target t;
  if (!a.abi.empty()) {
    auto abi = format::Abi::by_name(a.abi);
    if (!abi) return make_error(Errc::kInvalidArgument, "unknown ABI '" + a.abi + "'");
    t.opts.abi = *abi;
  }
  for (auto v : {a.kmsg_kib, a.pmsg_kib, a.console_kib, a.ftrace_kib})
    if (v && *v < 0) return make_error(Errc::kInvalidArgument, "zone sizes must not be negative");
  if (a.cpus && *a.cpus == 0)
    return make_error(Errc::kInvalidArgument, "--cpus must be at least 1");
  t.opts.layout = {a.kmsg_kib, a.pmsg_kib, a.console_kib, a.ftrace_kib, a.cpus};
  t.opts.keep_content = false;
  auto area = device::open_pstore_area(a.target, a.partition);
  if (!area) return area.error();
  t.area = std::move(*area);
  auto sum = io::scan_partition(t.area.source(), t.opts, [](format::Record&&) {});
  if (!sum) return sum.error();
  t.sum = std::move(*sum);
  return t;
}

Result<void> write_zone(const Target& t, const format::KmsgRecordPlan& plan) {
  const auto& p = t.area.partition;
  auto w = io::PartitionWriter::open(t.area.file->name(), p ? p->start : 0,
                                     p ? p->size : t.area.file->size());
  if (!w) return w.error();
  if (auto r = (*w)->write_at(plan.slot.offset, plan.zone); !r) return r;
  return (*w)->sync();
}

// Reads the partition again, as `extract` would, and requires the record.
Result<void> verify(const CaptureArgs& a, const Target& before,
                    const format::KmsgRecordPlan& plan) {
  auto area = device::open_pstore_area(a.target, a.partition);
  if (!area) return area.error();
  io::ReadOptions o = before.opts;
  o.abi = before.sum.abi;
  o.keep_content = true;
  std::optional<format::Record> got;
  const std::string name = fmt::format("dmesg-pstore_blk-{}", plan.slot.index);
  auto sum = io::scan_partition(area->source(), o, [&](format::Record&& r) {
    if (r.name == name) got = std::move(r);
  });
  if (!sum) return sum.error();
  if (!got || !got->kmsg || got->kmsg->reason != 1 || got->kmsg->counter != plan.counter ||
      got->content != plan.kernel_file)
    return make_error(Errc::kFormat, "'" + area->source().name() + "': read back, " + name +
                                         " is not the record just written");
  return {};
}

int fail(const Error& e) {
  warn(e.message());
  return e.code == Errc::kInvalidArgument ? kExitUsage : kExitFailure;
}

// With --partuuid, the target is the disk that holds that PARTUUID and the
// partition its number: the capture kernel may have named the disks in
// another order than the kernel that loaded it.
Result<CaptureArgs> resolve_target(CaptureArgs a) {
  if (a.partuuid.empty() == a.target.empty())
    return make_error(Errc::kInvalidArgument, "give the pstore partition as TARGET or --partuuid");
  if (a.partuuid.empty()) return a;
  if (a.partition)
    return make_error(Errc::kInvalidArgument, "--partuuid and --partition exclude each other");
  const io::RootFs root(a.root);
  // Disks probe asynchronously: one that is not there yet may come.
  unsigned waited = 0;
  auto loc = device::find_partition_by_uuid(root, a.partuuid);
  for (; !loc && loc.error().code == Errc::kNotFound && waited < a.wait_seconds; ++waited) {
    ::sleep(1);
    loc = device::find_partition_by_uuid(root, a.partuuid);
  }
  if (!loc) return loc.error();
  a.target = root.host_path(loc->disk);
  a.partition = loc->partition.number;
  std::cerr << fmt::format("pstore-blk: PARTUUID {} is partition {} of {}{}.\n", a.partuuid,
                           loc->partition.number, loc->disk,
                           waited ? fmt::format(" (found after {} s)", waited) : "");
  return a;
}

int run_capture(const CaptureArgs& given) {
  auto resolved = resolve_target(given);
  if (!resolved) return fail(resolved.error());
  const CaptureArgs& a = *resolved;
  auto when = parse_time(a.time);
  if (!when) return fail(when.error());
  auto t = open_target(a);
  if (!t) return fail(t.error());
  if (auto ok = check_target(*t, a); !ok) return fail(ok.error());
  if (a.log.empty() == a.vmcore.empty())
    return fail(make_error(Errc::kInvalidArgument, "give the log with --log or --vmcore"));
  auto log = a.vmcore.empty() ? read_log(a.log) : read_vmcore_log(a.vmcore);
  if (!log) return fail(log.error());
  // Without --time, a core's CRASHTIME is the panic's time (whole seconds).
  if (a.time.empty() && log->crash_time) *when = DumpTime{*log->crash_time, 0};
  format::PanicDump dump{log->text, when->sec, when->nsec, 1, !a.no_compress};
  auto plan = format::plan_panic_record(t->sum.zones, t->sum.abi, dump);
  if (!plan) return fail(plan.error());
  if (plan->older_than_newest)
    warn(
        "the dump time is older than a stored record's: the kernel will overwrite this "
        "record before that one");
  if (!a.dry_run) {
    if (auto r = write_zone(*t, *plan); !r) return fail(r.error());
    if (auto r = verify(a, *t, *plan); !r) return fail(r.error());
  }
  std::cerr << fmt::format(
      "pstore-blk: {}: {} Panic record {} ({}, {} bytes) in dmesg zone {} at offset {}; "
      "{} of {} log bytes kept; the kernel will show dmesg-pstore_blk-{}.\n",
      t->area.source().name(), a.dry_run ? "would write" : "wrote", plan->counter,
      plan->compressed ? "compressed" : "uncompressed", plan->payload_size, plan->slot.index,
      plan->slot.offset, plan->log_kept, log->skipped + log->text.size(), plan->slot.index);
  return kExitOk;
}

}  // namespace

void attach_capture_panic(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<CaptureArgs>();
  sub.group("");  // hidden: run by the capture initramfs, not by hand
  sub.add_option("TARGET", a->target, "pstore partition, or a disk holding it");
  sub.add_option("--partition", a->partition, "use partition N of a whole disk")->type_name("N");
  sub.add_option("--partuuid", a->partuuid,
                 "instead of TARGET: the partition with this PARTUUID, on whichever disk holds it")
      ->type_name("UUID");
  sub.add_option("--root", a->root, "look up /sys/block and /dev below DIR (default /)")
      ->type_name("DIR");
  sub.add_option("--wait-seconds", a->wait_seconds,
                 "with --partuuid: wait up to N seconds for a disk holding it to appear")
      ->type_name("N");
  sub.add_option("--log", a->log, "kernel log to store, oldest line first ('-': stdin)")
      ->type_name("FILE");
  sub.add_option("--vmcore", a->vmcore,
                 "take the log from the crashed kernel's core file (/proc/vmcore)")
      ->type_name("FILE");
  sub.add_option("--kmsg-size", a->kmsg_kib, "force the layout: kmsg zone size (KiB)")
      ->type_name("KiB");
  sub.add_option("--pmsg-size", a->pmsg_kib, "force the layout: pmsg zone size (KiB)")
      ->type_name("KiB");
  sub.add_option("--console-size", a->console_kib, "force the layout: console zone size (KiB)")
      ->type_name("KiB");
  sub.add_option("--ftrace-size", a->ftrace_kib, "force the layout: ftrace area size (KiB)")
      ->type_name("KiB");
  sub.add_option("--cpus", a->cpus, "force the layout: possible CPUs")->type_name("N");
  sub.add_option("--abi", a->abi, "writer ABI (default: guessed from the stored records)")
      ->type_name("ABI");
  sub.add_option("--time", a->time,
                 "dump time, seconds since the epoch (default: the core's crash time, else now)")
      ->type_name("SEC[.FRAC]");
  sub.add_flag("--no-compress", a->no_compress,
               "store the text uncompressed (for kernels booted with pstore.compress=none)");
  sub.add_flag("--allow-empty", a->allow_empty,
               "write into a partition that holds no record yet (needs --kmsg-size)");
  sub.add_flag("--dry-run", a->dry_run, "say what would be written, write nothing");
  sub.callback([a, &action] { action = [a] { return run_capture(*a); }; });
}

}  // namespace psb::cli
