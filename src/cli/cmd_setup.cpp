// setup: plan the partition and the configuration, show the plan, confirm,
// then commit the partition table once, wipe the zone area, write the files
// atomically and (with --now) load pstore_blk and verify it attached.
#include <fmt/core.h>
#include <sys/stat.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <chrono>
#include <iostream>
#include <memory>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/naming.hpp"
#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/sysconf/capture.hpp"
#include "pstore_blk/sysconf/config.hpp"
#include "pstore_blk/sysconf/runner.hpp"

namespace psb::cli {

namespace {

using namespace sysconf;

struct SetupArgs {
  std::string device;
  std::optional<int> partition;
  std::string size = "8M";
  long kmsg = 64;
  std::optional<long> pmsg, console, ftrace;
  std::string max_reason;
  bool dry_run = false, now = false, force = false, yes = false;
  bool replace_backend = false;
  std::optional<long> reboot_on_panic;
  std::string root = "/";
};

/// Zone area cleared after wiping signatures: pstore/zone never uses more
/// than 128 MiB (docs/FORMAT.md 8.4, "capping size to 128MiB").
constexpr std::uint64_t kZoneCap = 128ull << 20;

std::string indent(const std::string& text, const char* pad = "    ") {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

// What happens to the partition.
struct PartitionStep {
  std::optional<device::PartitionPlan> create;
  device::PartitionInfo part;  // final partition (planned or existing)
  std::string disk;
  bool adopt_ours = false;  // re-run: the partition setup made/adopted before
  bool wipe = true;
};

bool wait_for(const std::string& path, int seconds) {
  for (int i = 0; i < seconds * 10; ++i) {
    struct stat st;
    if (::stat(path.c_str(), &st) == 0) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

// Frees the pstore slot a loaded rival module holds: through its runtime
// switch where it has one (efi_pstore's pstore_disable: on 6.12 writing Y
// unregisters it), else, or when the backend is still held afterwards (6.1
// reads the parameter only at module init), with rmmod.
int release_slot(const RivalBackend& r, Runner& run) {
  if (!r.runtime_switch.empty()) {
    const std::vector<std::string> c = {"sh", "-c", "echo Y > " + r.runtime_switch};
    std::cout << "running: " << command_line(c) << "\n";
    auto res = run.run(c);
    if (!res) return report(res.error());
    RootFs live("/");
    if (res->status == 0 && probe_system(live, "").active_backend() != r.backend_name) {
      std::cout << r.module << " released the pstore backend\n";
      return kExitOk;
    }
    std::cout << r.module << " still holds the pstore backend; unloading it\n";
  }
  const std::vector<std::string> c = {"rmmod", r.module};
  std::cout << "running: " << command_line(c) << "\n";
  auto res = run.run(c);
  if (!res) return report(res.error());
  if (res->status != 0) {
    warn("'" + command_line(c) + "' failed (exit " + std::to_string(res->status) +
         "): " + res->output);
    return kExitFailure;
  }
  return kExitOk;
}

// --now: load pstore_blk with the options just written and read back what
// the kernel says (docs/FORMAT.md 8.4 line 4, DEBIAN-NOTES.md --now).
int activate_now(const SystemFacts& sf, const SetupPlan& plan, Runner& run) {
  if (plan.mode == Mode::kBuiltin) {
    warn(
        "pstore_blk is built in: its parameters cannot change at run time; reboot to activate, "
        "skipping --now.");
    return kExitOk;
  }
  if (sf.pstore_blk_attached() && sf.pstore_blk.params.at("blkdev") == plan.by_partuuid()) {
    std::cout << "pstore_blk is already attached to " << plan.by_partuuid() << "\n";
    return kExitOk;
  }
  const std::string active = sf.active_backend();
  if (!active.empty() && active != "pstore_blk") {
    const RivalBackend* holder = nullptr;
    for (const auto& r : sf.rivals)
      if (r.backend_name == active && r.build == Build::kModule && r.loaded) holder = &r;
    if (!holder) {
      warn("backend '" + active +
           "' is built in and holds pstore; pstore_blk takes over after a reboot, skipping --now.");
      return kExitFailure;
    }
    if (int rc = release_slot(*holder, run); rc != kExitOk) return rc;
  }
  std::vector<std::vector<std::string>> cmds;
  if (sf.pstore_blk.loaded) cmds.push_back({"rmmod", "pstore_blk"});
  cmds.push_back({"modprobe", "pstore_blk"});
  for (const auto& c : cmds) {
    std::cout << "running: " << command_line(c) << "\n";
    auto r = run.run(c);
    if (!r) return report(r.error());
    if (r->status != 0) {
      warn("'" + command_line(c) + "' failed (exit " + std::to_string(r->status) +
           "): " + r->output);
      RootFs live("/");
      auto refusal = find_backend_refusal(read_kernel_log(live));
      if (refusal && refusal->refused == "pstore_blk")
        warn("the kernel refused pstore_blk because another backend holds the pstore slot: " +
             refusal->line);
      return kExitFailure;
    }
  }
  RootFs live("/");
  auto after = probe_system(live, read_kernel_log(live));
  std::string attached_line;
  for (const auto& l : after.log_lines)
    if (l.find("pstore_blk: attached " + plan.by_partuuid()) != std::string::npos)
      attached_line = l;
  auto it = after.pstore_blk.params.find("blkdev");
  if (after.active_backend() != "pstore_blk" || it == after.pstore_blk.params.end() ||
      it->second != plan.by_partuuid()) {
    warn("pstore_blk did not attach to " + plan.by_partuuid() + " (backend: '" +
         after.active_backend() + "'); see dmesg");
    return kExitFailure;
  }
  std::cout << "pstore_blk is attached: " << (attached_line.empty() ? it->second : attached_line)
            << "\n";
  const bool panic_write =
      !attached_line.empty() && attached_line.find("no dedicated panic_write") == std::string::npos;
  std::cout << "panic_write: "
            << (panic_write ? "present" : "absent — panics are not recorded, oopses are") << "\n";
  return kExitOk;
}

// The partition as the capture statement names it: the node the kernel
// gives it (/dev/vda2, /dev/nvme0n1p9), or "partition N of IMAGE".
std::string partition_name(const DeviceReport& dev, const PartitionStep& step) {
  if (dev.exists_as_partition && !dev.whole_disk) return dev.facts.path;
  const std::string& d = step.disk;
  if (!dev.facts.is_block && dev.facts.exists)
    return "partition " + std::to_string(step.part.number) + " of " + d;
  return d + (std::isdigit(static_cast<unsigned char>(d.back())) ? "p" : "") +
         std::to_string(step.part.number);
}

std::vector<std::pair<std::string, std::string>> written_files(const ConfigPlan& cp) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : cp.files) out.emplace_back(f.path, f.content);
  return out;
}

// --reboot-on-panic SECONDS: kernel.panic in sysctl.d, recorded like every
// file setup writes, so status lists it and undo removes it.
void add_reboot_on_panic(ConfigPlan& cp, long seconds, const RootFs& root) {
  cp.files.push_back({kSysctlPath, render_reboot_on_panic(seconds), root.read(kSysctlPath), 0644});
  cp.notes.push_back("kernel.panic = " + std::to_string(seconds) +
                     " takes effect at the next boot (`sysctl -w kernel.panic=" +
                     std::to_string(seconds) + "` applies it now)");
}

// Taking panic capture away from a backend that has it needs
// --replace-backend, or a yes to the statement itself on a terminal; --yes
// alone is not enough. nullopt: go on.
std::optional<int> accept_capture_change(const CaptureChange& change, bool replace_backend) {
  if (!change.takes_panic_capture || replace_backend) return std::nullopt;
  if (isatty(0) && confirm("Setup changes what is saved: " + change.sentence + ". Accept?"))
    return std::nullopt;
  return report(make_error(Errc::kConflict,
                           "refusing: " + change.sentence + ". Pass --replace-backend to give up " +
                               change.today.panic_by + "'s panic records (--yes is not enough)"));
}

int run_setup(const SetupArgs& a) {
  RootFs root(a.root);
  RootFs live("/");
  // Arguments.
  auto size = parse_size(a.size);
  if (!size) return report(size.error());
  if (*size == 0 || *size % 4096 != 0)
    return report(
        make_error(Errc::kInvalidArgument, "--size '" + a.size + "' is not a multiple of 4 KiB"));
  if (a.kmsg <= 0 || a.kmsg % 4 != 0)
    return report(make_error(Errc::kInvalidArgument,
                             "--kmsg-size must be a positive multiple of 4 (KiB); "
                             "the kernel shrinks other values"));
  for (auto v : {a.pmsg, a.console, a.ftrace})
    if (v && (*v < 0 || *v % 4 != 0))
      return report(make_error(Errc::kInvalidArgument,
                               "zone sizes must be multiples of 4 (KiB), 0 disables"));
  SetupPlan plan;
  plan.device = a.device;
  plan.kmsg_kib = a.kmsg;
  plan.pmsg_kib = a.pmsg;
  plan.console_kib = a.console;
  plan.ftrace_kib = a.ftrace;
  if (!a.max_reason.empty()) {
    plan.max_reason = max_reason_from_name(a.max_reason);
    if (!plan.max_reason)
      return report(make_error(Errc::kInvalidArgument,
                               "--max-reason must be panic, oops, emerg or shutdown"));
  }
  if (a.reboot_on_panic && (*a.reboot_on_panic < 1 || *a.reboot_on_panic > 3600))
    return report(
        make_error(Errc::kInvalidArgument, "--reboot-on-panic takes seconds from 1 to 3600"));
  if (a.now && !root.is_live())
    return report(make_error(Errc::kInvalidArgument, "--now cannot be used with --root"));

  // The system.
  auto sf = probe_system(root, read_kernel_log(root));
  if (auto r = decide_mode(sf, plan); !r) return report(r.error());
  const long need_kib = plan.kmsg_kib + plan.pmsg_kib.value_or(0) + plan.console_kib.value_or(0) +
                        plan.ftrace_kib.value_or(0);
  if (*size < static_cast<std::uint64_t>(need_kib) * 1024)
    return report(
        make_error(Errc::kInvalidArgument,
                   fmt::format("--size {} is smaller than the zones ({} KiB)", a.size, need_kib)));

  // The device.
  auto dev = probe_device(live, a.device, a.partition, plan.kmsg_kib);
  if (!dev) return report(dev.error());
  if ((dev->facts.is_block || !dev->facts.exists) && geteuid() != 0 && !a.dry_run)
    return report(Error{Errc::kPermission, "setup of a block device needs root", {}, 0});
  auto prior = load_state(root);
  if (!prior) return report(prior.error());

  PartitionStep step;
  step.disk = dev->disk;
  auto ours = [&](const device::PartitionInfo& p) {
    return *prior && (*prior)->partuuid == p.uuid && !p.uuid.empty();
  };
  if (dev->exists_as_partition) {
    step.part = *dev->partition;
    step.adopt_ours = ours(step.part);
  } else if (dev->whole_disk && dev->partno == 0 && *prior && (*prior)->disk == dev->disk) {
    // Re-run on the same disk: reuse the partition made last time.
    auto layout = device::read_layout(dev->disk);
    if (!layout) return report(layout.error());
    for (const auto& p : layout->partitions)
      if (ours(p)) {
        step.part = p;
        step.adopt_ours = true;
      }
  }
  if (step.adopt_ours) {
    step.wipe = false;  // it may hold records already
    for (const auto& p : dev->problems)
      if (p.find("mounted") != std::string::npos || p.find("read-only") != std::string::npos)
        return report(make_error(Errc::kConflict, a.device + ": " + p));
  } else if (dev->exists_as_partition) {
    if (!dev->problems.empty())
      return report(make_error(Errc::kConflict,
                               "refusing to use " + a.device + ": " + dev->problems.front()));
    if (!dev->forceable.empty() && !a.force)
      return report(make_error(
          Errc::kConflict,
          "refusing to use " + a.device + ": " + dev->forceable.front() + " (--force wipes it)"));
  } else {
    for (const auto& p : dev->problems)
      return report(make_error(Errc::kConflict, a.device + ": " + p));
    if (dev->pttype.empty() && !dev->signatures.empty())
      return report(make_error(Errc::kConflict, "refusing to partition " + dev->disk +
                                                    ": it has no partition table "
                                                    "but carries a " +
                                                    dev->signatures.front().type + " signature"));
    device::NewPartition req;
    req.size = *size;
    if (dev->partno) req.number = static_cast<std::size_t>(dev->partno);
    req.create_gpt_if_blank = dev->pttype.empty();
    auto pp = device::PartitionPlan::create(dev->disk, req);
    if (!pp) return report(pp.error());
    step.part = pp->partition();
    step.create = std::move(*pp);
  }
  plan.partuuid = step.part.uuid;
  if (plan.partuuid.empty())
    return report(make_error(Errc::kUnsupported, dev->disk + ": the partition has no PARTUUID"));

  auto cp = plan_config(sf, plan, root);
  if (a.reboot_on_panic) add_reboot_on_panic(cp, *a.reboot_on_panic, root);
  const CaptureChange change =
      plan_capture_change(sf, probe_capture(root), written_files(cp), partition_name(*dev, step));
  if (!cp.manual_cmdline.empty() && !a.force)
    return report(make_error(
        Errc::kUnsupported,
        "no known boot loader under '" + a.root + "' (" + sf.bootloader_why +
            "); add these words to the kernel command line yourself and re-run with --force:\n  " +
            cp.manual_cmdline));

  const bool partition_change = step.create.has_value() || step.wipe;
  if (!partition_change && !cp.changes()) {
    std::cout << "Nothing to change: " << a.device << " (PARTUUID " << plan.partuuid
              << ") is already set up as configured.\n";
    if (a.now && !a.dry_run) {
      RealRunner run;
      return activate_now(sf, plan, run);
    }
    return kExitOk;
  }

  // The plan.
  std::cout << (a.dry_run ? "Plan (dry run, nothing is changed):\n" : "Plan:\n");
  if (step.create) {
    const auto& p = step.create->partition();
    std::cout << fmt::format("  create partition {} on {}: {} KiB at byte {}, PARTUUID {}{}{}\n",
                             p.number, step.disk, p.size >> 10, p.start, p.uuid,
                             p.name.empty() ? "" : ", name \"" + p.name + "\"",
                             step.create->creates_label() ? " (new GPT label)" : "");
    std::cout << "  resulting partition table (sfdisk script):\n"
              << indent(step.create->script(), "    | ");
  } else {
    std::cout << fmt::format("  use existing partition {} of {} ({} KiB, PARTUUID {}){}\n",
                             step.part.number, step.disk, step.part.size >> 10, step.part.uuid,
                             step.adopt_ours ? ", set up earlier: keeping its records" : "");
  }
  if (step.wipe)
    std::cout << fmt::format("  wipe signatures in the partition and zero its first {} KiB\n",
                             std::min(step.part.size, kZoneCap) >> 10);
  if (step.part.size > kZoneCap)
    std::cout << "  note: pstore/zone uses at most 128 MiB of the partition\n";
  for (const auto& f : cp.files) {
    if (!f.changed()) {
      std::cout << "  keep " << root.host_path(f.path) << " (unchanged)\n";
      continue;
    }
    std::cout << "  write " << root.host_path(f.path)
              << (f.old ? " (replaces the current file; a backup is kept for undo)" : " (new)")
              << "\n";
    if (a.dry_run) std::cout << indent(f.content, "    | ");
  }
  std::cout << "  record the setup in " << root.host_path(kStatePath) << "\n";
  for (const auto& c : cp.commands)
    std::cout << (root.is_live() ? "  run: " : "  run inside the image (chroot): ")
              << command_line(c) << "\n";
  if (!cp.manual_cmdline.empty())
    std::cout << "  you add to the kernel command line: " << cp.manual_cmdline << "\n";
  if (a.now) std::cout << "  load pstore_blk now and check that it attached\n";
  for (const auto& n : cp.notes) std::cout << "  note: " << n << "\n";
  std::cout << "  capture: " << change.sentence << "\n";
  if (change.takes_panic_capture && !a.replace_backend)
    std::cout << "  note: " << change.today.panic_by
              << " saves panics now and nothing will after setup: setup needs --replace-backend\n";
  if (a.dry_run) return kExitOk;
  if (auto rc = accept_capture_change(change, a.replace_backend)) return *rc;

  if (!a.yes) {
    if (!isatty(0))
      return report(make_error(Errc::kInvalidArgument,
                               "refusing to change the system without --yes "
                               "(standard input is not a terminal)"));
    if (!confirm("Apply this plan?")) {
      std::cout << "Nothing changed.\n";
      return kExitFailure;
    }
  }

  // Apply: partition table once, then the zone area, then files.
  std::string wipe_path = step.disk;
  std::uint64_t wipe_off = step.part.start;
  if (step.create) {
    std::vector<std::string> msgs;
    auto r = step.create->commit(&msgs);
    for (const auto& m : msgs) std::cout << "  libfdisk: " << m << "\n";
    if (!r) return report(r.error());
    std::cout << "Created partition " << step.part.number << " on " << step.disk << ".\n";
  }
  const bool block = dev->facts.is_block || !dev->facts.exists;
  bool exclusive = true;
  if (block && dev->exists_as_partition && !dev->whole_disk) {
    wipe_path = a.device;  // the partition node itself
    wipe_off = 0;
  } else if (block) {
    // Wait for udev's link; without udev (containers, rescue shells) fall
    // back to the kernel's partition node, then to the disk at an offset.
    RealRunner run;
    (void)run.run({"udevadm", "settle", "--timeout=10"});
    const std::string link = plan.by_partuuid();
    const std::string& d = step.disk;
    const std::string node = device::partition_node(d, static_cast<int>(step.part.number));
    if (wait_for(link, 5)) {
      wipe_path = link;
      wipe_off = 0;
    } else {
      warn(
          "'" + link +
          "' did not appear (is udev running?); the boot configuration still uses it, continuing.");
      if (wait_for(node, 2)) {
        wipe_path = node;
        wipe_off = 0;
      } else {
        exclusive = false;  // other partitions of the disk may be mounted
      }
    }
  }
  if (step.wipe) {
    auto w = device::wipe_range(wipe_path, wipe_off, step.part.size,
                                std::min(step.part.size, kZoneCap), exclusive);
    if (!w) return report(w.error());
    for (const auto& s : *w) std::cout << "Wiped a " << s.type << " signature.\n";
  }
  State st;
  st.device = a.device;
  st.disk = step.disk;
  st.partno = step.part.number;
  st.partuuid = plan.partuuid;
  st.partition_created =
      step.create.has_value() ||
      (*prior && (*prior)->partuuid == plan.partuuid && (*prior)->partition_created);
  st.mode = plan.mode == Mode::kModule ? "module" : "builtin";
  st.cmdline = render_cmdline_fragment(plan);
  RealWriter writer(a.root);
  auto applied = apply_config(cp, st, *prior, writer, root);
  if (!applied) return report(applied.error());
  for (const auto& f : cp.files)
    if (f.changed()) std::cout << "Wrote " << root.host_path(f.path) << "\n";
  int rc = kExitOk;
  if (root.is_live()) {
    RealRunner run;
    for (const auto& c : cp.commands) {
      auto r = run.run(c);
      if (!r || r->status != 0) {
        warn("'" + command_line(c) + "' failed" +
             (r ? ": " + r->output : ": " + r.error().message()));
        rc = kExitFailure;
      }
    }
    if (a.now && rc == kExitOk) rc = activate_now(sf, plan, run);
  } else if (!cp.commands.empty()) {
    std::cout << "Run inside the image: ";
    for (const auto& c : cp.commands) std::cout << command_line(c) << "; ";
    std::cout << "\n";
  }
  if (rc == kExitOk)
    std::cout << "pstore_blk is configured for " << plan.by_partuuid()
              << (plan.mode == Mode::kModule && !a.now ? " from the next boot (or use --now)" : "")
              << ".\n";
  return rc;
}

}  // namespace

void attach_setup(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<SetupArgs>();
  sub.add_option("DEVICE", a->device,
                 "partition to adopt, whole disk or disk image to add one to, or a partition path "
                 "to create")
      ->required();
  sub.add_option("--partition", a->partition, "with a disk image: adopt or create partition N")
      ->type_name("N");
  sub.add_option("--size", a->size, "size of a new partition (default 8M)")->type_name("SIZE");
  sub.add_option("--kmsg-size", a->kmsg, "oops record zone size (default 64)")->type_name("KiB");
  sub.add_option("--pmsg-size", a->pmsg, "pmsg zone size (needs CONFIG_PSTORE_PMSG)")
      ->type_name("KiB");
  sub.add_option("--console-size", a->console, "console zone size (needs CONFIG_PSTORE_CONSOLE)")
      ->type_name("KiB");
  sub.add_option("--ftrace-size", a->ftrace, "ftrace area size (needs CONFIG_PSTORE_FTRACE)")
      ->type_name("KiB");
  sub.add_option("--max-reason", a->max_reason, "record dumps up to: panic, oops, emerg, shutdown")
      ->type_name("REASON");
  sub.add_flag("--dry-run", a->dry_run, "print the whole plan, change nothing");
  sub.add_flag("--now", a->now, "also load pstore_blk now and check that it attached");
  sub.add_flag("--force", a->force,
               "wipe a partition that carries a signature; accept an unknown boot loader");
  sub.add_flag("-y,--yes", a->yes, "do not ask for confirmation");
  sub.add_flag("--replace-backend", a->replace_backend,
               "accept that a backend which saves panics now (efi_pstore) stops saving them");
  sub.add_option("--reboot-on-panic", a->reboot_on_panic,
                 "write kernel.panic=SECONDS in sysctl.d: reboot that long after a panic")
      ->type_name("SECONDS");
  sub.add_option("--root", a->root, "configure the system below DIR (default /)")->type_name("DIR");
  sub.callback([a, &action] { action = [a] { return run_setup(*a); }; });
}

}  // namespace psb::cli
