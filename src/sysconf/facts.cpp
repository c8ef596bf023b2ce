// Reading the facts `check` reports. Each fact names the file it comes from in
// a comment, so a wrong verdict can be traced to a path in a fake tree.
#include "pstore_blk/sysconf/facts.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <sstream>

namespace psb::sysconf {

const char* build_name(Build b) {
  switch (b) {
    case Build::kBuiltin:
      return "built-in";
    case Build::kModule:
      return "module";
    case Build::kAbsent:
      return "absent";
    case Build::kUnknown:
      break;
  }
  return "unknown";
}

void read_module_params(const io::RootFs& fs, const std::string& module,
                        std::map<std::string, std::string>& params,
                        std::vector<std::string>& unreadable) {
  const std::string dir = "/sys/module/" + module + "/parameters";
  for (const auto& p : fs.list(dir)) {
    if (auto v = fs.read_line(dir + "/" + p))
      params[p] = *v;
    else
      unreadable.push_back(p);
  }
}

const char* bootloader_name(Bootloader b) {
  switch (b) {
    case Bootloader::kGrub:
      return "grub";
    case Bootloader::kKernelInstall:
      return "kernel-install";
    case Bootloader::kGrubby:
      return "grubby";
    case Bootloader::kUnknown:
      break;
  }
  return "unknown";
}

KernelConfig parse_kernel_config(const std::string& text) {
  KernelConfig cfg;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("CONFIG_", 0) != 0) continue;  // comments, "# ... is not set"
    auto eq = line.find('=');
    if (eq == std::string::npos) continue;
    cfg[line.substr(0, eq)] = line.substr(eq + 1);
  }
  return cfg;
}

bool SystemFacts::pstore_blk_attached() const {
  auto it = pstore_blk.params.find("blkdev");
  return active_backend() == "pstore_blk" && it != pstore_blk.params.end() && !it->second.empty();
}

std::string SystemFacts::active_backend() const {
  if (backend.empty() || backend == "(null)") return "";
  return backend;
}

bool SystemFacts::needs_best_effort() const {
  if (pstore_blk.params.count("best_effort")) return true;
  for (const auto& p : pstore_blk.unreadable_params)
    if (p == "best_effort") return true;
  if (kernel_major == 0) return true;  // unknown: assume a current kernel
  return kernel_major > 5 || (kernel_major == 5 && kernel_minor >= 14);
}

namespace {

bool truthy(const std::string& v) { return v == "1" || v == "Y" || v == "y" || v == "yes"; }

Build build_from_config(const KernelConfig& cfg, const std::string& sym) {
  auto it = cfg.find(sym);
  if (it == cfg.end()) return Build::kAbsent;
  if (it->second == "y") return Build::kBuiltin;
  if (it->second == "m") return Build::kModule;
  return Build::kAbsent;
}

std::optional<long> config_long(const KernelConfig& cfg, const std::string& sym) {
  auto it = cfg.find(sym);
  if (it == cfg.end()) return std::nullopt;
  char* end = nullptr;
  long v = std::strtol(it->second.c_str(), &end, 0);
  if (end == it->second.c_str()) return std::nullopt;
  return v;
}

// Looks for <file>.ko[.xz|.zst|.gz] below /lib/modules/<kver>: first the
// usual directory, then modules.dep, which lists every module of the kernel.
std::string find_ko(const io::RootFs& fs, const std::string& kver, const std::string& dir,
                    const std::string& file) {
  if (kver.empty()) return "";
  const std::string base = "/lib/modules/" + kver + "/";
  for (const char* ext : {".ko", ".ko.xz", ".ko.zst", ".ko.gz"}) {
    std::string p = base + "kernel/" + dir + "/" + file + ext;
    if (fs.exists(p)) return p;
  }
  if (auto dep = fs.read(base + "modules.dep")) {
    std::istringstream in(*dep);
    std::string line;
    while (std::getline(in, line)) {
      auto colon = line.find(':');
      std::string path = line.substr(0, colon);
      auto slash = path.rfind('/');
      std::string name = path.substr(slash == std::string::npos ? 0 : slash + 1);
      if (name.rfind(file + ".ko", 0) == 0) return base + path;
    }
  }
  return "";
}

ModuleFacts module_facts(const io::RootFs& fs, const SystemFacts& sf, const std::string& name,
                         const std::string& symbol, const std::string& dir,
                         const std::string& file) {
  ModuleFacts m;
  m.name = name;
  m.config_symbol = symbol;
  const std::string sys = "/sys/module/" + name;
  m.loaded = fs.is_dir(sys);
  read_module_params(fs, name, m.params, m.unreadable_params);
  m.ko_path = find_ko(fs, sf.kernel_release, dir, file);
  if (!sf.config_source.empty()) {
    m.build = build_from_config(sf.config, symbol);
  } else if (m.loaded) {
    // A loaded module has initstate; a built-in one with parameters has not.
    m.build = fs.exists(sys + "/initstate") ? Build::kModule : Build::kBuiltin;
  } else if (!m.ko_path.empty()) {
    m.build = Build::kModule;
  }
  return m;
}

// "options <module> ... <param>=<value>" in any modprobe.d file.
std::optional<std::string> modprobe_option(const io::RootFs& fs, const std::string& module,
                                           const std::string& param, const std::string& only,
                                           const std::string& except) {
  std::optional<std::string> found;
  for (const char* dir :
       {"/lib/modprobe.d", "/usr/lib/modprobe.d", "/run/modprobe.d", "/etc/modprobe.d"}) {
    for (const auto& f : fs.list(dir)) {
      if (f.size() < 5 || f.substr(f.size() - 5) != ".conf") continue;
      const std::string path = std::string(dir) + "/" + f;
      if ((!only.empty() && path != only) || (!except.empty() && path == except)) continue;
      auto text = fs.read(std::string(dir) + "/" + f);
      if (!text) continue;
      std::istringstream in(*text);
      std::string line;
      while (std::getline(in, line)) {
        std::istringstream words(line);
        std::string w, mod;
        if (!(words >> w) || w != "options" || !(words >> mod) || mod != module) continue;
        while (words >> w)
          if (w.rfind(param + "=", 0) == 0) found = w.substr(param.size() + 1);
      }
    }
  }
  return found;
}

std::optional<std::string> cmdline_option(const std::string& cmdline, const std::string& key) {
  std::istringstream in(cmdline);
  std::string w;
  std::optional<std::string> found;
  while (in >> w)
    if (w.rfind(key + "=", 0) == 0) found = w.substr(key.size() + 1);
  return found;
}

// efi_pstore: drivers/firmware/efi/efi-pstore.c. Backend name "efi" up to
// 6.1, "efi_pstore" from 6.2 on (docs/FORMAT.md 8.6).
RivalBackend efi_pstore_rival(const io::RootFs& fs, const SystemFacts& sf,
                              const std::string& active) {
  RivalBackend r;
  r.module = "efi_pstore";
  bool new_name = sf.kernel_major > 6 || (sf.kernel_major == 6 && sf.kernel_minor >= 2);
  r.backend_name = new_name ? "efi_pstore" : "efi";
  ModuleFacts m = module_facts(fs, sf, "efi_pstore", "CONFIG_EFI_VARS_PSTORE",
                               "drivers/firmware/efi", "efi-pstore");
  r.build = m.build;
  r.loaded = m.loaded;
  auto live = m.params.find("pstore_disable");
  // Our own modprobe.d file counts apart: it is the resolution setup
  // chose, not a fact of the system it found.
  const std::string ours = "/etc/modprobe.d/pstore-blk.conf";
  auto conf = modprobe_option(fs, "efi_pstore", "pstore_disable", "", ours);
  auto by_us = modprobe_option(fs, "efi_pstore", "pstore_disable", ours, "");
  auto cmd = cmdline_option(sf.cmdline, "efi_pstore.pstore_disable");
  const bool us = by_us && truthy(*by_us);
  const bool others = (conf && truthy(*conf)) || (cmd && truthy(*cmd));
  const bool live_on = live != m.params.end() && truthy(live->second);
  r.disabled = others || live_on || us;
  r.disabled_by_setup = us && !others;
  // The name it holds the slot under now wins over the version guess.
  if (active == "efi" || active == "efi_pstore") r.backend_name = active;
  const std::string sw = "/sys/module/efi_pstore/parameters/pstore_disable";
  const auto sw_mode = fs.mode(sw);
  if (r.loaded && r.build == Build::kModule && sw_mode && (*sw_mode & 0222) != 0)
    r.runtime_switch = sw;
  if (active == "efi" || active == "efi_pstore") {
    r.will_register = true;
    r.why = "it holds the backend now";
  } else if (r.build == Build::kAbsent) {
    r.why = "CONFIG_EFI_VARS_PSTORE is not set";
  } else if (!sf.efi_firmware) {
    r.why = "no EFI firmware (/sys/firmware/efi missing)";
  } else if (r.disabled) {
    r.why = r.disabled_by_setup ? "pstore_disable=1 is set by pstore-blk setup"
                                : "pstore_disable=1 is set";
  } else {
    r.will_register = true;
    r.why = r.build == Build::kBuiltin
                ? "built in; it registers before pstore_blk's late_initcall"
                : (sf.systemd_pstore ? "systemd-pstore.service pulls in modprobe@efi_pstore.service"
                                     : "EFI firmware present; the module can be loaded");
  }
  return r;
}

// ramoops: fs/pstore/ram.c; registers only with a memory region.
RivalBackend ramoops_rival(const io::RootFs& fs, const SystemFacts& sf, const std::string& active) {
  RivalBackend r;
  r.module = "ramoops";
  r.backend_name = "ramoops";
  ModuleFacts m = module_facts(fs, sf, "ramoops", "CONFIG_PSTORE_RAM", "fs/pstore", "ramoops");
  r.build = m.build;
  r.loaded = m.loaded && fs.exists("/sys/module/ramoops/initstate");
  if (active == "ramoops") {
    r.will_register = true;
    r.why = "it holds the backend now";
  } else if (cmdline_option(sf.cmdline, "ramoops.mem_address") || r.loaded) {
    r.will_register = true;
    r.why = r.loaded ? "loaded" : "ramoops.mem_address is on the kernel command line";
  } else {
    r.why = "no reserved memory region configured";
  }
  return r;
}

// erst: drivers/acpi/apei/erst.c; built in with APEI, registers when the
// firmware has an ERST table.
RivalBackend erst_rival(const io::RootFs& fs, const SystemFacts& sf, const std::string& active) {
  RivalBackend r;
  r.module = "erst";
  r.backend_name = "erst";
  r.build =
      sf.config_source.empty() ? Build::kUnknown : build_from_config(sf.config, "CONFIG_ACPI_APEI");
  r.loaded = fs.is_dir("/sys/module/erst");
  auto live = fs.read_line("/sys/module/erst/parameters/erst_disable");
  r.disabled = (live && truthy(*live)) || cmdline_option(sf.cmdline, "erst_disable").has_value();
  if (active == "erst") {
    r.will_register = true;
    r.why = "it holds the backend now";
  } else if (!fs.exists("/sys/firmware/acpi/tables/ERST")) {
    r.why = "the firmware has no ERST table";
  } else if (r.disabled) {
    r.why = "erst_disable is set";
  } else {
    r.will_register = r.build != Build::kAbsent;
    r.why = r.will_register ? "the firmware has an ERST table" : "CONFIG_ACPI_APEI is not set";
  }
  return r;
}

void probe_rivals(const io::RootFs& fs, SystemFacts& sf) {
  const std::string active = sf.active_backend();
  sf.rivals.push_back(efi_pstore_rival(fs, sf, active));
  sf.rivals.push_back(ramoops_rival(fs, sf, active));
  sf.rivals.push_back(erst_rival(fs, sf, active));
}

void probe_bootloader(const io::RootFs& fs, SystemFacts& sf) {
  const bool grub_tool = fs.exists("/usr/sbin/update-grub") ||
                         fs.exists("/usr/sbin/grub-mkconfig") ||
                         fs.exists("/usr/sbin/grub2-mkconfig") || fs.exists("/sbin/update-grub");
  if (fs.exists("/usr/sbin/grubby") || fs.exists("/sbin/grubby")) {
    sf.bootloader = Bootloader::kGrubby;
    sf.bootloader_why = "/usr/sbin/grubby";
  } else if (fs.exists("/etc/default/grub") && grub_tool) {
    sf.bootloader = Bootloader::kGrub;
    sf.bootloader_why = "/etc/default/grub";
  } else if (fs.exists("/etc/kernel/cmdline")) {
    sf.bootloader = Bootloader::kKernelInstall;
    sf.bootloader_why = "/etc/kernel/cmdline";
  } else if (fs.is_dir("/boot/loader/entries") || fs.is_dir("/boot/efi/loader/entries") ||
             fs.is_dir("/efi/loader/entries")) {
    sf.bootloader = Bootloader::kKernelInstall;
    sf.bootloader_why = "loader/entries (systemd-boot)";
  } else {
    sf.bootloader_why = "no /etc/default/grub, /etc/kernel/cmdline or loader/entries";
  }
}

/// Releases with both lib/modules/R and boot/config-R, oldest first by
/// version (strverscmp: 6.1.0-9 < 6.1.0-10 < 6.12.1).
std::vector<std::string> installed_kernels(const io::RootFs& fs) {
  std::vector<std::string> out;
  for (const auto& r : fs.list("/lib/modules"))
    if (fs.is_dir("/lib/modules/" + r) && fs.exists("/boot/config-" + r)) out.push_back(r);
  std::sort(out.begin(), out.end(), [](const std::string& a, const std::string& b) {
    return strverscmp(a.c_str(), b.c_str()) < 0;
  });
  return out;
}

void choose_kernel(const io::RootFs& fs, const std::string& option, SystemFacts& sf) {
  if (!option.empty()) {
    sf.kernel_release = option;
    sf.kernel_from = KernelFrom::kOption;
  } else if (auto r = fs.read_line("/proc/sys/kernel/osrelease"); r && !r->empty()) {
    sf.kernel_release = *r;
    sf.kernel_from = KernelFrom::kRunning;
  } else {
    sf.installed_kernels = installed_kernels(fs);
    if (sf.installed_kernels.empty()) return;
    sf.kernel_release = sf.installed_kernels.back();
    sf.kernel_from = KernelFrom::kInstalled;
  }
}

// The kernel's version numbers from its release ("6.1.0-28-amd64": 6, 1),
// and its config: Debian installs /boot/config-<kver>; IKCONFIG_PROC kernels
// have /proc/config.gz.
void read_kernel_config(const io::RootFs& fs, SystemFacts& sf) {
  if (!sf.kernel_release.empty()) {
    char* end = nullptr;
    sf.kernel_major = static_cast<int>(std::strtol(sf.kernel_release.c_str(), &end, 10));
    if (end && *end == '.') sf.kernel_minor = static_cast<int>(std::strtol(end + 1, nullptr, 10));
    std::string p = "/boot/config-" + sf.kernel_release;
    if (auto t = fs.read(p)) {
      sf.config = parse_kernel_config(*t);
      sf.config_source = p;
    }
  }
  if (sf.config_source.empty()) {
    if (auto t = fs.read_gz("/proc/config.gz")) {
      sf.config = parse_kernel_config(*t);
      sf.config_source = "/proc/config.gz";
    }
  }
}

// /sys/fs/pstore: mounted by systemd (PID 1) on systemd systems; the
// records waiting there.
void probe_pstore_mount(const io::RootFs& fs, SystemFacts& sf) {
  auto mounts = fs.read("/proc/self/mounts");
  if (!mounts) mounts = fs.read("/proc/mounts");
  if (mounts) {
    std::istringstream in(*mounts);
    std::string line;
    while (std::getline(in, line)) {
      std::istringstream w(line);
      std::string src, dir, type;
      if (w >> src >> dir >> type && type == "pstore") {
        sf.pstore_mounted = true;
        sf.pstore_mountpoint = dir;
      }
    }
  }
  if (sf.pstore_mounted)
    for (const auto& f : fs.list(sf.pstore_mountpoint))
      if (f[0] != '.') sf.records.push_back(f);
}

// What the next boot will use, whatever runs now: blkdev= in modprobe.d,
// else pstore_blk.blkdev= on the configured kernel command line.
void probe_configured_blkdev(const io::RootFs& fs, SystemFacts& sf) {
  if (auto b = modprobe_option(fs, "pstore_blk", "blkdev", "", "")) {
    sf.configured_blkdev = *b;
    sf.configured_in = "modprobe.d";
    return;
  }
  for (const char* f : {"/etc/kernel/cmdline", "/etc/default/grub.d/pstore-blk.cfg"}) {
    auto text = fs.read(f);
    if (!text) continue;
    std::istringstream words(*text);
    std::string w;
    while (words >> w) {
      if (!w.empty() && w.front() == '"') w.erase(0, 1);
      if (!w.empty() && w.back() == '"') w.pop_back();
      if (w.rfind("pstore_blk.blkdev=", 0) == 0) {
        sf.configured_blkdev = w.substr(18);
        sf.configured_in = f;
      }
    }
    if (!sf.configured_blkdev.empty()) break;
  }
}

// A shell assignment NAME=VALUE in a sourced file (/etc/default/*), quotes
// removed; nullopt when the file does not assign it.
std::optional<std::string> shell_value(const std::string& text, const std::string& name) {
  std::optional<std::string> v;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    const auto b = line.find_first_not_of(" \t");
    if (b == std::string::npos || line.compare(b, name.size() + 1, name + "=") != 0) continue;
    std::string val = line.substr(b + name.size() + 1);
    val = val.substr(0, val.find_first_of(" \t#"));
    if (val.size() >= 2 && (val.front() == '"' || val.front() == '\'') && val.back() == val.front())
      val = val.substr(1, val.size() - 2);
    v = val;  // the last assignment wins, as in the shell
  }
  return v;
}

// The kexec crash slot: kernel support, the reservation, what is loaded and
// by whom (/sys/kernel/kexec_crash_*, the capture-load marker, kdump-tools).
void probe_crash_kernel(const io::RootFs& fs, SystemFacts& sf) {
  CrashKernelFacts& c = sf.crash;
  auto on = [&](const char* s) { return sf.config.count(s) && sf.config.at(s) == "y"; };
  c.kexec_file = on("CONFIG_KEXEC_FILE");
  c.crash_dump = on("CONFIG_CRASH_DUMP");
  read_crash_slot(fs, c);
  std::istringstream words(sf.cmdline);
  for (std::string w; words >> w;)
    if (w.rfind("crashkernel=", 0) == 0) c.crashkernel = w;
  if (auto mi = fs.read("/proc/meminfo")) {
    std::istringstream in(*mi);
    for (std::string key; in >> key;) {
      std::uint64_t v = 0;
      if (key == "MemTotal:" && in >> v) {
        c.mem_total_kib = v;
        break;
      }
      in.ignore(1 << 12, '\n');
    }
  }
  if (auto t = fs.read("/etc/default/kdump-tools")) {
    const auto v = shell_value(*t, "USE_KDUMP");
    c.kdump_tools = v && (*v == "1" || *v == "true" || *v == "yes");
  }
}

}  // namespace

void read_crash_slot(const io::RootFs& fs, CrashKernelFacts& c) {
  c.loaded.reset();
  if (auto l = fs.read_line("/sys/kernel/kexec_crash_loaded")) c.loaded = *l == "1";
  c.reserved = 0;
  if (auto s = fs.read_line("/sys/kernel/kexec_crash_size"))
    c.reserved = std::strtoull(s->c_str(), nullptr, 10);
  // The marker lives on /run, so it lasts one boot; it counts only while a
  // crash kernel is loaded.
  const auto m = fs.read_line(kCaptureMarker);
  c.ours = m && c.loaded.value_or(false);
  c.ours_device = m.value_or("");
}

SystemFacts probe_system(const io::RootFs& fs, const std::string& kernel_log,
                         const std::string& kernel_release) {
  SystemFacts sf;
  sf.root = fs.root();
  choose_kernel(fs, kernel_release, sf);
  read_kernel_config(fs, sf);
  sf.cmdline = fs.read_line("/proc/cmdline").value_or("");
  sf.efi_firmware = fs.is_dir("/sys/firmware/efi");
  sf.systemd_pstore = fs.exists("/lib/systemd/system/systemd-pstore.service") ||
                      fs.exists("/usr/lib/systemd/system/systemd-pstore.service");
  sf.panic_on_oops = fs.read_line("/proc/sys/kernel/panic_on_oops").value_or("0") == "1";

  sf.pstore = module_facts(fs, sf, "pstore", "CONFIG_PSTORE", "fs/pstore", "pstore");
  sf.pstore_zone =
      module_facts(fs, sf, "pstore_zone", "CONFIG_PSTORE_ZONE", "fs/pstore", "pstore_zone");
  sf.pstore_blk =
      module_facts(fs, sf, "pstore_blk", "CONFIG_PSTORE_BLK", "fs/pstore", "pstore_blk");
  if (sf.pstore_blk.build == Build::kModule && sf.pstore_blk.ko_path.empty() &&
      !sf.pstore_blk.loaded && fs.is_dir("/lib/modules/" + sf.kernel_release))
    sf.pstore_blk.build = Build::kAbsent;  // configured =m but not shipped
  auto on = [&](const char* s) { return sf.config.count(s) && sf.config.at(s) == "y"; };
  sf.has_pmsg = on("CONFIG_PSTORE_PMSG");
  sf.has_console = on("CONFIG_PSTORE_CONSOLE");
  sf.has_ftrace = on("CONFIG_PSTORE_FTRACE");
  sf.has_compress = on("CONFIG_PSTORE_COMPRESS") || on("CONFIG_PSTORE_DEFLATE_COMPRESS");
  sf.cfg_kmsg_size = config_long(sf.config, "CONFIG_PSTORE_BLK_KMSG_SIZE");
  sf.cfg_pmsg_size = config_long(sf.config, "CONFIG_PSTORE_BLK_PMSG_SIZE");
  sf.cfg_console_size = config_long(sf.config, "CONFIG_PSTORE_BLK_CONSOLE_SIZE");
  sf.cfg_ftrace_size = config_long(sf.config, "CONFIG_PSTORE_BLK_FTRACE_SIZE");
  if (auto r = config_long(sf.config, "CONFIG_PSTORE_BLK_MAX_REASON"))
    sf.cfg_max_reason = static_cast<int>(*r);

  sf.backend = fs.read_line("/sys/module/pstore/parameters/backend").value_or("");
  sf.compress = fs.read_line("/sys/module/pstore/parameters/compress").value_or("");

  probe_pstore_mount(fs, sf);

  probe_rivals(fs, sf);
  probe_bootloader(fs, sf);

  probe_configured_blkdev(fs, sf);
  probe_crash_kernel(fs, sf);

  std::istringstream in(kernel_log);
  std::string line;
  while (std::getline(in, line))
    if (line.find("pstore") != std::string::npos) sf.log_lines.push_back(line);
  sf.refusal = find_backend_refusal(kernel_log);
  return sf;
}

std::optional<BackendRefusal> find_backend_refusal(const std::string& kernel_log) {
  // The two wordings of fs/pstore/platform.c's pstore_register().
  static const std::string k61 = "pstore: ignoring unexpected backend '";
  static const std::string k62 = "pstore: backend '";
  static const std::string k62mid = "' already in use: ignoring '";
  std::optional<BackendRefusal> last;
  std::istringstream in(kernel_log);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    BackendRefusal r;
    std::size_t name_at = std::string::npos;
    if (auto p = line.find(k61); p != std::string::npos) {
      name_at = p + k61.size();
      r.error = EPERM;
    } else if (auto q = line.find(k62); q != std::string::npos) {
      auto mid = line.find(k62mid, q + k62.size());
      if (mid == std::string::npos) continue;
      r.holder = line.substr(q + k62.size(), mid - q - k62.size());
      name_at = mid + k62mid.size();
      r.error = EBUSY;
    } else {
      continue;
    }
    auto end = line.find('\'', name_at);
    if (end == std::string::npos) continue;
    r.refused = line.substr(name_at, end - name_at);
    r.line = line;
    last = r;
  }
  return last;
}

std::string read_kernel_log(const io::RootFs& fs) {
  if (!fs.is_live()) return fs.read("/var/log/dmesg").value_or("");
  // /dev/kmsg: one record per read(), "prio,seq,usec,flags;text\n" (+ dict
  // lines starting with ' '). O_NONBLOCK ends the walk with EAGAIN.
  int fd = ::open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return "";
  std::string out;
  char buf[8192];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EPIPE) continue;  // overwritten record: skip it
    if (n <= 0) break;
    std::string rec(buf, static_cast<std::size_t>(n));
    auto semi = rec.find(';');
    if (semi == std::string::npos) continue;
    auto nl = rec.find('\n', semi);
    out += rec.substr(semi + 1, nl == std::string::npos ? std::string::npos : nl - semi - 1);
    out += '\n';
  }
  ::close(fd);
  return out;
}

}  // namespace psb::sysconf
