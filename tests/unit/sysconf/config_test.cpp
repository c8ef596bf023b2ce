// plan_config and the state file: which files, what a re-run keeps
// disabling. Setup and undo as a whole are in setup_test.cpp.
#include "pstore_blk/sysconf/config.hpp"

#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "fake_runner.hpp"
#include "fake_writer.hpp"
#include "golden.hpp"
#include "psb_catch.hpp"
#include "temp_dir.hpp"

using namespace psb::sysconf;
using psb::io::RootFs;
namespace fs = std::filesystem;

namespace {

SystemFacts facts_of(const std::string& tree) {
  RootFs r(psb::test::source_path("fixtures/systems/" + tree));
  return probe_system(r, "");
}

SetupPlan plan_for(const SystemFacts& sf) {
  SetupPlan p;
  p.device = "/dev/vda2";
  p.partuuid = "5053422d-0002-4000-8000-000000000007";
  REQUIRE(decide_mode(sf, p));
  return p;
}

struct TempRoot {
  psb::test::TempDir tmp{"psb-root"};
  std::string path = tmp.path();
  explicit TempRoot(const std::string& tree) {
    fs::copy(psb::test::source_path("fixtures/systems/" + tree), path, fs::copy_options::recursive);
  }
  std::string read(const std::string& abs) const {
    std::ifstream in(path + abs);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }
};

}  // namespace

TEST_CASE("module setup on Debian: modprobe.d, modules-load.d, systemd-pstore drop-in",
          "[sysconf]") {
  auto sf = facts_of("debian-6.1-module");
  auto p = plan_for(sf);
  RootFs root(psb::test::source_path("fixtures/systems/debian-6.1-module"));
  auto cp = plan_config(sf, p, root);
  REQUIRE(cp.files.size() == 3);
  CHECK(cp.files[0].path == kModprobePath);
  CHECK(cp.files[1].path == kModulesLoadPath);
  CHECK(cp.files[2].path == kPstoreDropinPath);
  CHECK(cp.commands.empty());
  CHECK(cp.manual_cmdline.empty());
  CHECK(cp.changes());

  for (const auto& f : cp.files) CHECK_FALSE(f.old);
}

TEST_CASE("the state file round-trips; one without a phase is a complete setup", "[sysconf]") {
  State st;
  st.device = "/dev/vda2";
  st.files.push_back({kModprobePath, backup_path(kModprobePath), 0640});
  st.phase = kPhaseWiped;
  st.wiped = true;
  st.created_dirs = {"/var/lib/pstore-blk"};
  auto parsed = parse_state(render_state(st));
  REQUIRE(parsed);
  CHECK(parsed->device == "/dev/vda2");
  REQUIRE(parsed->files.size() == 1);
  CHECK(parsed->files[0].mode == 0640);
  CHECK(parsed->phase == kPhaseWiped);
  CHECK_FALSE(parsed->backups_done());
  CHECK(parsed->created_dirs == st.created_dirs);
  auto old = parse_state(R"({"version": 1, "device": "/dev/vda2", "partuuid": "x"})");
  REQUIRE(old);
  CHECK(old->complete());
  CHECK(old->wiped);
}

TEST_CASE("efi_pstore conflict on a module system goes to modprobe.d", "[sysconf]") {
  auto sf = facts_of("efi-pstore-holds-backend");
  auto p = plan_for(sf);
  RootFs root(psb::test::source_path("fixtures/systems/efi-pstore-holds-backend"));
  auto cp = plan_config(sf, p, root);
  REQUIRE(cp.files.size() == 3);
  CHECK(cp.files[0].old.has_value());  // an older hand-written pstore-blk.conf exists
  CHECK(cp.files[0].content.find("options efi_pstore pstore_disable=1") != std::string::npos);
  bool told = false;
  for (const auto& n : cp.notes) told |= n.find("EFI variables") != std::string::npos;
  CHECK(told);
}

TEST_CASE("built-in with kernel-install: /etc/kernel/cmdline", "[sysconf]") {
  auto sf = facts_of("builtin");
  auto p = plan_for(sf);
  RootFs root(psb::test::source_path("fixtures/systems/builtin"));
  auto cp = plan_config(sf, p, root);
  REQUIRE(cp.files.size() == 1);
  CHECK(cp.files[0].path == kKernelCmdlinePath);
  CHECK(cp.files[0].content ==
        "console=ttyS0 root=/dev/vda1 "
        "pstore_blk.blkdev=PARTUUID=5053422d-0002-4000-8000-000000000007 "
        "pstore_blk.kmsg_size=64 pstore_blk.best_effort=y\n");
}

TEST_CASE("built-in with GRUB: drop-in plus update-grub; unknown loader: printed", "[sysconf]") {
  auto sf = facts_of("debian-6.1-module");
  sf.pstore_blk.build = Build::kBuiltin;
  auto p = plan_for(sf);
  RootFs root(psb::test::source_path("fixtures/systems/debian-6.1-module"));
  auto cp = plan_config(sf, p, root);
  bool grub = false;
  for (const auto& f : cp.files) grub |= f.path == kGrubDropinPath;
  CHECK(grub);
  REQUIRE(cp.commands.size() == 1);
  CHECK(cp.commands[0] == std::vector<std::string>{"update-grub"});
  CHECK(cp.undo_commands == cp.commands);

  sf.bootloader = Bootloader::kUnknown;
  auto cp2 = plan_config(sf, p, root);
  CHECK(cp2.manual_cmdline.find("pstore_blk.blkdev=PARTUUID=") == 0);
}

TEST_CASE("DryRunWriter and FakeRunner record, never act", "[sysconf]") {
  DryRunWriter w;
  REQUIRE(w.write("/etc/x", "abc", 0644));
  REQUIRE(w.remove("/etc/y"));
  CHECK(w.actions == std::vector<std::string>{"write /etc/x (3 bytes)", "remove /etc/y"});
  DryRunRunner r;
  REQUIRE(r.run({"modprobe", "pstore_blk", "blkdev=/dev/x y"}));
  CHECK(r.commands[0] == "modprobe pstore_blk 'blkdev=/dev/x y'");
  RealRunner real;
  auto out = real.run({"sh", "-c", "echo hi; exit 3"});
  REQUIRE(out);
  CHECK(out->status == 3);
  CHECK(out->output == "hi\n");
}

TEST_CASE("a re-run after --now unloaded efi_pstore keeps disabling it", "[sysconf]") {
  // Found by tests/vm/e2e-efi.sh: setup --now removed efi_pstore at run time,
  // and a second setup saw no rival any more (our own file disabled it) and
  // dropped the pstore_disable line, so the next boot gave the slot back.
  TempRoot tmp("efi-pstore-holds-backend");
  RootFs root(tmp.path);
  auto sf = probe_system(root, "");
  auto p = plan_for(sf);
  RealWriter w(tmp.path);
  auto cp = plan_config(sf, p, root);
  for (const auto& f : cp.files) REQUIRE(w.write(f.path, f.content, f.mode));

  // What --now leaves behind: efi_pstore unloaded, pstore_blk registered.
  fs::remove_all(tmp.path + "/sys/module/efi_pstore");
  std::ofstream(tmp.path + "/sys/module/pstore/parameters/backend") << "pstore_blk\n";
  auto sf2 = probe_system(root, "");
  CHECK(sf2.active_backend() == "pstore_blk");
  auto p2 = plan_for(sf2);
  auto cp2 = plan_config(sf2, p2, root);
  CHECK_FALSE(cp2.changes());
  CHECK(cp2.files[0].content.find("options efi_pstore pstore_disable=1") != std::string::npos);
}
