// Verdict rules. Each reason cites the fact it rests on (docs/FORMAT.md 8.4-8.6):
// block devices have no panic_write, console/ftrace need their CONFIG option
// and a non-zero size, one backend holds the pstore slot.
#include "pstore_blk/sysconf/check.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include "pstore_blk/device/facts.hpp"
#include "pstore_blk/device/naming.hpp"

namespace psb::sysconf {

namespace {

// "6.1.0-28-amd64", or "this kernel" when the release is unknown.
std::string kernel_name(const SystemFacts& sf) {
  return sf.kernel_release.empty() ? "this kernel" : sf.kernel_release;
}

}  // namespace

Result<DeviceReport> probe_device(const io::RootFs& live, const std::string& device,
                                  std::optional<int> image_partition, long kmsg_kib) {
  DeviceReport r;
  r.facts = device::probe_device_facts(live, device);
  if (!r.facts.exists) {
    // A partition that does not exist yet: /dev/vda3 on /dev/vda.
    auto split = device::split_partition_node(device);
    if (!split || !device::is_block_device(split->first))
      return make_error(Errc::kNotFound, "'" + device + "' does not exist");
    r.disk = split->first;
    r.partno = split->second;
    r.whole_disk = false;
    device::DeviceFacts disk = device::probe_device_facts(live, r.disk);
    if (disk.read_only) r.problems.push_back({Problem::Kind::kReadOnly, r.disk + " is read-only"});
  } else if (r.facts.is_block && r.facts.is_partition) {
    r.disk = "/dev/" + r.facts.parent;
    r.partno = r.facts.partno;
    r.exists_as_partition = true;
  } else {
    // Image files are recorded by absolute path, so a re-run from another
    // directory finds the same disk.
    r.disk = device;
    if (!r.facts.is_block) {
      std::error_code ec;
      auto abs = std::filesystem::canonical(device, ec);
      if (!ec) r.disk = abs.string();
    }
    r.whole_disk = true;
    if (image_partition) r.partno = *image_partition;
  }
  if (r.facts.read_only) r.problems.push_back({Problem::Kind::kReadOnly, device + " is read-only"});

  auto layout = device::read_layout(r.disk);
  if (!layout) return layout.error();
  r.layout = *layout;
  for (const auto& f : layout->free) r.free_bytes = std::max(r.free_bytes, f.size);
  if (r.partno) {
    for (const auto& p : layout->partitions)
      if (p.number == r.partno) r.partition = p;
    r.exists_as_partition = r.partition.has_value();
  }
  if (r.exists_as_partition && !r.partition)
    return make_error(Errc::kNotFound, "'" + r.disk + "' has no partition " +
                                           std::to_string(r.partno) +
                                           " in its table, but the kernel shows one");

  if (r.exists_as_partition) {
    const auto& p = *r.partition;
    using K = Problem::Kind;
    if (!r.facts.mounted_at.empty())
      r.problems.push_back({K::kMounted, device + " is mounted on " + r.facts.mounted_at.front()});
    if (!r.facts.holders.empty())
      r.problems.push_back({K::kHeld, device + " is held by " + r.facts.holders.front() +
                                          " (device-mapper, RAID or LVM)"});
    if (r.facts.swap) r.problems.push_back({K::kSwap, device + " is an active swap area"});
    if (p.size % 4096 != 0)
      r.problems.push_back({K::kMisaligned, "its size, " + std::to_string(p.size) +
                                                " bytes, is not a multiple of 4 KiB"});
    if (p.size < static_cast<std::uint64_t>(kmsg_kib) * 1024)
      r.problems.push_back({K::kTooSmall, "it is smaller than one kmsg zone (" +
                                              std::to_string(kmsg_kib) + " KiB)"});
    auto sigs = device::probe_signatures(r.disk, p.start, p.size);
    if (!sigs) return sigs.error();
    r.signatures = *sigs;
  } else if (r.whole_disk && r.layout.label.empty()) {
    auto sigs = device::probe_signatures(r.disk, 0, layout->size);
    if (!sigs) return sigs.error();
    r.signatures = *sigs;
  }
  for (const auto& s : r.signatures)
    r.problems.push_back({Problem::Kind::kSignature, "it carries a signature of type " + s.type +
                                                         " (" +
                                                         (s.usage.empty() ? "other" : s.usage) +
                                                         ") at byte " + std::to_string(s.offset)});
  return r;
}

const Problem* DeviceReport::blocking() const {
  for (const auto& p : problems)
    if (!p.forceable()) return &p;
  return nullptr;
}

const Problem* DeviceReport::forceable() const {
  for (const auto& p : problems)
    if (p.forceable()) return &p;
  return nullptr;
}

Sizes effective_sizes(const SystemFacts& sf, const SetupPlan* plan) {
  Sizes s;
  auto live = [&](const char* name) -> std::optional<long> {
    auto it = sf.pstore_blk.params.find(name);
    if (it == sf.pstore_blk.params.end()) return std::nullopt;
    return std::strtol(it->second.c_str(), nullptr, 10);
  };
  const bool attached = sf.pstore_blk_attached();
  auto pick = [&](const char* name, std::optional<long> planned, std::optional<long> cfg,
                  bool enabled) -> long {
    if (!enabled) return 0;
    std::optional<long> v;
    if (attached) v = live(name);
    if (!v && plan) v = planned;
    if (!v) v = cfg;
    return v && *v > 0 ? *v : 0;
  };
  s.kmsg = pick("kmsg_size", plan ? std::optional<long>(plan->kmsg_kib) : std::nullopt,
                sf.cfg_kmsg_size ? sf.cfg_kmsg_size : std::optional<long>(64), true);
  s.pmsg = pick("pmsg_size", plan ? plan->pmsg_kib : std::nullopt, sf.cfg_pmsg_size, sf.has_pmsg);
  s.console = pick("console_size", plan ? plan->console_kib : std::nullopt, sf.cfg_console_size,
                   sf.has_console);
  s.ftrace = pick("ftrace_size", plan ? plan->ftrace_kib : std::nullopt, sf.cfg_ftrace_size,
                  sf.has_ftrace);
  s.max_reason = sf.cfg_max_reason.value_or(2);
  if (plan && plan->max_reason) s.max_reason = *plan->max_reason;
  if (attached)
    if (auto v = live("max_reason")) s.max_reason = static_cast<int>(*v);
  return s;
}

std::vector<std::string> kernel_blockers(const SystemFacts& sf) {
  std::vector<std::string> out;
  const std::string kver = kernel_name(sf);
  if (sf.config_source.empty() && sf.pstore_blk.build == Build::kUnknown) {
    out.push_back("no kernel config found (/boot/config-" + sf.kernel_release +
                  ", /proc/config.gz) and pstore_blk is not loaded: cannot tell how it is built");
    return out;
  }
  if (sf.pstore.build == Build::kAbsent) out.push_back("CONFIG_PSTORE is not set in " + kver);
  if (sf.pstore_blk.build == Build::kAbsent) {
    if (sf.config.count("CONFIG_PSTORE_BLK") && sf.config.at("CONFIG_PSTORE_BLK") == "m")
      out.push_back("CONFIG_PSTORE_BLK=m but pstore_blk.ko is missing from /lib/modules/" +
                    sf.kernel_release);
    else
      out.push_back("CONFIG_PSTORE_BLK is not set in " + kver);
  }
  return out;
}

namespace {

// The oops verdict for the DEVICE given to check/setup: what keeps setup
// from using it, or what pstore_blk does there once it is set up.
Verdict target_oops(const SystemFacts& sf, const DeviceReport& target) {
  Verdict oops{"oops", false, ""};
  if (const Problem* p = target.blocking()) {
    oops.reason = target.facts.path + ": " + p->text;
  } else if (!target.exists_as_partition && !target.layout.label.empty() &&
             target.free_bytes < (8ull << 20)) {
    oops.reason = target.disk + ": no free space for a new 8 MiB partition (largest free range " +
                  std::to_string(target.free_bytes >> 10) + " KiB)";
  } else if (const Problem* f = target.forceable()) {
    oops.reason = target.facts.path + ": " + f->text + "; setup needs --force";
  } else {
    oops.yes = true;
    oops.reason = "after `pstore-blk setup " + target.facts.path + "`, pstore_blk (" +
                  build_name(sf.pstore_blk.build) + ") records oopses there";
    for (const auto& r : sf.rivals)
      if (r.will_register && !r.disabled)
        oops.reason += "; setup keeps " + r.module + " from taking the backend (" + r.why + ")";
  }
  return oops;
}

// Why oopses go to `active`, another backend, and whether the next boot
// changes that (the kernel's refusal of pstore_blk, the configured blkdev).
std::string rival_holds_slot(const SystemFacts& sf, const std::string& active) {
  std::string reason =
      "backend '" + active + "' holds the single pstore slot; oopses go there, not to pstore_blk";
  if (sf.refusal && sf.refusal->refused == "pstore_blk")
    reason += std::string("; the kernel refused pstore_blk (") +
              (sf.refusal->error == EBUSY ? "EBUSY" : "EPERM") + "): " + sf.refusal->line;
  const RivalBackend* holder = nullptr;
  for (const auto& r : sf.rivals)
    if (r.backend_name == active) holder = &r;
  if (sf.configured_blkdev.empty()) return reason;
  if (holder && holder->disabled)
    return reason + "; from the next boot on pstore_blk (configured in " + sf.configured_in +
           " for " + sf.configured_blkdev + ") gets it: " + holder->why;
  return reason + "; pstore_blk is configured (" + sf.configured_in + ") for " +
         sf.configured_blkdev + ", but '" + active +
         "' takes the slot again at the next boot: run `pstore-blk setup DEVICE`";
}

// Whether oopses are recorded: the kernel build, panic_on_oops, then the
// target device (check DEVICE) or the running system's backend.
Verdict oops_verdict(const SystemFacts& sf, const DeviceReport* target,
                     const std::vector<std::string>& blockers, const std::string& dev) {
  if (!blockers.empty()) return {"oops", false, blockers.front()};
  if (sf.panic_on_oops)
    return {"oops", false,
            "kernel.panic_on_oops=1: every oops becomes a panic, and pstore_blk cannot write at "
            "panic time"};
  if (target) return target_oops(sf, *target);
  const std::string active = sf.active_backend();
  if (sf.pstore_blk_attached())
    return {"oops", true, "pstore_blk is attached to " + dev + " and holds the pstore backend"};
  if (!active.empty() && active != "pstore_blk")
    return {"oops", false, rival_holds_slot(sf, active)};
  if (sf.pstore_blk.loaded && sf.pstore_blk.unreadable_params.size() && dev.empty())
    return {"oops", false,
            "pstore_blk is loaded but its parameters are not readable (run as root)"};
  if (!sf.configured_blkdev.empty())
    return {"oops", false,
            "pstore_blk is not attached now; it is configured (" + sf.configured_in + ") for " +
                sf.configured_blkdev +
                " and attaches at the next boot, or now with `pstore-blk setup DEVICE --now`"};
  return {"oops", false, "pstore_blk is not attached to any device; run `pstore-blk setup DEVICE`"};
}

// "128 MiB reserved by crashkernel=128M", or what is known of the two.
std::string reservation(const CrashKernelFacts& c) {
  std::string s = c.reserved ? std::to_string(c.reserved >> 20) + " MiB reserved" : "";
  if (!c.crashkernel.empty()) s += (s.empty() ? "" : " by ") + c.crashkernel;
  return s.empty() ? "" : " (" + s + ")";
}

// What the crash kernel slot adds to a "no panic_write" verdict: a capture
// kernel pstore-blk loaded saves panics; another crash kernel (kdump) takes
// the panic first; a reservation with nothing loaded saves nothing.
std::optional<Verdict> capture_verdict(const CrashKernelFacts& c, const std::string& no_write) {
  if (c.loaded.value_or(false) && c.ours)
    return Verdict{"panic", true,
                   "capture kernel loaded" + reservation(c) +
                       ": a panic boots it and it writes the log into " + c.ours_device};
  if (c.loaded.value_or(false))
    return Verdict{"panic", false,
                   "a crash kernel is loaded, not by pstore-blk" +
                       std::string(c.kdump_tools ? " (kdump-tools)" : "") +
                       ": a panic boots it, and pstore gets nothing; " + no_write};
  if (c.reserved)
    return Verdict{"panic", false,
                   no_write + "; memory is reserved for a crash kernel" + reservation(c) +
                       " but none is loaded (/sys/kernel/kexec_crash_loaded is 0)"};
  return std::nullopt;
}

// panic: the block path has no panic_write (docs/FORMAT.md 8.5); a capture
// kernel can write the panic instead (capture_verdict).
Verdict panic_verdict(const SystemFacts& sf, const std::vector<std::string>& blockers,
                      const std::string& dev) {
  if (!blockers.empty()) return {"panic", false, blockers.front()};
  bool mtd_panic = false;
  for (const auto& l : sf.log_lines)
    if (l.find(",panic_write)") != std::string::npos) mtd_panic = true;
  if (mtd_panic && sf.pstore_blk_attached())
    return {"panic", true,
            "the registered device has a panic_write (mtdpstore); it still fails if the MTD "
            "driver has none"};
  const std::string no_write = (dev.empty() ? std::string("a block device") : dev) +
                               " has no panic_write; only mtdpstore devices do";
  if (auto c = capture_verdict(sf.crash, no_write)) return *c;
  return {"panic", false, no_write};
}

// One front end (console, pmsg, ftrace): its CONFIG option, its size and the
// setup option that sets it, and what it loses at a crash.
struct Front {
  const char* kind;
  const char* symbol;
  bool built;
  long size;
  const char* option;
  const char* caveat;
};

// A front end records only when it is built, has a zone, and pstore_blk is
// (or will be) attached, which the oops verdict says.
Verdict front_verdict(const SystemFacts& sf, const DeviceReport* target, const Front& f,
                      const std::vector<std::string>& blockers, const Verdict& oops) {
  Verdict x{f.kind, false, ""};
  if (!blockers.empty())
    x.reason = blockers.front();
  else if (!f.built)
    x.reason = std::string(f.symbol) + " is not set in " + kernel_name(sf);
  else if (f.size <= 0)
    x.reason = std::string(f.kind) + "_size is 0" +
               (target ? std::string("; pass ") + f.option + " KiB to setup" : "");
  else if (!oops.yes && !(sf.pstore_blk_attached()))
    x.reason = "pstore_blk will not be attached: " + oops.reason;
  else {
    x.yes = true;
    x.reason = std::string(f.kind) + " zone of " + std::to_string(f.size) + " KiB" + f.caveat;
  }
  return x;
}

}  // namespace

std::vector<Verdict> judge(const SystemFacts& sf, const DeviceReport* target, const Sizes& sizes) {
  const auto blockers = kernel_blockers(sf);
  const std::string dev =
      target ? target->facts.path
             : (sf.pstore_blk.params.count("blkdev") ? sf.pstore_blk.params.at("blkdev") : "");
  const Verdict oops = oops_verdict(sf, target, blockers, dev);
  std::vector<Verdict> v{oops, panic_verdict(sf, blockers, dev)};
  const Front fronts[] = {
      {"console", "CONFIG_PSTORE_CONSOLE", sf.has_console, sizes.console, "--console-size",
       " (flushed about every 500 ms; the last lines before a crash are lost)"},
      {"pmsg", "CONFIG_PSTORE_PMSG", sf.has_pmsg, sizes.pmsg, "--pmsg-size",
       " (/dev/pmsg0, written synchronously)"},
      {"ftrace", "CONFIG_PSTORE_FTRACE", sf.has_ftrace, sizes.ftrace, "--ftrace-size",
       " (flushed about every 500 ms, like console)"},
  };
  for (const auto& f : fronts) v.push_back(front_verdict(sf, target, f, blockers, oops));
  return v;
}

}  // namespace psb::sysconf
