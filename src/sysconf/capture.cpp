// The capture table: for every pstore backend, can it be used here, does it
// hold the slot now / after the next boot, and what does it save. Kernel facts
// each rule rests on:
//  - one slot: fs/pstore/platform.c pstore_register() refuses a second
//    backend, or any backend but the one named by pstore.backend=;
//  - panic: pstore/zone writes at panic time only through panic_write
//    (fs/pstore/zone.c psz_zone_write); block devices have none, mtdpstore
//    has one when the MTD driver does; efi_pstore (non-blocking EFI
//    variable writes), ramoops (plain RAM) and ERST write at panic time;
//  - ramoops' RAM survives a warm reboot, never a power cycle; reserve_mem=
//    (Linux 6.11) lets it find its RAM by name instead of a fixed address.
#include "pstore_blk/sysconf/capture.hpp"

#include <algorithm>
#include <cstdlib>

#include "capture_internal.hpp"
#include "pstore_blk/sysconf/check.hpp"

namespace psb::sysconf {

std::string BackendRow::reason() const { return no.empty() ? "" : no.front().reason; }

std::string BackendRow::reason_for(const std::string& column) const {
  for (const auto& n : no)
    if (n.column == column) return n.reason;
  return "";
}

namespace capture_detail {

bool truthy(const std::string& v) {
  return v == "1" || v == "Y" || v == "y" || v == "yes" || v == "on";
}

bool at_least(const SystemFacts& sf, int major, int minor) {
  if (sf.kernel_major == 0) return true;  // unknown: assume a current kernel
  return sf.kernel_major > major || (sf.kernel_major == major && sf.kernel_minor >= minor);
}

Build config_build(const SystemFacts& sf, const std::string& sym) {
  if (sf.config_source.empty()) return Build::kUnknown;
  auto it = sf.config.find(sym);
  if (it == sf.config.end()) return Build::kAbsent;
  return it->second == "y" ? Build::kBuiltin : it->second == "m" ? Build::kModule : Build::kAbsent;
}

std::string kib(long bytes) {
  if (bytes % 1024 == 0) return std::to_string(bytes / 1024) + " KiB";
  return std::to_string(bytes) + " bytes";
}

// The words the next boot's kernel sees for `key` ("pstore_blk.blkdev"):
// the boot-loader files (or /proc/cmdline when there are none), and for a
// module also modprobe.d. The last one wins, as in the kernel and modprobe.
bool next_cmdline_word(const CaptureFacts& cf, const ConfigWord& w) {
  if (cf.boot_cmdline_known) return w.kind == SourceKind::kBootCmdline;
  // /etc/kernel/cmdline applies to kernels installed later: the current boot
  // entry keeps the running command line, with the file's words on top.
  return w.kind == SourceKind::kRunningCmdline || w.kind == SourceKind::kBootCmdline;
}

Setting next_setting(const CaptureFacts& cf, const std::string& key, bool module) {
  Setting s;
  for (int pass = 0; pass < 2; ++pass)  // cmdline first, modprobe.d last (it wins)
    for (const auto& w : cf.words) {
      const bool use =
          pass == 0 ? next_cmdline_word(cf, w) : (module && w.kind == SourceKind::kModprobe);
      if (use && w.word.rfind(key + "=", 0) == 0)
        s = {w.word.substr(key.size() + 1), w.where, true};
    }
  return s;
}

Setting sysctl_setting(const CaptureFacts& cf, const std::string& key) {
  Setting s;
  for (const auto& w : cf.words)
    if ((w.kind == SourceKind::kSysctl ||
         (next_cmdline_word(cf, w) && w.word.rfind("sysctl.", 0) == 0)) &&
        (w.word.rfind(key + "=", 0) == 0 || w.word.rfind("sysctl." + key + "=", 0) == 0))
      s = {w.word.substr(w.word.find('=') + 1), w.where, true};
  return s;
}

bool listed(const std::vector<std::string>& v, const std::string& name) {
  return std::find(v.begin(), v.end(), name) != v.end();
}

long kmsg_bytes(const SystemFacts& sf, const CaptureFacts& cf) {
  if (cf.kmsg_bytes && *cf.kmsg_bytes > 0) return *cf.kmsg_bytes;
  auto it = sf.config.find("CONFIG_PSTORE_DEFAULT_KMSG_BYTES");
  if (it != sf.config.end()) return std::strtol(it->second.c_str(), nullptr, 10);
  return 10240;
}

bool panic_on_oops(const SystemFacts& sf, const CaptureFacts& cf) {
  if (sf.panic_on_oops) return true;
  auto s = sysctl_setting(cf, "kernel.panic_on_oops");
  if (s.found && s.value == "1") return true;
  return next_setting(cf, "oops", false).value == "panic";
}

}  // namespace capture_detail

const BackendRow* CaptureTable::row(const std::string& name) const {
  for (const auto& r : rows)
    if (r.name == name) return &r;
  return nullptr;
}

namespace {

using namespace capture_detail;

// What one backend would do at the next boot, before the slot is decided.
struct Contender {
  bool tries = false;
  int rank = 0;     ///< lower registers earlier
  std::string why;  ///< why it tries, or why it does not
};

void no(BackendRow& r, const char* column, const std::string& reason) {
  r.no.push_back({column, reason});
}

// ---- the rows ---------------------------------------------------------------

BackendRow efi_row(const SystemFacts& sf, const CaptureFacts& cf, Contender& c) {
  BackendRow r;
  r.name = "efi_pstore";
  r.registers_as = at_least(sf, 6, 2) ? "efi_pstore" : "efi";
  r.build = config_build(sf, "CONFIG_EFI_VARS_PSTORE");
  r.active = sf.active_backend() == "efi" || sf.active_backend() == "efi_pstore";
  r.available = r.active || (r.build != Build::kAbsent && sf.efi_firmware);
  if (!r.available)
    no(r, "available",
       r.build == Build::kAbsent ? "CONFIG_EFI_VARS_PSTORE is not set"
                                 : "no EFI firmware (/sys/firmware/efi is missing)");
  auto disable = next_setting(cf, "efi_pstore.pstore_disable", r.build == Build::kModule);
  const bool default_off =
      config_build(sf, "CONFIG_EFI_VARS_PSTORE_DEFAULT_DISABLE") == Build::kBuiltin;
  const bool disabled = disable.found ? truthy(disable.value) : default_off;
  const bool blacklisted = r.build == Build::kModule && listed(cf.blacklist, "efi_pstore");
  c.rank = r.build == Build::kBuiltin ? 30 : 50;
  if (!r.available) {
    c.why = r.reason();
  } else if (disabled) {
    c.why = disable.found
                ? "efi_pstore.pstore_disable=" + disable.value + " (" + disable.where + ")"
                : "CONFIG_EFI_VARS_PSTORE_DEFAULT_DISABLE=y";
  } else if (blacklisted) {
    c.why = "blacklisted in modprobe.d";
  } else if (r.build == Build::kBuiltin) {
    c.tries = true;
    c.why = "built in";
  } else if (sf.systemd_pstore || listed(cf.modules_load, "efi_pstore")) {
    c.tries = true;
    c.why = sf.systemd_pstore ? "systemd-pstore.service loads it early, via modprobe@efi_pstore"
                              : "listed in modules-load.d";
  } else {
    c.why = "nothing loads the module at boot";
  }
  r.oops = r.panic = r.survives_power_off = true;
  r.record_bytes = kmsg_bytes(sf, cf);
  r.record_size = kib(r.record_bytes);  // per crash, split into 1 KiB variables
  r.location = "EFI variables";
  return r;
}

std::string blk_device(const SystemFacts& sf, const std::string& device) {
  if (!device.empty()) return device;
  if (sf.pstore_blk_attached()) return sf.pstore_blk.params.at("blkdev");
  return sf.configured_blkdev;
}

BackendRow blk_row(const SystemFacts& sf, const CaptureFacts& cf, const std::string& device,
                   Contender& c) {
  BackendRow r;
  r.name = "pstore_blk";
  r.registers_as = "pstore_blk";
  r.build = sf.pstore_blk.build;
  const auto blockers = kernel_blockers(sf);
  r.available = blockers.empty();
  if (!r.available) no(r, "available", blockers.front());
  r.active = sf.pstore_blk_attached();
  const bool module = r.build == Build::kModule;
  auto blkdev = next_setting(cf, "pstore_blk.blkdev", module);
  auto best = next_setting(cf, "pstore_blk.best_effort", module);
  c.rank = r.build == Build::kBuiltin ? 40 : 60;
  if (!r.available) {
    c.why = r.reason();
  } else if (!blkdev.found || blkdev.value.empty()) {
    c.why = "no pstore_blk.blkdev is configured";
  } else if (sf.needs_best_effort() && !truthy(best.value)) {
    c.why = "blkdev= without best_effort=y: Linux >= 5.14 ignores a block device then";
  } else if (module && !listed(cf.modules_load, "pstore_blk")) {
    c.why = "configured, but nothing loads the module at boot (modules-load.d)";
  } else {
    c.tries = true;
    c.why = "configured for " + blkdev.value + " (" + blkdev.where + ")";
  }
  // A capture kernel pstore-blk loaded writes a panic into the partition
  // after the crash (capture-load), so a panic is saved after all.
  const bool capture = sf.crash.loaded.value_or(false) && sf.crash.ours;
  const bool poo = panic_on_oops(sf, cf);
  r.oops = !poo || capture;
  if (!r.oops)
    no(r, "oops", "kernel.panic_on_oops=1 turns every oops into a panic, which it cannot save");
  r.panic = capture;
  if (!capture)
    no(r, "panic",
       "block devices have no panic_write (only mtdpstore has one) and no capture kernel is "
       "loaded");
  r.survives_power_off = true;
  r.record_bytes = effective_sizes(sf, nullptr).kmsg * 1024;
  r.record_size = kib(r.record_bytes);
  const std::string dev = blk_device(sf, device);
  r.location = dev.empty() ? "a partition (none configured yet)" : dev;
  return r;
}

// ramoops' memory region for the next boot: reserve_mem + mem_name, or a
// fixed mem_address/mem_size.
std::string ramoops_region(const SystemFacts& sf, const CaptureFacts& cf, bool module) {
  auto name = next_setting(cf, "ramoops.mem_name", module);
  if (name.found && at_least(sf, 6, 11)) {
    for (const auto& w : cf.words)
      if (next_cmdline_word(cf, w) && w.word.rfind("reserve_mem=", 0) == 0 &&
          w.word.size() > name.value.size() &&
          w.word.substr(w.word.size() - name.value.size() - 1) == ":" + name.value)
        return "RAM (" + w.word + ")";
  }
  auto addr = next_setting(cf, "ramoops.mem_address", module);
  auto size = next_setting(cf, "ramoops.mem_size", module);
  if (addr.found && size.found) return "RAM at " + addr.value + ", " + size.value + " bytes";
  return "";
}

BackendRow ramoops_row(const SystemFacts& sf, const CaptureFacts& cf, Contender& c) {
  BackendRow r;
  r.name = "ramoops";
  r.registers_as = "ramoops";
  r.build = config_build(sf, "CONFIG_PSTORE_RAM");
  r.active = sf.active_backend() == "ramoops";
  r.available = r.active || r.build == Build::kBuiltin || r.build == Build::kModule;
  if (!r.available) no(r, "available", "CONFIG_PSTORE_RAM is not set");
  const bool module = r.build == Build::kModule;
  std::string region = ramoops_region(sf, cf, module);
  if (region.empty() && r.active) region = "RAM set by the firmware or device tree";
  c.rank = r.build == Build::kBuiltin ? 10 : 60;
  if (!r.available) {
    c.why = r.reason();
  } else if (region.empty()) {
    c.why = at_least(sf, 6, 11) ? "no RAM reserved for it (reserve_mem= + ramoops.mem_name=)"
                                : "no RAM reserved for it (ramoops.mem_address= + mem_size=)";
  } else if (module && !listed(cf.modules_load, "ramoops")) {
    c.why = "RAM is reserved, but nothing loads the module at boot (modules-load.d)";
  } else {
    c.tries = true;
    c.why = region;
  }
  r.oops = r.panic = true;
  no(r, "survives_power_off", "RAM: kept across a warm reboot, lost at a power cycle");
  r.record_bytes = 4096;  // ram.c: record_size defaults to 4 KiB
  if (auto it = cf.ramoops_params.find("record_size"); it != cf.ramoops_params.end())
    r.record_bytes = std::strtol(it->second.c_str(), nullptr, 10);
  else if (auto s = next_setting(cf, "ramoops.record_size", module); s.found)
    r.record_bytes = std::strtol(s.value.c_str(), nullptr, 0);
  r.record_size = kib(r.record_bytes);
  r.location = region.empty() ? "RAM (no region reserved)" : region;
  return r;
}

BackendRow erst_row(const SystemFacts& sf, const CaptureFacts& cf, Contender& c) {
  BackendRow r;
  r.name = "erst";
  r.registers_as = "erst";
  r.build = config_build(sf, "CONFIG_ACPI_APEI");
  r.active = sf.active_backend() == "erst";
  r.available = r.active || (r.build == Build::kBuiltin && cf.erst_table);
  if (!r.available)
    no(r, "available",
       r.build == Build::kBuiltin ? "the firmware has no ACPI ERST table"
                                  : "CONFIG_ACPI_APEI is not set");
  auto off = next_setting(cf, "erst_disable", false);
  c.rank = 20;
  if (!r.available) {
    c.why = r.reason();
  } else if (off.found && off.value != "0") {
    c.why = "erst_disable is on the kernel command line";
  } else {
    c.tries = true;
    c.why = "built in; the firmware has an ERST table";
  }
  r.oops = r.panic = r.survives_power_off = true;
  r.record_size = "firmware's";
  r.location = "ACPI ERST storage";
  return r;
}

BackendRow mtd_row(const SystemFacts& sf, const CaptureFacts& cf, Contender& c) {
  BackendRow r;
  r.name = "mtdpstore";
  r.registers_as = "pstore_blk";  // it registers through pstore_blk
  r.build = config_build(sf, "CONFIG_MTD_PSTORE");
  r.active =
      sf.active_backend() == "pstore_blk" && cf.mtdpstore_loaded && !sf.pstore_blk_attached();
  const bool has_code = r.build == Build::kBuiltin || r.build == Build::kModule;
  r.available = r.active || (has_code && !cf.mtd_devices.empty());
  if (!r.available)
    no(r, "available",
       has_code ? "no MTD device (/proc/mtd is empty)" : "CONFIG_MTD_PSTORE is not set");
  const bool module = r.build == Build::kModule;
  auto dev = next_setting(cf, "mtdpstore.mtddev", module);
  c.rank = r.build == Build::kBuiltin ? 35 : 60;
  if (!r.available) {
    c.why = r.reason();
  } else if (!dev.found) {
    c.why = "no mtdpstore.mtddev is configured";
  } else if (module && !listed(cf.modules_load, "mtdpstore")) {
    c.why = "configured, but nothing loads the module at boot (modules-load.d)";
  } else {
    c.tries = true;
    c.why = "configured for MTD device " + dev.value;
  }
  bool panic_write = false;
  for (const auto& l : sf.log_lines)
    if (l.find(",panic_write)") != std::string::npos) panic_write = true;
  r.oops = !panic_on_oops(sf, cf) || panic_write;
  if (!r.oops) no(r, "oops", "kernel.panic_on_oops=1 and no panic_write");
  r.panic = panic_write;
  if (!panic_write)
    no(r, "panic", "no panic_write in the kernel log: the MTD driver must provide one");
  r.survives_power_off = true;
  r.record_bytes = effective_sizes(sf, nullptr).kmsg * 1024;
  r.record_size = kib(r.record_bytes);
  auto live = cf.mtdpstore_params.find("mtddev");
  r.location =
      live != cf.mtdpstore_params.end() && !live->second.empty()
          ? "MTD device " + live->second
          : (dev.found ? "MTD device " + dev.value
                       : (cf.mtd_devices.empty() ? "an MTD device (none)"
                                                 : "MTD device " + cf.mtd_devices.front()));
  return r;
}

// ---- the slot ---------------------------------------------------------------

void decide_slot(const SystemFacts& sf, const CaptureFacts& cf, std::vector<BackendRow>& rows,
                 const std::vector<Contender>& cs) {
  auto only = next_setting(cf, "pstore.backend", false);
  int winner = -1;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!cs[i].tries) continue;
    if (only.found && only.value != rows[i].registers_as) continue;
    if (winner < 0 || cs[i].rank < cs[static_cast<std::size_t>(winner)].rank)
      winner = static_cast<int>(i);
  }
  std::string active = sf.active_backend();
  for (const auto& r : rows)
    if (r.active) active = r.name;  // efi -> efi_pstore, pstore_blk -> mtdpstore
  for (std::size_t i = 0; i < rows.size(); ++i) {
    auto& r = rows[i];
    if (!r.active)
      no(r, "active",
         !r.available     ? r.reason()
         : active.empty() ? "not registered: " + cs[i].why
                          : "the slot is held by " + active);
    r.next_boot = static_cast<int>(i) == winner;
    if (r.next_boot) continue;
    std::string why = cs[i].why;
    if (cs[i].tries && only.found && only.value != r.registers_as)
      why = "pstore.backend=" + only.value + " reserves the slot";
    else if (cs[i].tries && winner >= 0)
      why = rows[static_cast<std::size_t>(winner)].name + " registers first (" +
            cs[static_cast<std::size_t>(winner)].why + ")";
    no(r, "next_boot", why);
  }
}

CaptureState state_of(const std::vector<BackendRow>& rows, bool now) {
  CaptureState s;
  for (const auto& r : rows) {
    if (!(now ? r.active : r.next_boot)) continue;
    if (r.oops) s.oops_by = r.name, s.oops_where = r.location;
    if (r.panic) s.panic_by = r.name, s.panic_where = r.location;
  }
  return s;
}

}  // namespace

CaptureTable capture_table(const SystemFacts& sf, const CaptureFacts& cf,
                           const std::string& device) {
  CaptureTable t;
  std::vector<Contender> cs(5);
  t.rows.push_back(efi_row(sf, cf, cs[0]));
  t.rows.push_back(blk_row(sf, cf, device, cs[1]));
  t.rows.push_back(ramoops_row(sf, cf, cs[2]));
  t.rows.push_back(erst_row(sf, cf, cs[3]));
  t.rows.push_back(mtd_row(sf, cf, cs[4]));
  decide_slot(sf, cf, t.rows, cs);
  // Columns in a fixed order, so reason() names the first "no" of the row.
  static const char* kOrder[] = {"available", "active", "next_boot",
                                 "oops",      "panic",  "survives_power_off"};
  for (auto& r : t.rows)
    std::stable_sort(r.no.begin(), r.no.end(), [](const NoReason& a, const NoReason& b) {
      auto pos = [](const std::string& c) {
        return std::find_if(std::begin(kOrder), std::end(kOrder),
                            [&](const char* o) { return c == o; }) -
               std::begin(kOrder);
      };
      return pos(a.column) < pos(b.column);
    });
  t.now = state_of(t.rows, true);
  t.next = state_of(t.rows, false);
  using namespace capture_detail;
  t.traps = find_traps(sf, cf);
  t.ramoops = ramoops_advice(sf, cf);
  t.panic_timeout = cf.panic_timeout;
  auto panic = sysctl_setting(cf, "kernel.panic");
  auto cmd = next_setting(cf, "panic", false);
  t.reboot_on_panic_configured =
      (panic.found && panic.value != "0") || (cmd.found && cmd.value != "0");
  t.recommendation = recommend(sf, t);
  return t;
}

std::string describe(const CaptureState& s) {
  auto by = [](const std::string& who, const std::string& where) {
    return who + (who == "pstore_blk" || who == "mtdpstore" ? " on " + where : " (" + where + ")");
  };
  if (s.oops_by.empty() && s.panic_by.empty()) return "neither oopses nor panics are saved";
  if (s.oops_by == s.panic_by)
    return "panics and oopses are saved by " + by(s.oops_by, s.oops_where);
  std::string out = s.oops_by.empty() ? "oopses are saved nowhere"
                                      : "oopses are saved by " + by(s.oops_by, s.oops_where);
  out += s.panic_by.empty() ? ", panics are saved nowhere"
                            : ", panics are saved by " + by(s.panic_by, s.panic_where);
  return out;
}

CaptureChange capture_change(const CaptureTable& before, const CaptureTable& after) {
  CaptureChange c;
  c.today = before.now;
  c.after = after.next;
  c.sentence = "today: " + describe(c.today) + "; after setup: " + describe(c.after);
  c.takes_panic_capture = !c.today.panic_by.empty() && c.after.panic_by.empty();
  return c;
}

}  // namespace psb::sysconf
