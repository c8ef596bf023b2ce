// setup: parse the arguments, gather the facts, plan (sysconf::plan_setup),
// print the plan, confirm, apply it (sysconf::apply_setup) with the real or
// the dry-run Writer/Runner, and with --now check that pstore_blk attached.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <filesystem>
#include <iostream>
#include <memory>
#include <sstream>

#include "cli/commands.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/naming.hpp"
#include "pstore_blk/sysconf/capture.hpp"
#include "pstore_blk/sysconf/setup.hpp"

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
  bool capture_panics = false;
  std::string root = "/";
  std::string kernel;
};

std::string indent(const std::string& text, const char* pad) {
  std::string out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) out += pad + line + "\n";
  return out;
}

// The pstore-blk the capture unit runs: the binary running now, on the live
// system, when systemd can take its path as it is; the package's path
// otherwise (--root: another system's file tree).
std::string installed_binary(const SetupArgs& a) {
  std::error_code ec;
  const std::string p = std::filesystem::canonical("/proc/self/exe", ec).string();
  if (ec || !io::RootFs(a.root).is_live() || p.find_first_of(" \t\n\\\"'%$") != std::string::npos)
    return SetupPlan{}.binary;
  return p;
}

Result<SetupRequest> parse_request(const SetupArgs& a) {
  auto size = parse_size(a.size);
  if (!size) return size.error();
  if (*size == 0) return make_error(Errc::kInvalidArgument, "--size '" + a.size + "' is zero");
  if (*size % 4096 != 0)
    return make_error(Errc::kInvalidArgument, "--size '" + a.size + "' is not a multiple of 4 KiB");
  if (a.kmsg <= 0 || a.kmsg % 4 != 0)
    return make_error(Errc::kInvalidArgument,
                      "--kmsg-size must be a positive multiple of 4 (KiB); "
                      "the kernel shrinks other values");
  for (auto v : {a.pmsg, a.console, a.ftrace})
    if (v && (*v < 0 || *v % 4 != 0))
      return make_error(Errc::kInvalidArgument,
                        "zone sizes must be multiples of 4 (KiB), 0 disables");
  SetupRequest req;
  req.device = a.device;
  req.partition = a.partition;
  req.size = *size;
  req.params.kmsg_kib = a.kmsg;
  req.params.pmsg_kib = a.pmsg;
  req.params.console_kib = a.console;
  req.params.ftrace_kib = a.ftrace;
  if (!a.max_reason.empty()) {
    req.params.max_reason = max_reason_from_name(a.max_reason);
    if (!req.params.max_reason)
      return make_error(Errc::kInvalidArgument,
                        "--max-reason must be panic, oops, emerg or shutdown");
  }
  if (a.reboot_on_panic && (*a.reboot_on_panic < 1 || *a.reboot_on_panic > 3600))
    return make_error(Errc::kInvalidArgument, "--reboot-on-panic takes seconds from 1 to 3600");
  req.reboot_on_panic = a.reboot_on_panic;
  req.params.capture_panics = a.capture_panics;
  req.params.binary = installed_binary(a);
  if (a.now && !io::RootFs(a.root).is_live())
    return make_error(Errc::kInvalidArgument, "--now cannot be used with --root");
  if (a.now && !a.kernel.empty())
    return make_error(Errc::kInvalidArgument, "--now cannot be used with --kernel");
  req.now = a.now;
  req.force = a.force;
  return req;
}

void print_partition(const PartitionStep& p) {
  if (p.create) {
    const auto& n = p.create->partition();
    std::cout << fmt::format("  create partition {} on {}: {} KiB at byte {}, PARTUUID {}{}{}\n",
                             n.number, p.disk, n.size >> 10, n.start, n.uuid,
                             n.name.empty() ? "" : ", name \"" + n.name + "\"",
                             p.create->creates_label() ? " (new GPT label)" : "");
    std::cout << "  resulting partition table (sfdisk script):\n"
              << indent(p.create->script(), "    | ");
  } else {
    std::cout << fmt::format("  use existing partition {} of {} ({} KiB, PARTUUID {}){}\n",
                             p.part.number, p.disk, p.part.size >> 10, p.part.uuid,
                             p.adopt_ours ? ", set up earlier: keeping its records" : "");
  }
  if (p.wipe)
    std::cout << fmt::format("  wipe signatures in the partition and zero its first {} KiB\n",
                             std::min(p.part.size, kZoneCap) >> 10);
  if (p.part.size > kZoneCap)
    std::cout << "  note: pstore/zone uses at most 128 MiB of the partition\n";
}

// The one printer of a setup plan.
void print_plan(const SetupTransaction& tx, bool dry_run) {
  io::RootFs root(tx.root);
  std::cout << (dry_run ? "Plan (dry run, nothing is changed):\n" : "Plan:\n");
  if (tx.resumes) std::cout << "  complete the setup an earlier run left unfinished\n";
  print_partition(tx.partition);
  for (const auto& f : tx.files.files) {
    if (!f.changed()) {
      std::cout << "  keep " << root.host_path(f.path) << " (unchanged)\n";
      continue;
    }
    std::cout << "  write " << root.host_path(f.path)
              << (f.old ? " (replaces the current file; a backup is kept for undo)" : " (new)")
              << "\n";
    if (dry_run) std::cout << indent(f.content, "    | ");
  }
  std::cout << "  record the setup in " << root.host_path(kStatePath) << "\n";
  for (const auto& c : tx.files.commands)
    std::cout << (tx.live ? "  run: " : "  run inside the image (chroot): ") << command_line(c)
              << "\n";
  if (!tx.files.manual_cmdline.empty())
    std::cout << "  you add to the kernel command line: " << tx.files.manual_cmdline << "\n";
  if (tx.now.requested) std::cout << "  load pstore_blk now and check that it attached\n";
  if (!tx.capture_change.empty()) std::cout << "  capture: " << tx.capture_change << "\n";
  for (const auto& n : tx.files.notes) std::cout << "  note: " << n << "\n";
}

Progress console_progress() {
  return {[](std::string_view s) { std::cout << s << "\n"; },
          [](std::string_view s) { warn(std::string(s)); }};
}

// --now after a real run: read back what the kernel says.
int report_now(const SetupPlan& plan) {
  io::RootFs live("/");
  NowCheck c = check_now(probe_system(live, read_kernel_log(live)), plan);
  if (!c.attached) {
    warn(c.problem);
    return kExitFailure;
  }
  std::cout << "pstore_blk is attached: " << c.line << "\n";
  std::cout << "panic_write: "
            << (c.panic_write ? "present" : "absent — panics are not recorded, oopses are") << "\n";
  return kExitOk;
}

// The partition as the capture statement names it: the node the kernel
// gives it (/dev/vda2, /dev/nvme0n1p9), or "partition N of IMAGE".
std::string partition_name(const DeviceReport& dev, const PartitionStep& step) {
  if (dev.exists_as_partition && !dev.whole_disk) return dev.facts.path;
  if (!dev.facts.is_block && dev.facts.exists)
    return "partition " + std::to_string(step.part.number) + " of " + step.disk;
  return device::partition_node(step.disk, step.part.number);
}

std::vector<std::pair<std::string, std::string>> written_files(const ConfigPlan& cp) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& f : cp.files) out.emplace_back(f.path, f.content);
  return out;
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

Result<SetupTransaction> plan(const SetupArgs& a, const SetupRequest& req, CaptureChange& change) {
  io::RootFs root(a.root);
  auto sf = probe_system(root, read_kernel_log(root), a.kernel);
  auto prior = load_state(root);
  if (!prior) return prior.error();
  // A re-run keeps what an earlier --capture-panics set up.
  SetupRequest r = req;
  if (*prior && captures_panics(**prior)) r.params.capture_panics = true;
  auto params = plan_parameters(r, sf, root);
  if (!params) return params.error();
  auto dev = probe_device(io::RootFs("/"), a.device, a.partition, params->kmsg_kib);
  if (!dev) return dev.error();
  if ((dev->facts.is_block || !dev->facts.exists) && geteuid() != 0 && !a.dry_run)
    return Error{Errc::kPermission, "setup of a block device needs root", {}, 0};
  auto tx = plan_setup(r, *params, sf, *dev, *prior, root);
  if (!tx) return tx;
  change = plan_capture_change(sf, probe_capture(root), written_files(tx->files),
                               partition_name(*dev, tx->partition));
  tx->capture_change = change.sentence;
  return tx;
}

int apply(const SetupTransaction& tx, const SetupArgs& a) {
  if (a.dry_run) {
    std::vector<std::string> steps;
    DryRunWriter w(steps);
    DryRunRunner r(steps);
    Progress quiet{[](std::string_view) {}, [](std::string_view) {}};
    if (auto o = apply_setup(tx, w, r, quiet); !o) return report(o.error());
    std::cout << "Steps, in order (dry run: none is carried out):\n";
    for (std::size_t i = 0; i < steps.size(); ++i)
      std::cout << fmt::format("  {:>2}. {}\n", i + 1, steps[i]);
    return kExitOk;
  }
  RealWriter w(a.root);
  RealRunner r;
  LiveProbe live{[] { return probe_system(io::RootFs("/"), "").active_backend(); },
                 [] { return read_kernel_log(io::RootFs("/")); }};
  auto o = apply_setup(tx, w, r, console_progress(), live);
  if (!o) return report(o.error());
  if (o->commands_failed) return kExitFailure;
  if (tx.now.requested && !tx.now.commands.empty() && tx.now.refusal.empty())
    return report_now(tx.config);
  return kExitOk;
}

int run_setup(const SetupArgs& a) {
  auto req = parse_request(a);
  if (!req) return report(req.error());
  CaptureChange change;
  auto tx = plan(a, *req, change);
  if (!tx) return report(tx.error());
  if (tx->nothing_to_do()) {
    std::cout << "Nothing to change: " << a.device << " (PARTUUID " << tx->config.partuuid
              << ") is already set up as configured.\n";
    return a.now && !a.dry_run ? apply(*tx, a) : kExitOk;
  }
  print_plan(*tx, a.dry_run);
  if (change.takes_panic_capture && !a.replace_backend)
    std::cout << "  note: " << change.today.panic_by
              << " saves panics now and nothing will after setup: setup needs --replace-backend\n";
  if (!a.dry_run)
    if (auto rc = accept_capture_change(change, a.replace_backend)) return *rc;
  if (!a.yes && !a.dry_run) {
    if (!isatty(0))
      return report(make_error(Errc::kInvalidArgument,
                               "refusing to change the system without --yes "
                               "(standard input is not a terminal)"));
    if (!confirm("Apply this plan?")) {
      std::cout << "Nothing changed.\n";
      return kExitFailure;
    }
  }
  const int rc = apply(*tx, a);
  if (rc == kExitOk && !a.dry_run)
    std::cout << "pstore_blk is configured for " << tx->config.by_partuuid()
              << (tx->config.mode == Mode::kModule && !a.now ? " from the next boot (or use --now)"
                                                             : "")
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
  sub.add_flag("--capture-panics", a->capture_panics,
               "also save panics: reserve crashkernel= and load a capture kernel at every boot");
  sub.add_option("--root", a->root, "configure the system below DIR (default /)")->type_name("DIR");
  add_kernel_option(sub, a->kernel);
  sub.callback([a, &action] { action = [a] { return run_setup(*a); }; });
}

}  // namespace psb::cli
