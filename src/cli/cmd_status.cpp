// status: what setup configured (state file, files, partition) next to what
// the kernel runs now (backend, parameters, records).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/commands.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/partition.hpp"
#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/io/reader.hpp"
#include "pstore_blk/sysconf/config.hpp"

namespace psb::cli {

namespace {

using namespace sysconf;

struct StatusArgs {
  bool json = false;
  std::string root = "/";
  std::string kernel;
};

/// The records on the configured partition itself, read as `list
/// --include-erased` would: archived (erased) records stay there until their
/// zone is reused.
void partition_records(const State& s, nlohmann::ordered_json& c) {
  c["partition_records"] = nlohmann::ordered_json::array();
  auto area = device::open_pstore_area(s.disk, s.partno);
  if (!area) {
    c["partition_error"] = area.error().message();
    return;
  }
  io::ReadOptions o;
  o.include_erased = true;
  o.keep_content = false;
  auto scan = io::scan_partition(area->source(), o, [&](format::Record&& r) {
    c["partition_records"].push_back(
        {{"name", r.name},
         {"state", r.erased ? std::string("erased") : std::string(format::state_name(r.state))}});
  });
  if (!scan) c["partition_error"] = scan.error().message();
}

nlohmann::ordered_json configured_json(const State& s, const io::RootFs& root,
                                       const SystemFacts& sf) {
  nlohmann::ordered_json c;
  c["device"] = s.device;
  c["disk"] = s.disk;
  c["partno"] = s.partno;
  c["partuuid"] = s.partuuid;
  c["mode"] = s.mode;
  c["cmdline"] = s.cmdline;
  c["files"] = nlohmann::ordered_json::array();
  for (const auto& f : s.files)
    c["files"].push_back(
        {{"path", f.path}, {"present", root.exists(f.path)}, {"backup", f.backup}});
  auto layout = device::read_layout(s.disk);
  bool present = false;
  if (layout)
    for (const auto& p : layout->partitions) present |= p.uuid == s.partuuid;
  c["partition_present"] = present;
  if (present) partition_records(s, c);
  if (!s.cmdline.empty()) c["cmdline_active"] = sf.cmdline.find(s.cmdline) != std::string::npos;
  return c;
}

nlohmann::ordered_json live_json(const SystemFacts& sf) {
  nlohmann::ordered_json l;
  l["backend"] = sf.active_backend().empty() ? nlohmann::ordered_json(nullptr)
                                             : nlohmann::ordered_json(sf.active_backend());
  l["pstore_blk_attached"] = sf.pstore_blk_attached();
  l["parameters"] = sf.pstore_blk.params;
  l["pstore_mounted"] = sf.pstore_mounted;
  l["records"] = sf.records;
  return l;
}

void print_configured(const State& s, const nlohmann::ordered_json& c, const io::RootFs& root) {
  std::cout << fmt::format("  partition:      {} partition {} PARTUUID {} ({})\n", s.disk, s.partno,
                           s.partuuid, c["partition_present"].get<bool>() ? "present" : "MISSING");
  if (c.contains("partition_error")) {
    std::cout << fmt::format("  on partition:   unreadable: {}\n",
                             c["partition_error"].get<std::string>());
  } else if (c["partition_present"].get<bool>()) {
    std::cout << fmt::format("  on partition:   {} record(s)\n", c["partition_records"].size());
    for (const auto& r : c["partition_records"])
      std::cout << fmt::format("    {} ({})\n", r["name"].get<std::string>(),
                               r["state"].get<std::string>());
  }
  std::cout << fmt::format("  mode:           {}\n", s.mode);
  for (const auto& f : s.files)
    std::cout << fmt::format(
        "  file:           {}{}{}\n", root.host_path(f.path),
        root.exists(f.path) ? "" : " (MISSING)",
        f.backup.empty() ? "" : " (replaced an earlier file; undo restores it)");
  if (!s.cmdline.empty())
    std::cout << fmt::format("  command line:   {} ({})\n", s.cmdline,
                             c["cmdline_active"].get<bool>() ? "active" : "not active yet: reboot");
}

void print_live(const SystemFacts& sf) {
  std::cout << "Live\n";
  std::cout << fmt::format("  kernel:         {}\n", kernel_release_text(sf));
  std::cout << fmt::format("  backend:        {}\n",
                           sf.active_backend().empty() ? "none" : sf.active_backend());
  std::cout << fmt::format(
      "  pstore_blk:     {}\n",
      sf.pstore_blk_attached()
          ? "attached to " + sf.pstore_blk.params.at("blkdev")
          : std::string(sf.pstore_blk.loaded ? "loaded, not attached" : "not loaded"));
  for (const auto& [k, v] : sf.pstore_blk.params) std::cout << fmt::format("    {}={}\n", k, v);
  std::cout << fmt::format("  /sys/fs/pstore: {}\n",
                           sf.pstore_mounted ? std::to_string(sf.records.size()) + " record(s)"
                                             : std::string("not mounted"));
  for (const auto& r : sf.records) std::cout << "    " << r << "\n";
}

int run_status(const StatusArgs& a) {
  io::RootFs root(a.root);
  auto sf = probe_system(root, read_kernel_log(root), a.kernel);
  auto state = load_state(root);
  if (!state) return report(state.error());
  nlohmann::ordered_json j;
  j["kernel_release"] = sf.kernel_release.empty() ? nlohmann::ordered_json(nullptr)
                                                  : nlohmann::ordered_json(sf.kernel_release);
  j["kernel_release_from"] = kernel_from_name(sf.kernel_from);
  j["configured"] = *state ? configured_json(**state, root, sf) : nlohmann::ordered_json(nullptr);
  j["live"] = live_json(sf);
  auto verdicts = judge(sf, nullptr, effective_sizes(sf, nullptr));
  j["verdict"] = verdicts_json(verdicts);
  const bool ok = !*state || j["configured"]["partition_present"].get<bool>();
  if (a.json) {
    std::cout << j.dump(2) << "\n";
    return ok ? kExitOk : kExitFailure;
  }
  std::cout << "Configured\n";
  if (!*state)
    std::cout << "  nothing: `pstore-blk setup` has not run on " << root.root() << "\n";
  else
    print_configured(**state, j["configured"], root);
  print_live(sf);
  print_verdicts(verdicts);
  return ok ? kExitOk : kExitFailure;
}

}  // namespace

void attach_status(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<StatusArgs>();
  sub.add_flag("--json", a->json, "print one JSON document");
  sub.add_option("--root", a->root, "read the system below DIR (default /)")->type_name("DIR");
  add_kernel_option(sub, a->kernel);
  sub.callback([a, &action] { action = [a] { return run_status(*a); }; });
}

}  // namespace psb::cli
