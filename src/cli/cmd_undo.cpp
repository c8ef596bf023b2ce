// undo: plan (sysconf::plan_undo) what setup left — files to restore or
// remove, boot-loader commands, with --remove-partition the partition — print
// it, confirm, apply it with the real or the dry-run Writer/Runner, and say
// what the running kernel keeps until the next boot.
#include <fmt/core.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/sysconf/setup.hpp"

namespace psb::cli {

namespace {

using namespace sysconf;

struct UndoArgs {
  bool remove_partition = false;
  bool dry_run = false;
  bool yes = false;
  std::string root = "/";
};

// The one printer of an undo plan.
void print_plan(const UndoTransaction& tx) {
  io::RootFs root(tx.root);
  const State& s = tx.state;
  std::cout << "Plan (dry run, nothing is changed):\n";
  for (const auto& f : tx.restore) std::cout << "  restore " << root.host_path(f.path) << "\n";
  for (const auto& p : tx.remove) std::cout << "  remove " << root.host_path(p) << "\n";
  for (const auto& p : tx.untouched)
    std::cout << "  keep " << root.host_path(p) << " (setup stopped before replacing it)\n";
  std::cout << "  remove " << root.host_path(kStatePath) << "\n";
  for (const auto& c : tx.commands)
    std::cout << (tx.live ? "  run: " : "  run inside the image (chroot): ") << command_line(c)
              << "\n";
  if (tx.unload_pstore_blk) std::cout << "  run: rmmod pstore_blk (it holds the partition)\n";
  if (tx.remove_partition)
    std::cout << "  delete partition " << s.partno << " (PARTUUID " << s.partuuid << ") of "
              << s.disk << (tx.partition_present ? "" : " (not in the table: nothing to do)")
              << "\n";
}

void print_still_live(const UndoTransaction& tx) {
  if (tx.still_live.empty()) return;
  std::cout << "Until the next boot:\n";
  for (const auto& l : tx.still_live) std::cout << "  " << l << "\n";
}

int dry_run(const UndoTransaction& tx) {
  print_plan(tx);
  std::vector<std::string> steps;
  DryRunWriter w(steps);
  DryRunRunner r(steps);
  Progress quiet{[](std::string_view) {}, [](std::string_view) {}};
  if (auto o = apply_undo(tx, w, r, quiet); !o) return report(o.error());
  std::cout << "Steps, in order (dry run: none is carried out):\n";
  for (std::size_t i = 0; i < steps.size(); ++i)
    std::cout << fmt::format("  {:>2}. {}\n", i + 1, steps[i]);
  print_still_live(tx);
  return kExitOk;
}

bool confirmed(const UndoTransaction& tx, const UndoArgs& a) {
  if (a.yes || !isatty(0)) return true;
  const State& s = tx.state;
  std::cout << "This restores the files setup replaced and removes the ones it wrote"
            << (a.remove_partition ? ", and deletes partition " + std::to_string(s.partno) +
                                         " of " + s.disk + " with the crash records on it"
                                   : std::string())
            << ".\n";
  return confirm("Undo the pstore-blk setup?");
}

int run_undo(const UndoArgs& a) {
  io::RootFs root(a.root);
  auto state = load_state(root);
  if (!state) return report(state.error());
  if (!*state) {
    const UndoTransaction left = plan_undo_leftovers(root);
    std::cout << "Nothing to undo: no " << root.host_path(kStatePath) << ".\n";
    if (left.empty() || a.dry_run) return kExitOk;
    RealWriter w(a.root);
    RealRunner r;
    if (auto o = apply_undo(left, w, r, {}); !o) return report(o.error());
    std::cout << "Removed what an interrupted setup left in " << root.host_path(kStateDir) << ".\n";
    return kExitOk;
  }
  const SystemFacts sf = root.is_live() ? probe_system(root, "") : SystemFacts{};
  auto tx = plan_undo(**state, sf, a.remove_partition, root);
  if (!tx) return report(tx.error());
  if (a.dry_run) return dry_run(*tx);
  if (!confirmed(*tx, a)) {
    std::cout << "Nothing changed.\n";
    return kExitFailure;
  }
  RealWriter w(a.root);
  RealRunner r;
  auto o = apply_undo(*tx, w, r,
                      {[](std::string_view s) { std::cout << s << "\n"; },
                       [](std::string_view s) { warn(std::string(s)); }});
  if (!o) return report(o.error());
  print_still_live(*tx);
  return o->commands_failed ? kExitFailure : kExitOk;
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
