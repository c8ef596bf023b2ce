// Setup and undo as transactions, driven through fake and fault-injecting
// writers/runners on real image files and copies of fixtures/systems trees:
// EFI machine, built-in pstore_blk, re-run, a failure after every single
// step (what is left, what undo then restores, what a re-run completes).
#include "pstore_blk/sysconf/setup.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fake_runner.hpp"
#include "fake_writer.hpp"
#include "golden.hpp"
#include "psb_catch.hpp"
#include "temp_dir.hpp"

using namespace psb::sysconf;
using psb::Result;
using psb::io::RootFs;
namespace fs = std::filesystem;

namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A system tree and a disk image in a scratch directory.
struct Machine {
  psb::test::TempDir tmp{"psb-setup"};
  std::string dir = tmp.path(), root, disk;
  bool capture = false;  // setup --capture-panics
  explicit Machine(const std::string& tree) {
    root = dir + "/root";
    disk = dir + "/disk.img";
    fs::copy(psb::test::source_path("fixtures/systems/" + tree), root, fs::copy_options::recursive);
    std::ofstream(disk).close();
    fs::resize_file(disk, 64 << 20);
    const std::string cmd =
        "printf 'label: gpt\\nstart=2048, size=16MiB, type=linux, name=data\\n' "
        "| sfdisk -q " +
        disk + " >/dev/null 2>&1";
    REQUIRE(std::system(cmd.c_str()) == 0);
  }

  // Every file, directory and symlink below the root: type, mode, content.
  std::map<std::string, std::string> tree() const {
    std::map<std::string, std::string> out;
    for (auto it = fs::recursive_directory_iterator(root); it != fs::recursive_directory_iterator();
         ++it) {
      struct stat st;
      REQUIRE(lstat(it->path().c_str(), &st) == 0);
      std::string v = std::to_string(st.st_mode);
      if (S_ISREG(st.st_mode)) v += ":" + slurp(it->path());
      out[it->path().string().substr(root.size())] = v;
    }
    return out;
  }
  std::string image() const { return slurp(disk); }
  RootFs fs() const { return RootFs(root); }

  Result<SetupTransaction> plan(bool force = false) const {
    RootFs r(root);
    auto sf = probe_system(r, "");
    SetupRequest req;
    req.device = disk;
    req.force = force;
    req.params.capture_panics = capture;
    auto params = plan_parameters(req, sf, r);
    if (!params) return params.error();
    auto dev = probe_device(RootFs("/"), disk, std::nullopt, params->kmsg_kib);
    if (!dev) return dev.error();
    auto prior = load_state(r);
    if (!prior) return prior.error();
    return plan_setup(req, *params, sf, *dev, *prior, r);
  }
  std::optional<State> state() const {
    auto s = load_state(RootFs(root));
    REQUIRE(s);
    return *s;
  }
  int pstore_partitions() const {
    auto l = psb::device::read_layout(disk);
    REQUIRE(l);
    int n = 0;
    for (const auto& p : l->partitions) n += p.name == "pstore";
    return n;
  }
};

Progress quiet() {
  return {[](std::string_view) {}, [](std::string_view) {}};
}

// Runs setup on `m` through a FaultyWriter that fails at `fail_at`.
Result<ApplyOutcome> setup(Machine& m, std::optional<int> fail_at, int* steps = nullptr,
                           std::vector<std::string>* seen = nullptr) {
  auto tx = m.plan();
  if (!tx) return tx.error();
  RealWriter real(m.root);
  psb::test::FaultyWriter w(real, fail_at);
  psb::test::FakeRunner r;
  auto out = apply_setup(*tx, w, r, quiet());
  if (steps) *steps = w.steps;
  if (seen) *seen = w.seen;
  return out;
}

Result<ApplyOutcome> undo(Machine& m, bool remove_partition) {
  auto st = m.state();
  REQUIRE(st);
  auto tx = plan_undo(*st, SystemFacts{}, remove_partition, m.fs());
  if (!tx) return tx.error();
  RealWriter w(m.root);
  psb::test::FakeRunner r;
  return apply_undo(*tx, w, r, quiet());
}

bool has(const std::vector<std::string>& v, const std::string& s) {
  for (const auto& x : v)
    if (x.find(s) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("EFI machine: the plan disables efi_pstore, the journal leads every step",
          "[sysconf][setup]") {
  Machine m("efi-pstore-holds-backend");
  fs::permissions(m.root + kModprobePath, fs::perms(0640));
  const auto tree0 = m.tree();
  auto tx = m.plan();
  REQUIRE(tx);
  REQUIRE(tx->partition.create);
  CHECK(tx->partition.wipe);
  CHECK(tx->config.disable_efi_pstore_module);
  CHECK_FALSE(tx->live);
  // The hand-written pstore-blk.conf in the fixture is backed up first.
  REQUIRE_FALSE(tx->backups.empty());
  CHECK(tx->backups[0].path == backup_path(kModprobePath));

  std::vector<std::string> seen;
  REQUIRE(setup(m, std::nullopt, nullptr, &seen));
  // The journal is written before the partition table, and after each step.
  const std::vector<std::string> head = {"write " + std::string(kStatePath), "commit",
                                         "write " + std::string(kStatePath), "wipe",
                                         "write " + std::string(kStatePath)};
  REQUIRE(seen.size() > head.size());
  CHECK(std::vector<std::string>(seen.begin(), seen.begin() + 5) == head);
  CHECK(seen.back() == "write " + std::string(kStatePath));
  CHECK(slurp(m.root + kModprobePath).find("options efi_pstore pstore_disable=1") !=
        std::string::npos);
  auto st = m.state();
  REQUIRE(st);
  CHECK(st->complete());
  CHECK(st->wiped);
  CHECK(st->partition_created);
  CHECK(has(st->created_dirs, "/var/lib/pstore-blk"));

  // Undo puts the hand-written file back with its permissions and removes
  // every directory setup created.
  REQUIRE(undo(m, true));
  CHECK(m.tree() == tree0);
}

TEST_CASE("dry run: the same apply, nothing changes, the same steps", "[sysconf][setup]") {
  Machine m("debian-6.1-module");
  const auto tree0 = m.tree();
  const auto img0 = m.image();
  auto tx = m.plan();
  REQUIRE(tx);
  std::vector<std::string> steps;
  DryRunWriter w(steps);
  DryRunRunner r(steps);
  REQUIRE(apply_setup(*tx, w, r, quiet()));
  CHECK(m.tree() == tree0);
  CHECK(m.image() == img0);
  REQUIRE(steps.size() >= 8);
  CHECK(steps[0].rfind("write " + std::string(kStatePath), 0) == 0);
  CHECK(steps[1].rfind("write the partition table of " + m.disk, 0) == 0);
  CHECK(steps[3].rfind("wipe signatures in " + m.disk, 0) == 0);

  int real_steps = 0;
  REQUIRE(setup(m, std::nullopt, &real_steps));
  CHECK(static_cast<std::size_t>(real_steps) == steps.size());
}

TEST_CASE("built-in pstore_blk: kernel command line file, --now is skipped", "[sysconf][setup]") {
  Machine m("builtin");
  auto sf = probe_system(m.fs(), "");
  SetupRequest req;
  req.device = m.disk;
  req.now = true;
  auto params = plan_parameters(req, sf, m.fs());
  REQUIRE(params);
  CHECK(params->mode == Mode::kBuiltin);
  auto dev = probe_device(RootFs("/"), m.disk, std::nullopt, 64);
  REQUIRE(dev);
  auto tx = plan_setup(req, *params, sf, *dev, std::nullopt, m.fs());
  REQUIRE(tx);
  REQUIRE(tx->files.files.size() == 1);
  CHECK(tx->files.files[0].path == kKernelCmdlinePath);
  CHECK(tx->now.commands.empty());
  CHECK_FALSE(tx->now.skip.empty());
  psb::test::FakeWriter w;
  psb::test::FakeRunner r;
  std::vector<std::string> warnings;
  auto out = apply_setup(
      *tx, w, r, {[](std::string_view) {}, [&](std::string_view s) { warnings.emplace_back(s); }});
  REQUIRE(out);
  CHECK_FALSE(out->commands_failed);
  CHECK(r.commands.empty());
  CHECK(has(warnings, "built in"));
  CHECK(w.files[kKernelCmdlinePath].find("pstore_blk.blkdev=PARTUUID=" + tx->config.partuuid) !=
        std::string::npos);
}

TEST_CASE("re-run: nothing to do, the partition is adopted, never duplicated", "[sysconf][setup]") {
  Machine m("debian-6.1-module");
  REQUIRE(setup(m, std::nullopt));
  const auto tree1 = m.tree();
  auto tx = m.plan();
  REQUIRE(tx);
  CHECK(tx->nothing_to_do());
  CHECK(tx->partition.adopt_ours);
  CHECK_FALSE(tx->partition.wipe);
  REQUIRE(setup(m, std::nullopt));
  CHECK(m.tree() == tree1);
  CHECK(m.pstore_partitions() == 1);

  SECTION("state lost (undo without --remove-partition): the derived PARTUUID adopts it") {
    REQUIRE(undo(m, false));
    auto again = m.plan();
    REQUIRE(again);
    CHECK_FALSE(again->partition.create);
    CHECK(again->partition.adopt_ours);
    CHECK_FALSE(again->partition.wipe);  // its records stay
    REQUIRE(setup(m, std::nullopt));
    CHECK(m.pstore_partitions() == 1);
    CHECK(m.state()->partition_created);
  }
}

TEST_CASE("a failure after any step: undo restores exactly, a re-run completes",
          "[sysconf][setup]") {
  int total = 0;
  {
    Machine m("efi-pstore-holds-backend");
    REQUIRE(setup(m, std::nullopt, &total));
  }
  REQUIRE(total >= 10);
  for (int step = 0; step < total; ++step) {
    for (bool rerun_first : {false, true}) {
      DYNAMIC_SECTION("fail at step " << step << (rerun_first ? ", re-run" : ", undo")) {
        Machine m("efi-pstore-holds-backend");
        const auto tree0 = m.tree();
        const auto img0 = m.image();
        std::vector<std::string> seen;
        auto failed = setup(m, step, nullptr, &seen);
        INFO("failed at " << seen.back());
        REQUIRE_FALSE(failed);
        auto l = psb::device::read_layout(m.disk);
        REQUIRE(l);  // the table is valid
        CHECK(m.image().substr(1 << 20, 16 << 20) == img0.substr(1 << 20, 16 << 20));
        if (rerun_first) {
          REQUIRE(setup(m, std::nullopt));
          CHECK(m.pstore_partitions() == 1);
          CHECK(m.state()->complete());
        }
        if (!m.state()) {
          // Stopped before the journal existed: nothing changed at all.
          CHECK(m.image() == img0);
          CHECK(m.tree() == tree0);
          continue;
        }
        REQUIRE(undo(m, true));
        CHECK(m.tree() == tree0);
        CHECK(m.image() == img0);
      }
    }
  }
}

TEST_CASE("a boot-loader command failing: files stay, re-run retries, undo restores",
          "[sysconf][setup]") {
  Machine m("debian-6.1-module");
  fs::create_directories(m.root + "/usr/sbin");
  auto tx = m.plan();
  REQUIRE(tx);
  // Built in with GRUB on the live system: update-grub runs through the Runner.
  auto sf = probe_system(m.fs(), "");
  sf.pstore_blk.build = Build::kBuiltin;
  SetupRequest req;
  req.device = m.disk;
  auto params = plan_parameters(req, sf, m.fs());
  REQUIRE(params);
  auto dev = probe_device(RootFs("/"), m.disk, std::nullopt, 64);
  REQUIRE(dev);
  auto gtx = plan_setup(req, *params, sf, *dev, std::nullopt, m.fs());
  REQUIRE(gtx);
  REQUIRE(gtx->files.commands.size() == 1);
  gtx->live = true;
  RealWriter w(m.root);
  psb::test::FakeRunner r;
  r.answers["update-grub"] = CommandResult{1, "grub-mkconfig: error\n"};
  std::vector<std::string> warnings;
  auto out = apply_setup(
      *gtx, w, r, {[](std::string_view) {}, [&](std::string_view s) { warnings.emplace_back(s); }});
  REQUIRE(out);
  CHECK(out->commands_failed);
  CHECK(has(warnings, "'update-grub' failed: grub-mkconfig: error"));
  CHECK(fs::exists(m.root + kGrubDropinPath));
  CHECK(m.state()->phase == kPhaseFiles);

  dev = probe_device(RootFs("/"), m.disk, std::nullopt, 64);
  REQUIRE(dev);
  auto again = plan_setup(req, *params, sf, *dev, m.state(), m.fs());
  REQUIRE(again);
  CHECK(again->resumes);
  CHECK_FALSE(again->nothing_to_do());
  again->live = true;
  r.answers.clear();
  REQUIRE(apply_setup(*again, w, r, quiet()));
  CHECK(m.state()->complete());
  CHECK(r.commands == std::vector<std::string>{"update-grub", "update-grub"});

  auto utx = plan_undo(*m.state(), SystemFacts{}, true, m.fs());
  REQUIRE(utx);
  utx->live = true;
  REQUIRE(apply_undo(*utx, w, r, quiet()));
  CHECK(r.commands.back() == "update-grub");
  CHECK_FALSE(fs::exists(m.root + kGrubDropinPath));
  CHECK_FALSE(fs::exists(m.root + "/var/lib/pstore-blk"));
}

TEST_CASE("undo says what the running kernel keeps until the next boot", "[sysconf][setup]") {
  State s;
  s.disk = "/dev/vda";
  s.partno = 2;
  s.partuuid = "5053422d-0002-4000-8000-000000000007";
  SystemFacts sf;
  sf.efi_firmware = true;
  sf.backend = "pstore_blk";
  sf.pstore_blk.build = Build::kModule;
  sf.pstore_blk.params["blkdev"] = "/dev/disk/by-partuuid/" + s.partuuid;
  RivalBackend efi;
  efi.module = "efi_pstore";
  efi.backend_name = "efi_pstore";
  efi.build = Build::kModule;
  sf.rivals.push_back(efi);
  // A live-looking root is needed for still_live; plan through "/" would read
  // the host, so check the pure parts through a tree and set live by hand.
  auto tx = plan_undo(s, sf, false, RootFs(psb::test::TempDir("psb-undo").path()));
  REQUIRE(tx);
  CHECK(tx->still_live.empty());  // not the running system
  auto live = plan_undo(s, sf, false, RootFs("/"));
  REQUIRE(live);
  REQUIRE(live->still_live.size() == 2);
  CHECK(live->still_live[0].find("pstore_blk stays attached to /dev/disk/by-partuuid/") == 0);
  CHECK(live->still_live[0].find("`rmmod pstore_blk` detaches it now") != std::string::npos);
  CHECK(live->still_live[1].find("efi_pstore stays unloaded until the next boot") == 0);
}

namespace {

// capture-kernel-loaded before anything was loaded: a Debian 13 machine with
// kexec support, 2 GiB, busybox-static, no crashkernel= yet.
void unloaded_crash_slot(Machine& m) {
  fs::remove(m.root + kCaptureMarker);
  std::ofstream(m.root + "/sys/kernel/kexec_crash_loaded") << "0\n";
  std::ofstream(m.root + "/sys/kernel/kexec_crash_size") << "0\n";
  std::ofstream(m.root + "/proc/cmdline")
      << "BOOT_IMAGE=/boot/vmlinuz root=/dev/nvme0n1p2 ro quiet\n";
  std::ofstream(m.root + "/proc/meminfo") << "MemTotal:        2027640 kB\nMemFree: 1 kB\n";
  fs::create_directories(m.root + "/usr/bin");
  std::ofstream(m.root + "/usr/bin/busybox") << "ELF";
}

}  // namespace

TEST_CASE("setup --capture-panics: crashkernel=, the boot unit, and undo takes them back",
          "[sysconf][setup][capture]") {
  Machine m("capture-kernel-loaded");
  unloaded_crash_slot(m);
  m.capture = true;
  const auto tree0 = m.tree();
  auto tx = m.plan();
  REQUIRE(tx);
  CHECK(tx->config.crashkernel == "128M");
  CHECK(tx->state.cmdline.find("crashkernel=128M") != std::string::npos);
  std::map<std::string, std::string> files;
  for (const auto& f : tx->files.files) files[f.path] = f.content;
  REQUIRE(files.count(kCaptureUnitPath));
  REQUIRE(files.count(kCaptureWantsPath));
  CHECK(files[kCaptureUnitPath].find("ExecStart=/usr/sbin/pstore-blk capture-load "
                                     "/dev/disk/by-partuuid/" +
                                     tx->config.partuuid + "\n") != std::string::npos);
  CHECK(files[kCaptureWantsPath].find("Wants=pstore-blk-capture.service") != std::string::npos);
  REQUIRE(files.count(kGrubDropinPath));
  CHECK(files[kGrubDropinPath].find("crashkernel=128M") != std::string::npos);

  REQUIRE(setup(m, std::nullopt));
  auto st = m.state();
  REQUIRE(st);
  CHECK(captures_panics(*st));
  CHECK(slurp(m.root + kCaptureUnitPath) == files[kCaptureUnitPath]);
  // A re-run finds nothing to change.
  auto again = m.plan();
  REQUIRE(again);
  CHECK(again->nothing_to_do());
  REQUIRE(undo(m, true));
  CHECK(m.tree() == tree0);
}

TEST_CASE("setup --capture-panics refuses where a capture kernel cannot work",
          "[sysconf][setup][capture]") {
  auto refused = [](Machine& m, const std::string& why) {
    m.capture = true;
    auto tx = m.plan();
    REQUIRE_FALSE(tx);
    CAPTURE(tx.error().message());
    CHECK(tx.error().message().find(why) != std::string::npos);
  };
  {
    Machine m("kdump-loaded");
    refused(m, "kdump-tools is enabled");
  }
  {
    Machine m("kdump-loaded");
    fs::remove(m.root + "/etc/default/kdump-tools");
    refused(m, "a crash kernel is loaded already, not by pstore-blk");
  }
  {
    Machine m("debian-6.12-efi-pstore");  // its config excerpt has no KEXEC lines
    refused(m, "needs CONFIG_KEXEC_FILE=y and CONFIG_CRASH_DUMP=y");
  }
  {
    Machine m("capture-kernel-loaded");
    unloaded_crash_slot(m);
    fs::remove(m.root + "/usr/bin/busybox");
    refused(m, "install busybox-static");
  }
  {
    Machine m("capture-kernel-loaded");
    unloaded_crash_slot(m);
    std::ofstream(m.root + "/proc/meminfo") << "MemTotal:         393216 kB\n";
    refused(m, "384 MiB of memory");
  }
  {
    // Without the flag none of this is looked at.
    Machine m("kdump-loaded");
    auto tx = m.plan();
    REQUIRE(tx);
    CHECK(tx->config.crashkernel.empty());
  }
}
