// check: what will pstore_blk capture on this system (and on DEVICE)?
#include <CLI/CLI.hpp>
#include <iostream>
#include <memory>

#include "cli/capture_output.hpp"
#include "cli/commands.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"

namespace psb::cli {

namespace {

struct CheckArgs {
  std::string device;
  std::optional<int> partition;
  bool json = false;
  std::string root = "/";
  std::string kernel;
};

int run_check(const CheckArgs& a) {
  io::RootFs root(a.root);
  io::RootFs live("/");
  auto sf = sysconf::probe_system(root, sysconf::read_kernel_log(root), a.kernel);
  std::optional<sysconf::DeviceReport> dev;
  sysconf::SetupPlan defaults;
  if (!a.device.empty()) {
    auto d = sysconf::probe_device(live, a.device, a.partition, defaults.kmsg_kib);
    if (!d) return report(d.error());
    dev = std::move(*d);
  }
  auto verdicts = sysconf::judge(sf, dev ? &*dev : nullptr, sysconf::effective_sizes(sf, nullptr));
  const bool oops = !verdicts.empty() && verdicts.front().yes;
  auto capture = sysconf::capture_table(sf, sysconf::probe_capture(root), a.device);
  if (a.json) {
    nlohmann::ordered_json j;
    j["system"] = facts_json(sf);
    j["device"] = dev ? device_json(*dev) : nlohmann::ordered_json(nullptr);
    j["verdict"] = verdicts_json(verdicts);
    add_capture_json(j, capture);
    std::cout << j.dump(2) << "\n";
  } else {
    print_facts(sf);
    if (dev) print_device(*dev);
    print_verdicts(verdicts);
    print_capture(capture);
  }
  return oops ? kExitOk : kExitFailure;
}

}  // namespace

void attach_check(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<CheckArgs>();
  sub.add_option("DEVICE", a->device,
                 "partition, whole disk, disk image or partition to create (/dev/vda3)");
  sub.add_option("--partition", a->partition, "with a disk image: its partition N")->type_name("N");
  sub.add_flag("--json", a->json, "print one JSON document");
  sub.add_option("--root", a->root, "read the system below DIR (default /)")->type_name("DIR");
  add_kernel_option(sub, a->kernel);
  sub.callback([a, &action] { action = [a] { return run_check(*a); }; });
}

}  // namespace psb::cli
