// undo: restore what setup replaced, remove what it created, and with
// --remove-partition delete the partition it created.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/sysconf/config.hpp"
#include "pstore_blk/sysconf/runner.hpp"

namespace psb::cli {

namespace {

using namespace sysconf;

struct UndoArgs {
  bool remove_partition = false;
  bool dry_run = false;
  bool yes = false;
  std::string root = "/";
};

// Whether the running pstore_blk holds the partition setup made. It opens
// its device O_EXCL: while it does, the kernel cannot drop the partition
// (found by tests/vm/e2e-setup.sh: the table lost it, the kernel kept it, and
// oopses would have gone to free space).
struct Attachment {
  bool attached = false;
  bool modular = false;
  std::string blkdev;
};

std::string canonical(const std::string& p) {
  char buf[PATH_MAX];
  return realpath(p.c_str(), buf) ? std::string(buf) : p;
}

std::string lower(std::string v) {
  for (auto& ch : v) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return v;
}

Attachment live_attachment(const SystemFacts& sf, const State& s) {
  Attachment a;
  auto it = sf.pstore_blk.params.find("blkdev");
  if (it == sf.pstore_blk.params.end() || it->second.empty()) return a;
  a.blkdev = it->second;
  const std::string uuid = lower(s.partuuid);
  a.attached = (!uuid.empty() && lower(a.blkdev).find(uuid) != std::string::npos) ||
               canonical(a.blkdev) == canonical("/dev/disk/by-partuuid/" + uuid);
  a.modular = sf.pstore_blk.build != Build::kBuiltin;
  return a;
}

int run_undo(const UndoArgs& a) {
  RootFs root(a.root);
  auto state = load_state(root);
  if (!state) return report(state.error());
  if (!*state) {
    std::cout << "Nothing to undo: no " << root.host_path(kStatePath) << ".\n";
    return kExitOk;
  }
  const State& s = **state;
  if (a.remove_partition && !s.partition_created)
    return report(make_error(Errc::kConflict, "partition " + std::to_string(s.partno) + " of " +
                                                  s.disk +
                                                  " existed before setup; not deleting it"));
  Attachment att;
  if (a.remove_partition && root.is_live()) {
    att = live_attachment(probe_system(root, ""), s);
    if (att.attached && !att.modular)
      return report(make_error(Errc::kConflict, "the built-in pstore_blk holds partition " +
                                                    std::to_string(s.partno) + " of " + s.disk +
                                                    " until the next boot; run `pstore-blk undo` "
                                                    "without --remove-partition, reboot, then "
                                                    "delete the partition (sfdisk --delete " +
                                                    s.disk + " " + std::to_string(s.partno) + ")"));
  }
  if (a.dry_run) {
    std::cout << "Plan (dry run, nothing is changed):\n";
    for (auto it = s.files.rbegin(); it != s.files.rend(); ++it)
      std::cout << (it->backup.empty() ? "  remove " : "  restore ") << root.host_path(it->path)
                << "\n";
    std::cout << "  remove " << root.host_path(kStatePath) << "\n";
    for (const auto& c : s.undo_commands) std::cout << "  run: " << command_line(c) << "\n";
    if (att.attached) std::cout << "  run: rmmod pstore_blk (it holds the partition)\n";
    if (a.remove_partition)
      std::cout << "  delete partition " << s.partno << " (PARTUUID " << s.partuuid << ") of "
                << s.disk << "\n";
    return kExitOk;
  }
  if (!a.yes && isatty(0)) {
    std::cout << "This restores the files setup replaced and removes the ones it wrote"
              << (a.remove_partition ? ", and deletes partition " + std::to_string(s.partno) +
                                           " of " + s.disk + " with the crash records on it"
                                     : std::string())
              << ".\n";
    if (!confirm("Undo the pstore-blk setup?")) {
      std::cout << "Nothing changed.\n";
      return kExitFailure;
    }
  }
  RealWriter w(a.root);
  auto done = undo_config(s, w, root);
  if (!done) return report(done.error());
  for (const auto& d : *done) std::cout << d << "\n";
  int rc = kExitOk;
  if (root.is_live()) {
    RealRunner run;
    for (const auto& c : s.undo_commands) {
      auto r = run.run(c);
      if (!r || r->status != 0) {
        warn("'" + command_line(c) + "' failed" +
             (r ? ": " + r->output : ": " + r.error().message()));
        rc = kExitFailure;
      }
    }
  } else {
    for (const auto& c : s.undo_commands)
      std::cout << "Run inside the image: " << command_line(c) << "\n";
  }
  if (a.remove_partition) {
    if (att.attached) {
      RealRunner run;
      auto r = run.run({"rmmod", "pstore_blk"});
      if (!r || r->status != 0)
        return report(
            make_error(Errc::kConflict, "pstore_blk holds partition " + std::to_string(s.partno) +
                                            " and 'rmmod pstore_blk' failed" +
                                            (r ? ": " + r->output : ": " + r.error().message()) +
                                            "; the partition was not deleted"));
      std::cout << "Unloaded pstore_blk, which held the partition.\n";
    }
    auto r = device::delete_partition(s.disk, s.partno, s.partuuid);
    if (!r) return report(r.error());
    std::cout << "Deleted partition " << s.partno << " of " << s.disk << ".\n";
  }
  return rc;
}

}  // namespace

void attach_undo(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<UndoArgs>();
  sub.add_flag("--remove-partition", a->remove_partition,
               "also delete the partition setup created");
  sub.add_flag("--dry-run", a->dry_run, "print what would be undone, change nothing");
  sub.add_flag("-y,--yes", a->yes, "do not ask for confirmation on a terminal");
  sub.add_option("--root", a->root, "undo below DIR (default /)")->type_name("DIR");
  sub.callback([a, &action] { action = [a] { return run_undo(*a); }; });
}

}  // namespace psb::cli
