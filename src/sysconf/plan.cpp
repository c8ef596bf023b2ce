// Pure renderers. Every file starts with a comment saying what wrote it and
// what each knob does (systemd tmpfiles.d/systemd-pstore.conf style); the
// facts quoted come from docs/FORMAT.md section 8 and docs/DEBIAN.md.
#include "pstore_blk/sysconf/plan.hpp"

#include <algorithm>
#include <sstream>
#include <utility>

namespace psb::sysconf {

namespace {

const char* const kReasons[] = {"undef", "panic", "oops", "emerg", "shutdown"};

std::string header(const SetupPlan& p, const char* what) {
  std::string s = "# Written by `pstore-blk setup` for " + p.device + " (PARTUUID=" + p.partuuid +
                  ").\n# " + what +
                  "\n# Remove with `pstore-blk undo`; edits here are lost on the next setup.\n";
  return s;
}

// One "# <knob>  <text>" block per parameter, continuation lines aligned
// under the text.
std::string knob_comments(const SetupPlan& p, const std::string& prefix) {
  std::vector<std::pair<std::string, std::vector<std::string>>> knobs;
  if (p.mode == Mode::kModule)
    knobs.push_back({"blkdev",
                     {"the pstore partition. A module opens it by path, so it must be",
                      "a device node or a udev link; PARTUUID= works only built in."}});
  else
    knobs.push_back({"blkdev",
                     {"the pstore partition. The kernel resolves PARTUUID= itself",
                      "(no udev); the disk must be probed before late_initcall."}});
  knobs.push_back({"kmsg_size",
                   {"KiB per oops record zone (a multiple of 4; the kernel shrinks",
                    "other values). All zones together use at most 128 MiB."}});
  if (p.pmsg_kib) knobs.push_back({"pmsg_size", {"KiB for /dev/pmsg0 user messages; 0 disables."}});
  if (p.console_kib)
    knobs.push_back(
        {"console_size", {"KiB of console log, flushed about every 500 ms; 0 disables."}});
  if (p.ftrace_kib)
    knobs.push_back({"ftrace_size", {"KiB of function trace, split per CPU; 0 disables."}});
  if (p.max_reason)
    knobs.push_back(
        {"max_reason",
         {"record kmsg dumps up to this reason (1 panic, 2 oops,", "3 emerg, 4 shutdown)."}});
  if (p.best_effort)
    knobs.push_back({"best_effort",
                     {"since Linux 5.14 a block device is used only with",
                      "best_effort=y. Oopses are recorded; panics are not:",
                      "block devices have no panic_write."}});
  std::size_t width = 0;
  for (const auto& k : knobs) width = std::max(width, prefix.size() + k.first.size());
  std::ostringstream o;
  o << "#\n";
  for (const auto& k : knobs) {
    std::string name = prefix + k.first;
    for (std::size_t i = 0; i < k.second.size(); ++i) {
      o << "#   "
        << (i == 0 ? name + std::string(width - name.size(), ' ') : std::string(width, ' ')) << "  "
        << k.second[i] << "\n";
    }
  }
  return o.str();
}

void add_sizes(std::ostringstream& o, const SetupPlan& p, const char* prefix) {
  o << ' ' << prefix << "kmsg_size=" << p.kmsg_kib;
  if (p.pmsg_kib) o << ' ' << prefix << "pmsg_size=" << *p.pmsg_kib;
  if (p.console_kib) o << ' ' << prefix << "console_size=" << *p.console_kib;
  if (p.ftrace_kib) o << ' ' << prefix << "ftrace_size=" << *p.ftrace_kib;
  if (p.max_reason) o << ' ' << prefix << "max_reason=" << *p.max_reason;
  if (p.best_effort) o << ' ' << prefix << "best_effort=y";
}

}  // namespace

std::optional<int> max_reason_from_name(const std::string& name) {
  for (int i = 1; i < 5; ++i)
    if (name == kReasons[i]) return i;
  return std::nullopt;
}

const char* max_reason_name(int value) {
  return value >= 0 && value < 5 ? kReasons[value] : "unknown";
}

std::string render_module_options(const SetupPlan& p) {
  std::ostringstream o;
  o << "blkdev=" << p.by_partuuid();
  add_sizes(o, p, "");
  return o.str();
}

std::string render_cmdline_fragment(const SetupPlan& p) {
  std::ostringstream o;
  if (p.mode == Mode::kBuiltin) {
    o << "pstore_blk.blkdev=PARTUUID=" << p.partuuid;
    add_sizes(o, p, "pstore_blk.");
  }
  if (p.backend_on_cmdline) o << " pstore.backend=pstore_blk";
  if (!p.crashkernel.empty()) o << " crashkernel=" << p.crashkernel;
  std::string s = o.str();
  if (!s.empty() && s.front() == ' ') s.erase(0, 1);
  return s;
}

std::string render_modprobe_conf(const SetupPlan& p) {
  std::ostringstream o;
  o << header(p, "pstore_blk keeps kernel oops records on that partition.");
  if (p.mode == Mode::kModule) {
    o << knob_comments(p, "");
    o << "options pstore_blk " << render_module_options(p) << "\n";
  }
  if (p.disable_efi_pstore_module) {
    o << "#\n"
      << "# Only one pstore backend can register. systemd loads efi_pstore early on EFI\n"
      << "# machines and it wins the race; pstore_disable=1 keeps it loaded but\n"
      << "# unregistered, so pstore_blk gets the slot at every boot.\n";
    if (!p.rival_note.empty()) o << "# You give up: " << p.rival_note << "\n";
    o << "options efi_pstore pstore_disable=1\n";
  }
  return o.str();
}

std::string render_modules_load(const SetupPlan& p) {
  return header(p,
                "systemd-modules-load loads pstore_blk at boot; its options are in\n"
                "# /etc/modprobe.d/pstore-blk.conf.") +
         "pstore_blk\n";
}

std::string render_grub_dropin(const SetupPlan& p) {
  std::ostringstream o;
  o << header(p, "Sourced by /etc/default/grub; run update-grub after editing.");
  if (p.mode == Mode::kBuiltin) o << knob_comments(p, "pstore_blk.");
  if (p.backend_on_cmdline) {
    o << "#\n# pstore.backend=pstore_blk reserves the single pstore backend slot for\n"
      << "# pstore_blk, so a built-in rival cannot take it first.\n";
    if (!p.rival_note.empty()) o << "# You give up: " << p.rival_note << "\n";
  }
  o << "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX " << render_cmdline_fragment(p) << "\"\n";
  return o.str();
}

std::string render_kernel_cmdline(const SetupPlan& p, const std::string& existing) {
  std::istringstream in(existing);
  std::string w, out;
  while (in >> w) {
    if (w.rfind("pstore_blk.", 0) == 0 || w.rfind("pstore.backend=", 0) == 0 ||
        w.rfind("BOOT_IMAGE=", 0) == 0 || w.rfind("initrd=", 0) == 0 ||
        (!p.crashkernel.empty() && w.rfind("crashkernel=", 0) == 0))
      continue;
    out += (out.empty() ? "" : " ") + w;
  }
  std::string frag = render_cmdline_fragment(p);
  if (!frag.empty()) out += (out.empty() ? "" : " ") + frag;
  // kernel-install reads the first line only: no comment lines here.
  return out + "\n";
}

std::string render_pstore_dropin(const SetupPlan& p) {
  return header(p,
                "systemd-pstore archives /sys/fs/pstore to /var/lib/systemd/pstore and\n"
                "# then deletes the records. pstore_blk registers when systemd-modules-load\n"
                "# loads it; without this ordering systemd-pstore may run first and miss\n"
                "# the records of the last crash until the next boot.") +
         "[Unit]\nAfter=systemd-modules-load.service\n";
}

std::string render_capture_unit(const SetupPlan& p) {
  return header(p,
                "Loads the capture kernel into the memory crashkernel= reserves. After a\n"
                "# panic it boots, writes the panicked kernel's log into the pstore\n"
                "# partition as the kernel's own record would be, and reboots. The unit\n"
                "# fails (and the boot is degraded) when the kernel refuses the load.") +
         "[Unit]\n"
         "Description=pstore-blk capture kernel (saves panics into the pstore partition)\n"
         "Documentation=man:pstore-blk(8)\n"
         "After=local-fs.target systemd-udev-settle.service\n"
         "\n"
         "[Service]\n"
         "Type=oneshot\n"
         "RemainAfterExit=yes\n"
         "ExecStart=" +
         p.binary + " capture-load " + p.by_partuuid() + "\n";
}

std::string render_capture_wants(const SetupPlan& p) {
  return header(p, "Every boot loads pstore-blk's capture kernel (pstore-blk-capture.service).") +
         "[Unit]\nWants=pstore-blk-capture.service\n";
}

}  // namespace psb::sysconf
