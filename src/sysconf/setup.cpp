// plan_setup: every decision of `pstore-blk setup`, made before anything
// changes; apply_setup: the steps in order, each recorded in the journal
// (the state file) before the next begins.
#include "pstore_blk/sysconf/setup.hpp"

#include <algorithm>

#include "pstore_blk/device/naming.hpp"
#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/sysconf/capture.hpp"

namespace psb::sysconf {

namespace {

std::string host(const std::string& root, const std::string& abs) {
  return root == "/" ? abs : root + abs;
}

// A partition pstore-blk created: its PARTUUID is the one the state file
// names, or (state lost, e.g. after `undo` without --remove-partition) the
// one setup derives from the disk GUID and the partition's place.
bool made_by_setup(const device::PartitionInfo& p, const device::DiskLayout& layout,
                   const std::optional<State>& prior) {
  if (p.uuid.empty()) return false;
  if (prior && device::normalize_partuuid(prior->partuuid) == p.uuid) return true;
  return layout.label == "gpt" && !layout.disk_id.empty() && p.name == device::kPstorePartName &&
         p.uuid ==
             device::derived_partuuid(layout.disk_id, static_cast<std::size_t>(p.number), p.start);
}

Error refuse(const std::string& what) { return make_error(Errc::kConflict, what); }

// An existing partition, or the one setup made on a whole disk earlier.
Result<bool> adopt(const SetupRequest& req, const DeviceReport& dev,
                   const std::optional<State>& prior, PartitionStep& step) {
  if (dev.exists_as_partition) {
    step.part = *dev.partition;
    step.adopt_ours = made_by_setup(step.part, dev.layout, prior);
  } else if (dev.whole_disk && dev.partno == 0) {
    for (const auto& p : dev.layout.partitions)
      if (made_by_setup(p, dev.layout, prior) &&
          (!prior || prior->disk == dev.disk ||
           device::normalize_partuuid(prior->partuuid) == p.uuid)) {
        step.part = p;
        step.adopt_ours = true;
      }
  }
  if (step.adopt_ours) {
    // Keep its records, unless the journal says the wipe never happened.
    const bool journaled = prior && device::normalize_partuuid(prior->partuuid) == step.part.uuid;
    step.wipe = journaled && !prior->wiped;
    for (const auto& p : dev.problems)
      if (p.in_use()) return refuse(req.device + ": " + p.text);
    return true;
  }
  if (!dev.exists_as_partition) return false;
  if (const Problem* p = dev.blocking())
    return refuse("refusing to use " + req.device + ": " + p->text);
  if (const Problem* p = dev.forceable(); p && !req.force)
    return refuse("refusing to use " + req.device + ": " + p->text + " (--force wipes it)");
  return true;
}

Result<PartitionStep> plan_partition(const SetupRequest& req, const DeviceReport& dev,
                                     const std::optional<State>& prior) {
  PartitionStep step;
  step.disk = dev.disk;
  step.block_device = dev.facts.is_block || !dev.facts.exists;
  auto adopted = adopt(req, dev, prior, step);
  if (!adopted) return adopted.error();
  if (!*adopted) {
    if (const Problem* p = dev.blocking()) return refuse(req.device + ": " + p->text);
    if (dev.layout.label.empty() && !dev.signatures.empty())
      return refuse("refusing to partition " + dev.disk +
                    ": it has no partition table but carries a signature of type " +
                    dev.signatures.front().type);
    device::NewPartition np;
    np.size = req.size;
    if (dev.partno) np.number = static_cast<std::size_t>(dev.partno);
    np.create_gpt_if_blank = dev.layout.label.empty();
    auto pp = device::PartitionPlan::create(dev.disk, np);
    if (!pp) return pp.error();
    step.part = pp->partition();
    step.create = std::move(*pp);
  }
  if (step.block_device && dev.exists_as_partition && !dev.whole_disk) step.node = req.device;
  if (step.block_device) step.kernel_node = device::partition_node(step.disk, step.part.number);
  if (step.part.uuid.empty())
    return make_error(Errc::kUnsupported, dev.disk + ": the partition has no PARTUUID");
  return step;
}

// Adds the parents of `abs` that do not exist yet, outermost first.
void add_missing_parents(const io::RootFs& root, const std::string& abs,
                         std::vector<std::string>& dirs) {
  std::vector<std::string> missing;
  for (auto slash = abs.rfind('/'); slash != std::string::npos && slash > 0;
       slash = abs.rfind('/', slash - 1)) {
    const std::string dir = abs.substr(0, slash);
    if (root.is_dir(dir)) break;
    missing.push_back(dir);
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it)
    if (std::find(dirs.begin(), dirs.end(), *it) == dirs.end()) dirs.push_back(*it);
}

// The journal's file list: what an earlier (possibly interrupted) run
// recorded, plus every file this run replaces or creates. A file already in
// the list is never backed up again, so a re-run never takes our own output
// for the user's; an entry whose backup was never written (interrupted
// before) gets a fresh one from the untouched original.
void plan_journal(SetupTransaction& tx, const std::optional<State>& prior, const io::RootFs& root) {
  State& st = tx.state;
  st.files.clear();
  if (prior)
    for (const auto& f : prior->files)
      if (f.backup.empty() || root.exists(f.backup)) st.files.push_back(f);
  for (const auto& f : tx.files.files) {
    if (!f.changed()) continue;
    auto known = std::find_if(st.files.begin(), st.files.end(),
                              [&](const StateFile& s) { return s.path == f.path; });
    if (known != st.files.end()) continue;
    StateFile sf{f.path, "", 0644};
    if (f.old) {
      sf.mode = root.mode(f.path).value_or(0644);
      sf.backup = backup_path(f.path);
      tx.backups.push_back({sf.backup, *f.old, std::nullopt, 0600});
    }
    st.files.push_back(sf);
  }
  st.undo_commands = prior ? prior->undo_commands : std::vector<std::vector<std::string>>{};
  for (const auto& c : tx.files.undo_commands)
    if (std::find(st.undo_commands.begin(), st.undo_commands.end(), c) == st.undo_commands.end())
      st.undo_commands.push_back(c);
  st.created_dirs = prior ? prior->created_dirs : std::vector<std::string>{};
  add_missing_parents(root, kStatePath, st.created_dirs);
  for (const auto& b : tx.backups) add_missing_parents(root, b.path, st.created_dirs);
  for (const auto& f : tx.files.files)
    if (f.changed()) add_missing_parents(root, f.path, st.created_dirs);
}

NowStep plan_now(const SystemFacts& sf, const SetupPlan& plan) {
  NowStep n;
  n.requested = true;
  if (plan.mode == Mode::kBuiltin) {
    n.skip =
        "pstore_blk is built in: its parameters cannot change at run time; reboot to activate, "
        "skipping --now.";
    return n;
  }
  auto it = sf.pstore_blk.params.find("blkdev");
  if (sf.pstore_blk_attached() && it != sf.pstore_blk.params.end() &&
      it->second == plan.by_partuuid()) {
    n.already_attached = true;
    return n;
  }
  const std::string active = sf.active_backend();
  if (!active.empty() && active != "pstore_blk") {
    const RivalBackend* holder = nullptr;
    for (const auto& r : sf.rivals)
      if (r.backend_name == active && r.build == Build::kModule && r.loaded) holder = &r;
    if (!holder) {
      n.refusal = "backend '" + active +
                  "' is built in and holds pstore; pstore_blk takes over after a reboot, "
                  "skipping --now.";
      return n;
    }
    n.holder_module = holder->module;
    n.holder_backend = holder->backend_name;
    if (!holder->runtime_switch.empty())
      n.release = {"sh", "-c", "echo Y > " + holder->runtime_switch};
    n.release_fallback = {"rmmod", holder->module};
  }
  if (sf.pstore_blk.loaded) n.commands.push_back({"rmmod", "pstore_blk"});
  n.commands.push_back({"modprobe", "pstore_blk"});
  return n;
}

}  // namespace

bool SetupTransaction::nothing_to_do() const {
  return !partition.create && !partition.wipe && !files.changes() && backups.empty() && !resumes;
}

Result<SetupPlan> plan_parameters(const SetupRequest& req, const SystemFacts& sf,
                                  const io::RootFs& root) {
  SetupPlan p = req.params;
  p.device = req.device;
  if (auto r = decide_mode(sf, p); !r) return r.error();
  if (auto r = decide_capture(sf, root, p); !r) return r.error();
  const long need_kib =
      p.kmsg_kib + p.pmsg_kib.value_or(0) + p.console_kib.value_or(0) + p.ftrace_kib.value_or(0);
  if (req.size < static_cast<std::uint64_t>(need_kib) * 1024)
    return make_error(Errc::kInvalidArgument, "--size " + std::to_string(req.size >> 10) +
                                                  " KiB is smaller than the zones (" +
                                                  std::to_string(need_kib) + " KiB)");
  return p;
}

Result<SetupTransaction> plan_setup(const SetupRequest& req, const SetupPlan& params,
                                    const SystemFacts& sf, const DeviceReport& dev,
                                    const std::optional<State>& prior, const io::RootFs& root) {
  if (prior && prior->phase == kPhaseUndoing)
    return refuse("an earlier `pstore-blk undo` was interrupted; run it again first");
  SetupTransaction tx;
  tx.root = root.root();
  tx.live = root.is_live();
  tx.config = params;
  auto step = plan_partition(req, dev, prior);
  if (!step) return step.error();
  tx.partition = std::move(*step);
  tx.config.partuuid = tx.partition.part.uuid;
  tx.files = plan_config(sf, tx.config, root);
  if (req.reboot_on_panic) {
    // kernel.panic in sysctl.d, recorded like every file setup writes.
    const long secs = *req.reboot_on_panic;
    tx.files.files.push_back(
        {kSysctlPath, render_reboot_on_panic(secs), root.read(kSysctlPath), 0644});
    tx.files.notes.push_back("kernel.panic = " + std::to_string(secs) +
                             " takes effect at the next boot (`sysctl -w kernel.panic=" +
                             std::to_string(secs) + "` applies it now)");
  }
  if (!tx.files.manual_cmdline.empty() && !req.force)
    return make_error(Errc::kUnsupported,
                      "no known boot loader under '" + root.root() + "' (" + sf.bootloader_why +
                          "); add these words to the kernel command line yourself and re-run "
                          "with --force:\n  " +
                          tx.files.manual_cmdline);
  const bool same_partition =
      prior && device::normalize_partuuid(prior->partuuid) == tx.config.partuuid;
  tx.resumes = same_partition && !prior->complete();
  if (tx.resumes)
    for (const auto& c : tx.files.refresh_commands)
      if (std::find(tx.files.commands.begin(), tx.files.commands.end(), c) ==
          tx.files.commands.end())
        tx.files.commands.push_back(c);
  State& st = tx.state;
  st.device = req.device;
  st.disk = tx.partition.disk;
  st.partno = tx.partition.part.number;
  st.partuuid = tx.config.partuuid;
  st.partition_created = tx.partition.create.has_value() ||
                         (same_partition ? prior->partition_created : tx.partition.adopt_ours);
  st.mode = tx.config.mode == Mode::kModule ? "module" : "builtin";
  st.cmdline = render_cmdline_fragment(tx.config);
  st.wiped = !tx.partition.wipe;
  plan_journal(tx, prior, root);
  if (req.now) tx.now = plan_now(sf, tx.config);
  return tx;
}

NowCheck check_now(const SystemFacts& after, const SetupPlan& plan) {
  NowCheck c;
  for (const auto& l : after.log_lines)
    if (l.find("pstore_blk: attached " + plan.by_partuuid()) != std::string::npos) c.line = l;
  auto it = after.pstore_blk.params.find("blkdev");
  if (after.active_backend() != "pstore_blk" || it == after.pstore_blk.params.end() ||
      it->second != plan.by_partuuid()) {
    c.problem = "pstore_blk did not attach to " + plan.by_partuuid() + " (backend: '" +
                after.active_backend() + "'); see dmesg";
    return c;
  }
  c.attached = true;
  if (c.line.empty()) c.line = it->second;
  c.panic_write = c.line.find("pstore_blk: attached") != std::string::npos &&
                  c.line.find("no dedicated panic_write") == std::string::npos;
  return c;
}

namespace {

// Writes the journal; every step's record goes through here.
struct Journal {
  Writer& w;
  State st;
  Result<void> at(const char* phase) {
    st.phase = phase;
    return w.write(kStatePath, render_state(st), 0644);
  }
};

// Where to wipe: the partition's own node, udev's link, the kernel's node,
// or (no udev: containers, rescue shells) the disk at the partition's
// offset without O_EXCL, since other partitions of the disk may be mounted.
struct WipeTarget {
  std::string path;
  std::uint64_t offset = 0;
  bool exclusive = true;
};

WipeTarget wipe_target(const SetupTransaction& tx, Runner& r, const Progress& say) {
  const PartitionStep& p = tx.partition;
  if (!p.block_device) return {p.disk, p.part.start, true};
  if (!p.node.empty()) return {p.node, 0, true};
  (void)r.run({"udevadm", "settle", "--timeout=10"});
  const std::string link = tx.config.by_partuuid();
  if (r.wait_for(link, 5)) return {link, 0, true};
  say.warn("'" + link +
           "' did not appear (is udev running?); the boot configuration still uses it, "
           "continuing.");
  if (r.wait_for(p.kernel_node, 2)) return {p.kernel_node, 0, true};
  return {p.disk, p.part.start, false};
}

Result<void> apply_partition(const SetupTransaction& tx, Journal& j, Writer& w, Runner& r,
                             const Progress& say) {
  const PartitionStep& p = tx.partition;
  if (p.create) {
    std::vector<std::string> msgs;
    auto c = w.commit_partition(*p.create, msgs);
    for (const auto& m : msgs) say.info("  libfdisk: " + m);
    if (!c) return c.error();
    say.info("Created partition " + std::to_string(p.part.number) + " on " + p.disk + ".");
    if (auto s = j.at(kPhasePartition); !s) return s;
  }
  if (p.wipe) {
    const WipeTarget t = wipe_target(tx, r, say);
    auto wiped =
        w.wipe(t.path, t.offset, p.part.size, std::min(p.part.size, kZoneCap), t.exclusive);
    if (!wiped) return wiped.error();
    for (const auto& s : *wiped) say.info("Wiped a " + s.type + " signature.");
    j.st.wiped = true;
    if (auto s = j.at(kPhaseWiped); !s) return s;
  }
  return {};
}

// Boot-loader commands: run on the live system, listed for an image.
bool run_commands(const SetupTransaction& tx, Runner& r, const Progress& say) {
  bool ok = true;
  if (!tx.live) {
    if (tx.files.commands.empty()) return true;
    std::string line = "Run inside the image: ";
    for (const auto& c : tx.files.commands) line += command_line(c) + "; ";
    say.info(line);
    return true;
  }
  for (const auto& c : tx.files.commands) {
    auto res = r.run(c);
    if (!res || res->status != 0) {
      say.warn("'" + command_line(c) + "' failed" +
               (res ? ": " + res->output : ": " + res.error().message()));
      ok = false;
    }
  }
  return ok;
}

bool run_now_command(const std::vector<std::string>& c, Runner& r, const Progress& say) {
  say.info("running: " + command_line(c));
  auto res = r.run(c);
  if (!res) {
    say.warn(res.error().message());
    return false;
  }
  if (res->status != 0) {
    say.warn("'" + command_line(c) + "' failed (exit " + std::to_string(res->status) +
             "): " + res->output);
    return false;
  }
  return true;
}

// The rival's run-time switch first; rmmod when it still holds the slot.
bool release_slot(const NowStep& n, Runner& r, const Progress& say, const LiveProbe& live) {
  if (!n.release.empty()) {
    say.info("running: " + command_line(n.release));
    auto res = r.run(n.release);
    const bool held = live.active_backend && live.active_backend() == n.holder_backend;
    if (res && res->status == 0 && !held) {
      say.info(n.holder_module + " released the pstore backend");
      return true;
    }
    say.info(n.holder_module + " still holds the pstore backend; unloading it");
  }
  return run_now_command(n.release_fallback, r, say);
}

bool apply_now(const NowStep& n, const SetupPlan& plan, Runner& r, const Progress& say,
               const LiveProbe& live) {
  if (!n.skip.empty()) {
    say.warn(n.skip);
    return true;
  }
  if (!n.refusal.empty()) {
    say.warn(n.refusal);
    return false;
  }
  if (n.already_attached) {
    say.info("pstore_blk is already attached to " + plan.by_partuuid());
    return true;
  }
  if (!n.release_fallback.empty() && !release_slot(n, r, say, live)) return false;
  for (const auto& c : n.commands) {
    if (run_now_command(c, r, say)) continue;
    auto refusal = live.kernel_log ? find_backend_refusal(live.kernel_log()) : std::nullopt;
    if (refusal && refusal->refused == "pstore_blk")
      say.warn("the kernel refused pstore_blk because another backend holds the pstore slot: " +
               refusal->line);
    return false;
  }
  return true;
}

}  // namespace

Result<ApplyOutcome> apply_setup(const SetupTransaction& tx, Writer& w, Runner& r,
                                 const Progress& say, const LiveProbe& live) {
  ApplyOutcome out;
  if (!tx.nothing_to_do()) {
    Journal j{w, tx.state};
    if (auto s = j.at(kPhasePlanned); !s) return s.error();
    if (auto s = apply_partition(tx, j, w, r, say); !s) return s.error();
    for (const auto& b : tx.backups)
      if (auto s = w.write(b.path, b.content, b.mode); !s) return s.error();
    if (auto s = j.at(kPhaseBackups); !s) return s.error();
    for (const auto& f : tx.files.files) {
      if (!f.changed()) continue;
      if (auto s = w.write(f.path, f.content, f.mode); !s) return s.error();
      say.info("Wrote " + host(tx.root, f.path));
    }
    if (auto s = j.at(kPhaseFiles); !s) return s.error();
    out.commands_failed = !run_commands(tx, r, say);
    if (!out.commands_failed)
      if (auto s = j.at(kPhaseComplete); !s) return s.error();
  }
  if (tx.now.requested && !out.commands_failed)
    out.commands_failed = !apply_now(tx.now, tx.config, r, say, live);
  return out;
}

}  // namespace psb::sysconf
