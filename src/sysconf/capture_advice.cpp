// What `check` tells a person after the capture table: configuration traps
// that silently lose crashes, ramoops as the way to keep panics, and a
// recommendation in plain words.
#include <algorithm>
#include <cstdlib>

#include "capture_internal.hpp"
#include "pstore_blk/sysconf/capture.hpp"

namespace psb::sysconf::capture_detail {

namespace {

bool cmdline_kind(SourceKind k) {
  return k == SourceKind::kRunningCmdline || k == SourceKind::kBootCmdline;
}

std::string key_of(const std::string& word) { return word.substr(0, word.find('=')); }
std::string value_of(const std::string& word) {
  auto eq = word.find('=');
  return eq == std::string::npos ? "" : word.substr(eq + 1);
}

// `best_effort=y` instead of `pstore_blk.best_effort=y` on a command line:
// the kernel hands unknown words to init, pstore_blk never sees them (the
// kernel's own pstore-blk documentation has this example).
void unprefixed(const CaptureFacts& cf, std::vector<Trap>& out) {
  static const char* kParams[] = {"best_effort",  "blkdev",      "kmsg_size", "pmsg_size",
                                  "console_size", "ftrace_size", "max_reason"};
  for (const auto& w : cf.words) {
    if (!cmdline_kind(w.kind)) continue;
    const std::string key = key_of(w.word);
    if (std::none_of(std::begin(kParams), std::end(kParams),
                     [&](const char* p) { return key == p; }))
      continue;
    out.push_back(
        {"unprefixed_param", w.where, w.word,
         "`" + w.word + "` lacks the `pstore_blk.` prefix: the kernel ignores it for pstore_blk",
         "write pstore_blk." + w.word});
  }
}

// The words in effect together with `w`: the same command line, plus
// modprobe.d for a module.
bool best_effort_with(const CaptureFacts& cf, const ConfigWord& w, bool module) {
  bool on = false;
  for (const auto& o : cf.words) {
    const bool same = o.kind == w.kind || (module && o.kind == SourceKind::kModprobe) ||
                      (w.kind == SourceKind::kModprobe && next_cmdline_word(cf, o));
    if (same && key_of(o.word) == "pstore_blk.best_effort") on = truthy(value_of(o.word));
  }
  return on;
}

void blkdev_without_best_effort(const SystemFacts& sf, const CaptureFacts& cf,
                                std::vector<Trap>& out) {
  if (!sf.needs_best_effort()) return;
  const bool module = sf.pstore_blk.build == Build::kModule;
  for (const auto& w : cf.words) {
    if (key_of(w.word) != "pstore_blk.blkdev" || value_of(w.word).empty()) continue;
    if (w.kind == SourceKind::kSysctl || (w.kind == SourceKind::kModprobe && !module)) continue;
    if (best_effort_with(cf, w, module)) continue;
    out.push_back({"blkdev_without_best_effort", w.where, w.word,
                   "blkdev= without best_effort=y: since Linux 5.14 pstore_blk uses a block "
                   "device (no panic_write) only with best_effort=y, so nothing attaches",
                   "add pstore_blk.best_effort=y next to it"});
  }
}

void panic_on_oops_traps(const SystemFacts& sf, const CaptureFacts& cf, std::vector<Trap>& out) {
  const std::string problem =
      "every oops becomes a panic: a backend that cannot save panics (pstore_blk on a disk) "
      "then saves none of them";
  if (sf.panic_on_oops)
    out.push_back({"panic_on_oops", "/proc/sys/kernel/panic_on_oops", "1", problem,
                   "set kernel.panic_on_oops=0, or use a backend that saves panics"});
  for (const auto& w : cf.words) {
    const bool sysctl = (w.kind == SourceKind::kSysctl && w.word == "kernel.panic_on_oops=1") ||
                        (cmdline_kind(w.kind) && w.word == "sysctl.kernel.panic_on_oops=1");
    if (sysctl || (cmdline_kind(w.kind) && w.word == "oops=panic"))
      out.push_back({"panic_on_oops", w.where, w.word, problem,
                     "remove it, or use a backend that saves panics"});
  }
}

// Sizes for console/pmsg/ftrace on a kernel without those front-ends: the
// zones are still reserved (shifting the kmsg zones) and never written.
void absent_frontends(const SystemFacts& sf, const CaptureFacts& cf, std::vector<Trap>& out) {
  struct Front {
    const char* param;
    bool built;
    const char* symbol;
  };
  const Front fronts[] = {{"console_size", sf.has_console, "CONFIG_PSTORE_CONSOLE"},
                          {"pmsg_size", sf.has_pmsg, "CONFIG_PSTORE_PMSG"},
                          {"ftrace_size", sf.has_ftrace, "CONFIG_PSTORE_FTRACE"}};
  auto trap = [&](const Front& f, const std::string& where, const std::string& text) {
    out.push_back({"absent_frontend", where, text,
                   std::string(f.symbol) + " is not set: the zone is reserved (moving the kmsg "
                                           "zones) and never written",
                   "remove it (or set it to 0)"});
  };
  for (const auto& f : fronts) {
    if (f.built || sf.config_source.empty()) continue;
    for (const auto& w : cf.words) {
      const std::string key = key_of(w.word);
      if (w.kind == SourceKind::kSysctl) continue;
      if ((key == std::string("pstore_blk.") + f.param ||
           key == std::string("ramoops.") + f.param) &&
          std::strtol(value_of(w.word).c_str(), nullptr, 0) > 0)
        trap(f, w.where, w.word);
    }
    auto live = sf.pstore_blk.params.find(f.param);
    if (live != sf.pstore_blk.params.end() && std::strtol(live->second.c_str(), nullptr, 10) > 0)
      trap(f, std::string("/sys/module/pstore_blk/parameters/") + f.param, live->second);
  }
}

long pow2_at_least(long v) {
  long p = 4096;
  while (p < v && p < (1L << 20)) p <<= 1;
  return p;
}

}  // namespace

std::vector<Trap> find_traps(const SystemFacts& sf, const CaptureFacts& cf) {
  std::vector<Trap> out;
  unprefixed(cf, out);
  blkdev_without_best_effort(sf, cf, out);
  panic_on_oops_traps(sf, cf, out);
  absent_frontends(sf, cf, out);
  return out;
}

// ramoops in RAM found by name (reserve_mem=SIZE:ALIGN:NAME, Linux 6.11):
// one record per dump, record_size a power of two (ram.c rounds it down) that
// holds pstore's kmsg_bytes, front-end areas only where the kernel has them.
RamoopsAdvice ramoops_advice(const SystemFacts& sf, const CaptureFacts& cf) {
  RamoopsAdvice a;
  const Build b = config_build(sf, "CONFIG_PSTORE_RAM");
  if (b == Build::kAbsent) {
    a.why_not = "CONFIG_PSTORE_RAM is not set in this kernel";
    return a;
  }
  if (!at_least(sf, 6, 11)) {
    a.why_not = "Linux " + std::to_string(sf.kernel_major) + "." + std::to_string(sf.kernel_minor) +
                " has no reserve_mem= (6.11+): ramoops needs a fixed physical address "
                "(memmap= and ramoops.mem_address=) chosen from this machine's memory map";
    return a;
  }
  a.possible = true;
  const long record = pow2_at_least(kmsg_bytes(sf, cf));
  long total = 32 * record;
  std::string fronts;
  if (sf.has_console) total += 256 << 10, fronts += " ramoops.console_size=262144";
  if (sf.has_pmsg) total += 64 << 10, fronts += " ramoops.pmsg_size=65536";
  const long mib = std::max(2L, (total + (1L << 20) - 1) >> 20);
  a.params = "reserve_mem=" + std::to_string(mib) + "M:4096:oops ramoops.mem_name=oops" +
             " ramoops.record_size=" + std::to_string(record) + fronts;
  const std::string active = sf.active_backend();
  if (!active.empty() && active != "ramoops") a.params += " pstore.backend=ramoops";
  if (b == Build::kModule && !listed(cf.modules_load, "ramoops"))
    a.module_note = "ramoops is a module here: also list it in /etc/modules-load.d/";
  return a;
}

std::vector<std::string> recommend(const SystemFacts& sf, const CaptureTable& t) {
  std::vector<std::string> out;
  out.push_back("Now " + describe(t.now) + ".");
  const bool same = t.now.oops_by == t.next.oops_by && t.now.panic_by == t.next.panic_by;
  if (!same) out.push_back("After the next boot " + describe(t.next) + ".");
  const CaptureState& s = same ? t.now : t.next;
  const BackendRow* blk = t.row("pstore_blk");
  if (!t.traps.empty())
    out.push_back("Fix the " + std::to_string(t.traps.size()) +
                  " trap(s) listed above first: each one loses crashes silently.");
  if (!s.panic_by.empty() && s.panic_by != "pstore_blk" && s.panic_by != "mtdpstore" && blk &&
      blk->panic) {
    out.push_back(s.panic_by +
                  " saves panics and oopses now. `pstore-blk setup DEVICE` would replace it "
                  "with pstore_blk, which keeps larger oops records on disk, and panics through "
                  "the capture kernel pstore-blk has loaded (crashkernel= memory, one extra "
                  "boot after a panic).");
  } else if (!s.panic_by.empty() && s.panic_by != "pstore_blk" && s.panic_by != "mtdpstore") {
    out.push_back(
        s.panic_by +
        " already saves panics and oopses. `pstore-blk setup DEVICE` would "
        "replace it with pstore_blk, which keeps larger oops records on disk but saves no "
        "panics; keep " +
        s.panic_by + " unless oopses matter more to you than panics.");
  } else if (s.oops_by.empty() && blk && blk->available) {
    out.push_back(
        "To save oopses on disk across power cycles: `pstore-blk setup DEVICE` "
        "(a partition of 1 MiB or more).");
  }
  if (s.panic_by.empty()) {
    if (t.ramoops.possible)
      out.push_back(
          "Nothing saves panics. ramoops can, in RAM, with the kernel parameters shown "
          "above; its records survive a warm reboot but not a power cycle, and it takes "
          "the pstore slot instead of pstore_blk.");
    else
      out.push_back("Nothing saves panics on this machine: " + t.ramoops.why_not + ".");
  }
  if (t.panic_timeout && *t.panic_timeout == 0 && !t.reboot_on_panic_configured)
    out.push_back(
        "kernel.panic is 0: after a panic this machine hangs until someone power-cycles "
        "it (and a power cycle clears ramoops); `pstore-blk setup DEVICE --reboot-on-panic 10` "
        "makes it reboot 10 s after a panic.");
  (void)sf;
  return out;
}

}  // namespace psb::sysconf::capture_detail
