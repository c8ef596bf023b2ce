// `check` facts and verdicts on the fake system trees in fixtures/systems/
// (regenerate them with fixtures/systems/make-systems.sh).
#include "pstore_blk/sysconf/check.hpp"

#include "golden.hpp"
#include "psb_catch.hpp"
#include "pstore_blk/sysconf/config.hpp"

using namespace psb::sysconf;
using psb::io::RootFs;

namespace {

SystemFacts facts_of(const std::string& tree) {
  RootFs fs(psb::test::source_path("fixtures/systems/" + tree));
  return probe_system(fs, read_kernel_log(fs));
}

const Verdict& verdict(const std::vector<Verdict>& v, const std::string& kind) {
  for (const auto& x : v)
    if (x.kind == kind) return x;
  FAIL("no verdict " << kind);
  return v.front();
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("debian-6.1-module: stock Debian, nothing configured", "[sysconf][check]") {
  auto sf = facts_of("debian-6.1-module");
  CHECK(sf.kernel_release == "6.1.0-56-amd64");
  CHECK(sf.config_source == "/boot/config-6.1.0-56-amd64");
  CHECK(sf.pstore.build == Build::kBuiltin);
  CHECK(sf.pstore_zone.build == Build::kModule);
  CHECK(sf.pstore_blk.build == Build::kModule);
  CHECK(sf.pstore_blk.ko_path == "/lib/modules/6.1.0-56-amd64/kernel/fs/pstore/pstore_blk.ko");
  CHECK_FALSE(sf.pstore_blk.loaded);
  CHECK_FALSE(sf.has_pmsg);
  CHECK_FALSE(sf.has_console);
  CHECK_FALSE(sf.has_ftrace);
  CHECK(sf.has_compress);
  CHECK(sf.cfg_kmsg_size == 64);
  CHECK(sf.active_backend().empty());
  CHECK(sf.pstore_mounted);
  CHECK(sf.pstore_mountpoint == "/sys/fs/pstore");
  CHECK(sf.systemd_pstore);
  CHECK_FALSE(sf.efi_firmware);
  CHECK(sf.bootloader == Bootloader::kGrub);
  CHECK(sf.needs_best_effort());
  CHECK(kernel_blockers(sf).empty());

  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  REQUIRE(v.size() == 5);
  CHECK_FALSE(verdict(v, "oops").yes);
  CHECK(has(verdict(v, "oops").reason, "not attached"));
  CHECK_FALSE(verdict(v, "panic").yes);
  CHECK(has(verdict(v, "panic").reason, "no panic_write; only mtdpstore devices do"));
  CHECK(verdict(v, "console").reason == "CONFIG_PSTORE_CONSOLE is not set in 6.1.0-56-amd64");
  CHECK(verdict(v, "pmsg").reason == "CONFIG_PSTORE_PMSG is not set in 6.1.0-56-amd64");
  CHECK(verdict(v, "ftrace").reason == "CONFIG_PSTORE_FTRACE is not set in 6.1.0-56-amd64");

  SetupPlan plan;
  REQUIRE(decide_mode(sf, plan));
  CHECK(plan.mode == Mode::kModule);
  CHECK(plan.best_effort);
  CHECK_FALSE(plan.disable_efi_pstore_module);  // BIOS machine: efi_pstore never registers
  CHECK_FALSE(plan.backend_on_cmdline);
}

TEST_CASE("efi-pstore-holds-backend: efi won the race", "[sysconf][check]") {
  auto sf = facts_of("efi-pstore-holds-backend");
  CHECK(sf.efi_firmware);
  CHECK(sf.active_backend() == "efi");
  REQUIRE_FALSE(sf.rivals.empty());
  CHECK(sf.rivals[0].module == "efi_pstore");
  CHECK(sf.rivals[0].backend_name == "efi");  // 6.1 name
  CHECK(sf.rivals[0].will_register);
  CHECK(sf.log_lines.size() == 4);
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK_FALSE(verdict(v, "oops").yes);
  // The hand-written modprobe.d file configures pstore_blk but leaves
  // efi_pstore enabled: the next boot is no better, and check says so.
  CHECK(verdict(v, "oops").reason ==
        "backend 'efi' holds the single pstore slot; oopses go there, not to pstore_blk; "
        "the kernel refused pstore_blk (EPERM): [    3.402230] pstore: ignoring unexpected "
        "backend 'pstore_blk'; pstore_blk is configured (modprobe.d) for "
        "/dev/disk/by-partuuid/5053422d-0002-4000-8000-000000000007, but 'efi' takes the slot "
        "again at the next boot: run `pstore-blk setup DEVICE`");

  SetupPlan plan;
  REQUIRE(decide_mode(sf, plan));
  CHECK(plan.disable_efi_pstore_module);
  CHECK_FALSE(plan.backend_on_cmdline);
  CHECK(has(plan.rival_note, "EFI variables"));
}

TEST_CASE("pstore-not-mounted: attached, but nobody mounts pstore", "[sysconf][check]") {
  auto sf = facts_of("pstore-not-mounted");
  CHECK_FALSE(sf.pstore_mounted);
  CHECK_FALSE(sf.systemd_pstore);
  CHECK(sf.pstore_blk.loaded);
  CHECK(sf.pstore_blk_attached());
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK(verdict(v, "oops").yes);
  CHECK(has(verdict(v, "oops").reason, "attached to /dev/disk/by-partuuid/"));
  CHECK(has(verdict(v, "panic").reason,
            "/dev/disk/by-partuuid/5053422d-0002-4000-8000-000000000007 has no panic_write"));
}

TEST_CASE("builtin: every front-end, attached by PARTUUID", "[sysconf][check]") {
  auto sf = facts_of("builtin");
  CHECK(sf.config_source == "/proc/config.gz");
  CHECK(sf.pstore_blk.build == Build::kBuiltin);
  CHECK(sf.pstore_zone.build == Build::kBuiltin);
  CHECK(sf.bootloader == Bootloader::kKernelInstall);
  CHECK(sf.records == std::vector<std::string>{"dmesg-pstore_blk-0"});
  auto sizes = effective_sizes(sf, nullptr);
  CHECK(sizes.console == 64);
  auto v = judge(sf, nullptr, sizes);
  CHECK(verdict(v, "oops").yes);
  CHECK_FALSE(verdict(v, "panic").yes);
  CHECK(verdict(v, "console").yes);
  CHECK(verdict(v, "pmsg").yes);
  CHECK(verdict(v, "ftrace").yes);

  SetupPlan plan;
  REQUIRE(decide_mode(sf, plan));
  CHECK(plan.mode == Mode::kBuiltin);
  CHECK_FALSE(plan.backend_on_cmdline);  // no EFI, no ERST, no ramoops here
}

TEST_CASE("no-pstore: kernel without CONFIG_PSTORE", "[sysconf][check]") {
  auto sf = facts_of("no-pstore");
  CHECK(sf.pstore.build == Build::kAbsent);
  CHECK(sf.pstore_blk.build == Build::kAbsent);
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  for (const auto& x : v) {
    CHECK_FALSE(x.yes);
    CHECK(x.reason == "CONFIG_PSTORE is not set in 6.1.0-custom");
  }
  SetupPlan plan;
  auto r = decide_mode(sf, plan);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == psb::Errc::kUnsupported);
}

TEST_CASE("an empty root cannot be judged", "[sysconf][check]") {
  RootFs fs("/nonexistent-root");
  auto sf = probe_system(fs, "");
  auto b = kernel_blockers(sf);
  REQUIRE(b.size() == 1);
  CHECK(has(b[0], "no kernel config found"));
}

TEST_CASE("parse_kernel_config", "[sysconf]") {
  auto c = parse_kernel_config("# comment\nCONFIG_A=y\n# CONFIG_B is not set\nCONFIG_C=\"x\"\n");
  CHECK(c.size() == 2);
  CHECK(c["CONFIG_A"] == "y");
  CHECK(c["CONFIG_C"] == "\"x\"");
}

TEST_CASE("configured but not attached yet: check says the next boot attaches", "[sysconf]") {
  // Found by tests/vm/e2e-debian.sh: after `setup` without --now, check
  // said "not attached to any device; run pstore-blk setup", as if nothing
  // had been set up.
  auto sf = facts_of("debian-6.1-module");
  sf.configured_blkdev = "/dev/disk/by-partuuid/5053422d-0002-4000-8000-000000000007";
  sf.configured_in = "modprobe.d";
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK_FALSE(verdict(v, "oops").yes);
  CHECK(verdict(v, "oops").reason.find("attaches at the next boot") != std::string::npos);

  // efi_pstore holds the slot now, but setup's own file disables it from the next boot on.
  auto e = facts_of("efi-pstore-holds-backend");
  for (auto& r : e.rivals)
    if (r.module == "efi_pstore") {
      r.disabled = r.disabled_by_setup = true;
      r.why = "pstore_disable=1 is set by pstore-blk setup";
    }
  auto v2 = judge(e, nullptr, effective_sizes(e, nullptr));
  CHECK(verdict(v2, "oops").reason.find("from the next boot on pstore_blk") != std::string::npos);
}

TEST_CASE("crash kernel slot: a capture kernel pstore-blk loaded saves panics",
          "[sysconf][check]") {
  auto sf = facts_of("capture-kernel-loaded");
  CHECK(sf.crash.kexec_file);
  CHECK(sf.crash.crash_dump);
  REQUIRE(sf.crash.loaded);
  CHECK(*sf.crash.loaded);
  CHECK(sf.crash.ours);
  CHECK(sf.crash.ours_device == "/dev/nvme0n1p9");
  CHECK(sf.crash.reserved == 128u << 20);
  CHECK(sf.crash.crashkernel == "crashkernel=128M");
  CHECK_FALSE(sf.crash.kdump_tools);
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK(verdict(v, "panic").yes);
  CHECK(has(verdict(v, "panic").reason,
            "capture kernel loaded (128 MiB reserved by crashkernel=128M)"));
  CHECK(has(verdict(v, "panic").reason, "/dev/nvme0n1p9"));
}

TEST_CASE("crash kernel slot: kdump's crash kernel takes the panic", "[sysconf][check]") {
  auto sf = facts_of("kdump-loaded");
  REQUIRE(sf.crash.loaded);
  CHECK(*sf.crash.loaded);
  CHECK_FALSE(sf.crash.ours);
  CHECK(sf.crash.kdump_tools);
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK_FALSE(verdict(v, "panic").yes);
  CHECK(has(verdict(v, "panic").reason, "not by pstore-blk (kdump-tools)"));
}

TEST_CASE("crash kernel slot: absent, or reserved with nothing loaded", "[sysconf][check]") {
  auto sf = facts_of("debian-6.1-module");
  CHECK_FALSE(sf.crash.loaded);
  CHECK_FALSE(sf.crash.ours);
  auto v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK_FALSE(verdict(v, "panic").yes);
  // A marker left without a loaded kernel (kexec unloaded it) is not trusted.
  sf = facts_of("capture-kernel-loaded");
  sf.crash.loaded = false;
  sf.crash.ours = false;
  v = judge(sf, nullptr, effective_sizes(sf, nullptr));
  CHECK_FALSE(verdict(v, "panic").yes);
  CHECK(has(verdict(v, "panic").reason, "none is loaded"));
}
