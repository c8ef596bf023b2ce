// undo: restore what setup replaced, remove what it created, and with
// --remove-partition delete the partition it created.
#include <CLI/CLI.hpp>
#include <unistd.h>

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
  std::string root = "/";
};

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
    return report(make_error(Errc::kConflict, "partition " + std::to_string(s.partno) + " of " + s.disk +
                                                  " existed before setup; not deleting it"));
  if (a.dry_run) {
    std::cout << "Plan (dry run, nothing is changed):\n";
    for (auto it = s.files.rbegin(); it != s.files.rend(); ++it)
      std::cout << (it->backup.empty() ? "  remove " : "  restore ") << root.host_path(it->path) << "\n";
    std::cout << "  remove " << root.host_path(kStatePath) << "\n";
    for (const auto& c : s.undo_commands) std::cout << "  run: " << command_line(c) << "\n";
    if (a.remove_partition)
      std::cout << "  delete partition " << s.partno << " (PARTUUID " << s.partuuid << ") of " << s.disk << "\n";
    return kExitOk;
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
        warn("'" + command_line(c) + "' failed" + (r ? ": " + r->output : ": " + r.error().message()));
        rc = kExitFailure;
      }
    }
  } else {
    for (const auto& c : s.undo_commands) std::cout << "Run inside the image: " << command_line(c) << "\n";
  }
  if (a.remove_partition) {
    auto r = device::delete_partition(s.disk, s.partno, s.partuuid);
    if (!r) return report(r.error());
    std::cout << "Deleted partition " << s.partno << " of " << s.disk << ".\n";
  }
  return rc;
}

}  // namespace

void attach_undo(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<UndoArgs>();
  sub.add_flag("--remove-partition", a->remove_partition, "also delete the partition setup created");
  sub.add_flag("--dry-run", a->dry_run, "print what would be undone, change nothing");
  sub.add_option("--root", a->root, "undo below DIR (default /)")->type_name("DIR");
  sub.callback([a, &action] { action = [a] { return run_undo(*a); }; });
}

}  // namespace psb::cli
