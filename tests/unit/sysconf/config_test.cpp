// plan_config / apply_config / undo_config: which files, backups once,
// re-runs change nothing, undo restores. Uses FakeWriter and real temp trees.
#include "pstore_blk/sysconf/config.hpp"

#include <unistd.h>

#include "psb_catch.hpp"
#include <filesystem>
#include <fstream>

#include "fake_runner.hpp"
#include "fake_writer.hpp"
#include "golden.hpp"

using namespace psb::sysconf;
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
  std::string path;
  TempRoot(const std::string& tree) {
    char tmpl[] = "/tmp/psb-root-XXXXXX";
    REQUIRE(mkdtemp(tmpl));
    path = tmpl;
    fs::copy(psb::test::source_path("fixtures/systems/" + tree), path, fs::copy_options::recursive);
  }
  ~TempRoot() { fs::remove_all(path); }
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

  psb::test::FakeWriter w;
  State st;
  st.device = "/dev/vda2";
  auto out = apply_config(cp, st, std::nullopt, w, root);
  REQUIRE(out);
  CHECK(w.files.count(kStatePath));
  CHECK(w.files[kModprobePath] == cp.files[0].content);
  CHECK(out->files.size() == 3);
  for (const auto& f : out->files) CHECK(f.backup.empty());
  auto parsed = parse_state(w.files[kStatePath]);
  REQUIRE(parsed);
  CHECK(parsed->files.size() == 3);
  CHECK(parsed->device == "/dev/vda2");
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

TEST_CASE("apply twice is a no-op; undo restores the replaced file", "[sysconf]") {
  TempRoot tmp("efi-pstore-holds-backend");
  RootFs root(tmp.path);
  auto sf = probe_system(root, "");
  auto p = plan_for(sf);
  const std::string original = tmp.read(kModprobePath);
  fs::permissions(tmp.path + kModprobePath, fs::perms(0640));

  RealWriter w(tmp.path);
  auto cp = plan_config(sf, p, root);
  REQUIRE(cp.changes());
  auto st = apply_config(cp, State{}, std::nullopt, w, root);
  REQUIRE(st);
  CHECK(tmp.read(kModprobePath) == cp.files[0].content);

  auto prior = load_state(root);
  REQUIRE(prior);
  REQUIRE(prior->has_value());
  auto cp2 = plan_config(sf, p, root);
  CHECK_FALSE(cp2.changes());
  auto st2 = apply_config(cp2, State{}, *prior, w, root);
  REQUIRE(st2);
  // The backup still holds the user's original, not our own output.
  REQUIRE(st2->files[0].backup.size());
  CHECK(tmp.read(st2->files[0].backup) == original);

  auto done = undo_config(*st2, w, root);
  REQUIRE(done);
  CHECK(tmp.read(kModprobePath) == original);
  // ... with the permissions it had.
  CHECK((fs::status(tmp.path + kModprobePath).permissions() & fs::perms::all) == fs::perms(0640));
  CHECK_FALSE(fs::exists(tmp.path + kPstoreDropinPath));
  CHECK_FALSE(fs::exists(tmp.path + kStatePath));
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
  REQUIRE(apply_config(cp, State{}, std::nullopt, w, root));

  // What --now leaves behind: efi_pstore unloaded, pstore_blk registered.
  fs::remove_all(tmp.path + "/sys/module/efi_pstore");
  { std::ofstream(tmp.path + "/sys/module/pstore/parameters/backend") << "pstore_blk\n"; }
  auto sf2 = probe_system(root, "");
  CHECK(sf2.active_backend() == "pstore_blk");
  auto p2 = plan_for(sf2);
  auto cp2 = plan_config(sf2, p2, root);
  CHECK_FALSE(cp2.changes());
  CHECK(cp2.files[0].content.find("options efi_pstore pstore_disable=1") != std::string::npos);
}
