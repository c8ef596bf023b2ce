#include "pstore_blk/sysconf/config.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <nlohmann/json.hpp>

namespace psb::sysconf {

std::string render_state(const State& s) {
  nlohmann::ordered_json j;
  j["version"] = 1;
  j["device"] = s.device;
  j["disk"] = s.disk;
  j["partno"] = s.partno;
  j["partuuid"] = s.partuuid;
  j["partition_created"] = s.partition_created;
  j["mode"] = s.mode;
  j["cmdline"] = s.cmdline;
  j["files"] = nlohmann::ordered_json::array();
  for (const auto& f : s.files)
    j["files"].push_back({{"path", f.path}, {"backup", f.backup}, {"mode", f.mode}});
  j["undo_commands"] = s.undo_commands;
  j["phase"] = s.phase;
  j["wiped"] = s.wiped;
  j["created_dirs"] = s.created_dirs;
  return j.dump(2) + "\n";
}

Result<State> parse_state(const std::string& text) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (j.is_discarded() || !j.is_object() || j.value("version", 0) != 1)
    return make_error(Errc::kFormat,
                      std::string("'") + kStatePath + "' is not a pstore-blk state file");
  State s;
  try {
    s.device = j.value("device", "");
    s.disk = j.value("disk", "");
    s.partno = j.value("partno", 0);
    s.partuuid = j.value("partuuid", "");
    s.partition_created = j.value("partition_created", false);
    s.mode = j.value("mode", "");
    s.cmdline = j.value("cmdline", "");
    for (const auto& f : j.value("files", nlohmann::json::array()))
      s.files.push_back({f.value("path", ""), f.value("backup", ""), f.value("mode", 0644u)});
    s.undo_commands = j.value("undo_commands", std::vector<std::vector<std::string>>{});
    s.phase = j.value("phase", std::string(kPhaseComplete));
    s.wiped = j.value("wiped", true);
    s.created_dirs = j.value("created_dirs", std::vector<std::string>{});
  } catch (const nlohmann::json::exception&) {
    return make_error(Errc::kFormat,
                      std::string("'") + kStatePath + "' has fields of the wrong type");
  }
  return s;
}

Result<std::optional<State>> load_state(const io::RootFs& fs) {
  auto text = fs.read(kStatePath);
  if (!text) return std::optional<State>();
  auto s = parse_state(*text);
  if (!s) return s.error();
  return std::optional<State>(std::move(*s));
}

Result<void> decide_mode(const SystemFacts& sf, SetupPlan& plan) {
  switch (sf.pstore_blk.build) {
    case Build::kModule:
      plan.mode = Mode::kModule;
      break;
    case Build::kBuiltin:
      plan.mode = Mode::kBuiltin;
      break;
    case Build::kAbsent:
      return make_error(
          Errc::kUnsupported,
          "this kernel (" + sf.kernel_release +
              ") has no pstore_blk: CONFIG_PSTORE_BLK is not set or the module is missing");
    case Build::kUnknown:
      return make_error(
          Errc::kUnsupported,
          "cannot tell whether pstore_blk is built in or a module: no kernel config under '" +
              sf.root + "' (/boot/config-" + sf.kernel_release + ", /proc/config.gz)");
  }
  if (sf.pstore.build == Build::kAbsent)
    return make_error(Errc::kUnsupported, "this kernel has no pstore (CONFIG_PSTORE is not set)");
  // Zones only for front-ends the kernel has: Debian's 6.1 and 6.12 build
  // neither PSTORE_CONSOLE, PSTORE_PMSG nor PSTORE_FTRACE, and pstore_zone
  // would reserve the space without ever writing it. An explicit 0 is dropped
  // rather than written. Without a kernel config nothing can be told.
  struct Front {
    std::optional<long>& kib;
    bool built;
    const char *symbol, *option;
  };
  for (Front f :
       {Front{plan.pmsg_kib, sf.has_pmsg, "CONFIG_PSTORE_PMSG", "--pmsg-size"},
        Front{plan.console_kib, sf.has_console, "CONFIG_PSTORE_CONSOLE", "--console-size"},
        Front{plan.ftrace_kib, sf.has_ftrace, "CONFIG_PSTORE_FTRACE", "--ftrace-size"}}) {
    if (!f.kib || f.built || sf.config_source.empty()) continue;
    if (*f.kib > 0)
      return make_error(Errc::kUnsupported, std::string(f.option) + " needs " + f.symbol +
                                                ", which is not set in " + sf.config_source);
    f.kib.reset();
  }
  plan.best_effort = sf.needs_best_effort();
  plan.disable_efi_pstore_module = false;
  plan.backend_on_cmdline = false;
  plan.rival_note.clear();
  for (const auto& r : sf.rivals) {
    // A rival that only our own earlier setup disables is still a rival: keep
    // disabling it, or a re-run would hand the slot back at the next boot.
    if (!r.disabled_by_setup &&
        (!r.will_register || (r.disabled && sf.active_backend() != r.backend_name)))
      continue;
    std::string loss = r.module == "efi_pstore" ? "crash records in EFI variables (efi_pstore)"
                                                : "crash records through " + r.module;
    if (!plan.rival_note.empty()) plan.rival_note += "; ";
    plan.rival_note += loss;
    if (r.module == "efi_pstore" && r.build == Build::kModule)
      plan.disable_efi_pstore_module = true;
    // A built-in pstore_blk registers at late_initcall, before any rival
    // module is loaded, but after built-in rivals; the command line decides
    // deterministically.
    if (plan.mode == Mode::kBuiltin || r.build != Build::kModule) plan.backend_on_cmdline = true;
  }
  return {};
}

Result<void> decide_capture(const SystemFacts& sf, const io::RootFs& fs, SetupPlan& plan) {
  plan.crashkernel.clear();
  if (!plan.capture_panics) return {};
  const CrashKernelFacts& c = sf.crash;
  if (c.kdump_tools)
    return make_error(Errc::kConflict,
                      "kdump-tools is enabled (USE_KDUMP=1 in /etc/default/kdump-tools): it "
                      "loads its own crash kernel into the one kexec crash slot; disable it "
                      "or leave out --capture-panics");
  if (c.loaded.value_or(false) && !c.ours)
    return make_error(Errc::kConflict,
                      "a crash kernel is loaded already, not by pstore-blk "
                      "(/sys/kernel/kexec_crash_loaded is 1): the kexec crash slot is taken");
  if (!c.kexec_file || !c.crash_dump)
    return make_error(
        Errc::kUnsupported,
        "a capture kernel needs CONFIG_KEXEC_FILE=y and CONFIG_CRASH_DUMP=y; " +
            (sf.config_source.empty()
                 ? std::string("no kernel config found")
                 : sf.config_source + " has KEXEC_FILE " + (c.kexec_file ? "y" : "n") +
                       ", CRASH_DUMP " + (c.crash_dump ? "y" : "n")));
  if (!fs.exists("/bin/busybox") && !fs.exists("/usr/bin/busybox"))
    return make_error(Errc::kUnsupported,
                      "the capture initramfs needs a static busybox: install busybox-static");
  if (c.mem_total_kib && c.mem_total_kib * 1024 < 4 * kCrashKernelBytes)
    return make_error(Errc::kUnsupported, "this machine has " +
                                              std::to_string(c.mem_total_kib >> 10) +
                                              " MiB of memory; reserving " + kCrashKernelSize +
                                              " for a capture kernel needs at least 4 times that");
  // An existing reservation (crashkernel= already on the command line) is
  // used as it is.
  if (c.crashkernel.empty() || c.ours) plan.crashkernel = kCrashKernelSize;
  return {};
}

bool captures_panics(const State& s) {
  return std::any_of(s.files.begin(), s.files.end(),
                     [](const StateFile& f) { return f.path == kCaptureUnitPath; });
}

bool ConfigPlan::changes() const {
  return std::any_of(files.begin(), files.end(), [](const FileChange& f) { return f.changed(); });
}

ConfigPlan plan_config(const SystemFacts& sf, const SetupPlan& plan, const io::RootFs& fs) {
  ConfigPlan cp;
  auto add = [&](const std::string& path, std::string content) {
    cp.files.push_back({path, std::move(content), fs.read(path), 0644});
  };
  if (plan.mode == Mode::kModule || plan.disable_efi_pstore_module)
    add(kModprobePath, render_modprobe_conf(plan));
  if (plan.mode == Mode::kModule) add(kModulesLoadPath, render_modules_load(plan));
  if (sf.systemd_pstore) add(kPstoreDropinPath, render_pstore_dropin(plan));
  if (plan.capture_panics) {
    add(kCaptureUnitPath, render_capture_unit(plan));
    add(kCaptureWantsPath, render_capture_wants(plan));
  }

  const std::string frag = render_cmdline_fragment(plan);
  if (!frag.empty()) {
    switch (sf.bootloader) {
      case Bootloader::kGrub: {
        bool changed =
            fs.read(kGrubDropinPath) != std::optional<std::string>(render_grub_dropin(plan));
        add(kGrubDropinPath, render_grub_dropin(plan));
        std::vector<std::string> upd;
        if (fs.exists("/usr/sbin/update-grub") || fs.exists("/sbin/update-grub"))
          upd = {"update-grub"};
        else if (fs.exists("/usr/sbin/grub2-mkconfig"))
          upd = {"grub2-mkconfig", "-o", "/boot/grub2/grub.cfg"};
        else
          upd = {"grub-mkconfig", "-o", "/boot/grub/grub.cfg"};
        if (changed) cp.commands.push_back(upd);
        cp.refresh_commands.push_back(upd);
        cp.undo_commands.push_back(upd);
        break;
      }
      case Bootloader::kKernelInstall: {
        std::string base = fs.read(kKernelCmdlinePath).value_or(sf.cmdline);
        add(kKernelCmdlinePath, render_kernel_cmdline(plan, base));
        cp.notes.push_back(
            std::string(kKernelCmdlinePath) +
            " is read by kernel-install; it takes effect for the next installed kernel "
            "(or run `kernel-install add " +
            sf.kernel_release + " /boot/vmlinuz-" + sf.kernel_release + "`)");
        break;
      }
      case Bootloader::kGrubby:
        if (sf.cmdline.find(frag) == std::string::npos) {
          cp.commands.push_back({"grubby", "--update-kernel=ALL", "--args=" + frag});
        }
        cp.undo_commands.push_back({"grubby", "--update-kernel=ALL", "--remove-args=" + frag});
        break;
      case Bootloader::kUnknown:
        cp.manual_cmdline = frag;
        break;
    }
  }
  if (plan.mode == Mode::kBuiltin)
    cp.notes.push_back(
        "pstore_blk is built in: the parameters take effect at the next boot "
        "(built-in parameters cannot change at run time)");
  if (!plan.rival_note.empty()) cp.notes.push_back("you give up " + plan.rival_note);
  return cp;
}

bool State::backups_done() const {
  return phase != kPhasePlanned && phase != kPhasePartition && phase != kPhaseWiped;
}

std::string backup_path(const std::string& path) {
  std::string name = path;
  std::replace(name.begin(), name.end(), '/', '_');
  return std::string(kBackupDir) + "/" + name;
}

}  // namespace psb::sysconf
