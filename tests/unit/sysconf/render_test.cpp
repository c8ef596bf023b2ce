// Every renderer against its golden text in fixtures/sysconf/.
#include "golden.hpp"
#include "psb_catch.hpp"
#include "pstore_blk/sysconf/plan.hpp"

using namespace psb::sysconf;
using psb::test::check_golden;

namespace {

SetupPlan module_plan() {
  SetupPlan p;
  p.mode = Mode::kModule;
  p.device = "/dev/vda2";
  p.partuuid = "5053422d-0002-4000-8000-000000000007";
  return p;
}

SetupPlan builtin_plan() {
  SetupPlan p = module_plan();
  p.mode = Mode::kBuiltin;
  p.pmsg_kib = 64;
  p.console_kib = 64;
  p.max_reason = 2;
  p.backend_on_cmdline = true;
  p.rival_note = "crash records in EFI variables (efi_pstore)";
  return p;
}

}  // namespace

TEST_CASE("render_modprobe_conf", "[sysconf]") {
  SetupPlan p = module_plan();
  SECTION("plain") { check_golden("modprobe-module.conf", render_modprobe_conf(p)); }
  SECTION("efi_pstore switched off") {
    p.disable_efi_pstore_module = true;
    p.rival_note = "crash records in EFI variables (efi_pstore)";
    check_golden("modprobe-module-efi.conf", render_modprobe_conf(p));
  }
  SECTION("all sizes") {
    p.pmsg_kib = 16;
    p.console_kib = 32;
    p.ftrace_kib = 8;
    p.max_reason = 3;
    check_golden("modprobe-module-sizes.conf", render_modprobe_conf(p));
    CHECK(render_module_options(p) ==
          "blkdev=/dev/disk/by-partuuid/5053422d-0002-4000-8000-000000000007 kmsg_size=64 "
          "pmsg_size=16 console_size=32 ftrace_size=8 max_reason=3 best_effort=y");
  }
  SECTION("pre-5.14 kernel: no best_effort") {
    p.best_effort = false;
    CHECK(render_module_options(p).find("best_effort") == std::string::npos);
  }
}

TEST_CASE("render_modules_load", "[sysconf]") {
  check_golden("modules-load.conf", render_modules_load(module_plan()));
}

TEST_CASE("render_cmdline_fragment", "[sysconf]") {
  CHECK(render_cmdline_fragment(module_plan()) == "");
  SetupPlan m = module_plan();
  m.backend_on_cmdline = true;
  CHECK(render_cmdline_fragment(m) == "pstore.backend=pstore_blk");
  CHECK(render_cmdline_fragment(builtin_plan()) ==
        "pstore_blk.blkdev=PARTUUID=5053422d-0002-4000-8000-000000000007 pstore_blk.kmsg_size=64 "
        "pstore_blk.pmsg_size=64 pstore_blk.console_size=64 pstore_blk.max_reason=2 "
        "pstore_blk.best_effort=y pstore.backend=pstore_blk");
}

TEST_CASE("render_grub_dropin", "[sysconf]") {
  check_golden("grub-builtin.cfg", render_grub_dropin(builtin_plan()));
}

TEST_CASE("render_kernel_cmdline", "[sysconf]") {
  SetupPlan p = builtin_plan();
  SECTION("from /proc/cmdline: BOOT_IMAGE and old pstore words dropped") {
    std::string out = render_kernel_cmdline(
        p, "BOOT_IMAGE=/vmlinuz root=/dev/vda1 pstore_blk.blkdev=/dev/sda9 ro quiet\n");
    check_golden("kernel-cmdline-builtin", out);
  }
  SECTION("idempotent") {
    std::string once = render_kernel_cmdline(p, "root=/dev/vda1 ro");
    CHECK(render_kernel_cmdline(p, once) == once);
  }
}

TEST_CASE("render_pstore_dropin", "[sysconf]") {
  check_golden("systemd-pstore-dropin.conf", render_pstore_dropin(module_plan()));
}

TEST_CASE("max_reason names", "[sysconf]") {
  CHECK(max_reason_from_name("panic") == 1);
  CHECK(max_reason_from_name("oops") == 2);
  CHECK(max_reason_from_name("emerg") == 3);
  CHECK(max_reason_from_name("shutdown") == 4);
  CHECK_FALSE(max_reason_from_name("halt"));
  CHECK(std::string(max_reason_name(2)) == "oops");
}
