// The capture table (which backend saves which crashes, now and at the next
// boot), the field traps and the capture change setup states, on the fake
// system trees of fixtures/systems/ (make-systems.sh, make-capture-systems.sh).
#include "pstore_blk/sysconf/capture.hpp"

#include "golden.hpp"
#include "psb_catch.hpp"
#include "pstore_blk/sysconf/check.hpp"
#include "pstore_blk/sysconf/config.hpp"

using namespace psb::sysconf;
using psb::io::RootFs;

namespace {

struct Tree {
  SystemFacts sf;
  CaptureFacts cf;
};

Tree tree(const std::string& name) {
  RootFs fs(psb::test::source_path("fixtures/systems/" + name));
  return {probe_system(fs, read_kernel_log(fs)), probe_capture(fs)};
}

CaptureTable table(const std::string& name, const std::string& device = "") {
  auto t = tree(name);
  return capture_table(t.sf, t.cf, device);
}

// const char*, not std::string: g++ 14's -Wdangling-reference flags a reference
// returned from a call that was given a temporary string.
const BackendRow& row(const CaptureTable& t, const char* name) {
  const BackendRow* r = t.row(name);
  REQUIRE(r != nullptr);
  return *r;
}

std::vector<std::string> trap_ids(const CaptureTable& t) {
  std::vector<std::string> ids;
  for (const auto& x : t.traps) ids.push_back(x.id + "@" + x.where);
  return ids;
}

bool has(const std::string& s, const std::string& part) {
  return s.find(part) != std::string::npos;
}

// The files `setup DEVICE` would write, as (path, content) pairs.
std::vector<std::pair<std::string, std::string>> setup_files(const Tree& t,
                                                             const std::string& name) {
  SetupPlan plan;
  plan.device = "/dev/vda2";
  plan.partuuid = "5053422d-0002-4000-8000-000000000007";
  REQUIRE(decide_mode(t.sf, plan));
  RootFs fs(psb::test::source_path("fixtures/systems/" + name));
  std::vector<std::pair<std::string, std::string>> files;
  for (const auto& f : plan_config(t.sf, plan, fs).files) files.emplace_back(f.path, f.content);
  return files;
}

}  // namespace

TEST_CASE("efi-pstore-6.12: efi_pstore holds the slot and saves panics", "[sysconf][capture]") {
  auto t = table("efi-pstore-6.12");
  REQUIRE(t.rows.size() == 5);
  const auto& efi = row(t, "efi_pstore");
  CHECK(efi.registers_as == "efi_pstore");  // 6.12 name
  CHECK(efi.available);
  CHECK(efi.active);
  CHECK(efi.next_boot);
  CHECK(efi.oops);
  CHECK(efi.panic);
  CHECK(efi.survives_power_off);
  CHECK(efi.record_bytes == 10240);
  CHECK(efi.location == "EFI variables");
  CHECK(efi.reason().empty());
  const auto& blk = row(t, "pstore_blk");
  CHECK(blk.available);
  CHECK_FALSE(blk.active);
  CHECK(blk.reason_for("active") == "the slot is held by efi_pstore");
  CHECK(blk.reason_for("next_boot") == "no pstore_blk.blkdev is configured");
  CHECK(blk.oops);
  CHECK_FALSE(blk.panic);
  CHECK(has(blk.reason_for("panic"), "no panic_write"));
  CHECK(blk.record_bytes == 64 * 1024);
  const auto& ram = row(t, "ramoops");
  CHECK(ram.available);
  CHECK(ram.panic);
  CHECK_FALSE(ram.survives_power_off);
  CHECK(has(ram.reason_for("next_boot"), "reserve_mem="));
  CHECK(row(t, "erst").reason() == "the firmware has no ACPI ERST table");
  CHECK(row(t, "mtdpstore").reason() == "CONFIG_MTD_PSTORE is not set");

  CHECK(t.now.oops_by == "efi_pstore");
  CHECK(t.now.panic_by == "efi_pstore");
  CHECK(describe(t.now) == "panics and oopses are saved by efi_pstore (EFI variables)");
  CHECK(t.traps.empty());
  // Panics: ramoops through reserve_mem, sized from kmsg_bytes (10240 -> 16 KiB records).
  CHECK(t.ramoops.possible);
  CHECK(t.ramoops.params ==
        "reserve_mem=2M:4096:oops ramoops.mem_name=oops ramoops.record_size=16384 "
        "pstore.backend=ramoops");
  CHECK(t.panic_timeout == 0);
  CHECK_FALSE(t.reboot_on_panic_configured);
  REQUIRE(t.recommendation.size() >= 3);
  CHECK(has(t.recommendation[1], "efi_pstore already saves panics and oopses"));
  CHECK(has(t.recommendation.back(), "hangs until someone power-cycles it"));
}

TEST_CASE("setup wording: efi_pstore gives way to pstore_blk", "[sysconf][capture]") {
  auto t = tree("efi-pstore-6.12");
  auto before = capture_table(t.sf, t.cf, "/dev/vda2");
  auto after_cf = with_config_files(t.cf, setup_files(t, "efi-pstore-6.12"));
  auto after = capture_table(t.sf, after_cf, "/dev/vda2");
  CHECK(row(after, "pstore_blk").next_boot);
  CHECK_FALSE(row(after, "efi_pstore").next_boot);
  CHECK(has(row(after, "efi_pstore").reason_for("next_boot"), "efi_pstore.pstore_disable=1"));
  auto change = capture_change(before, after);
  CHECK(change.sentence ==
        "today: panics and oopses are saved by efi_pstore (EFI variables); after setup: oopses "
        "are saved by pstore_blk on /dev/vda2, panics are saved nowhere");
  CHECK(change.takes_panic_capture);
}

TEST_CASE("setup wording: nothing saves panics today, no flag needed", "[sysconf][capture]") {
  auto t = tree("debian-6.1-module");
  auto before = capture_table(t.sf, t.cf, "/dev/vda2");
  auto after = capture_table(t.sf, with_config_files(t.cf, setup_files(t, "debian-6.1-module")),
                             "/dev/vda2");
  auto change = capture_change(before, after);
  CHECK(change.sentence ==
        "today: neither oopses nor panics are saved; after setup: oopses are saved by "
        "pstore_blk on /dev/vda2, panics are saved nowhere");
  CHECK_FALSE(change.takes_panic_capture);
}

TEST_CASE("debian-6.1-module: no EFI, nothing registered", "[sysconf][capture]") {
  auto t = table("debian-6.1-module");
  const auto& efi = row(t, "efi_pstore");
  CHECK(efi.registers_as == "efi");  // 6.1 name
  CHECK_FALSE(efi.available);
  CHECK(efi.reason() == "no EFI firmware (/sys/firmware/efi is missing)");
  for (const auto& r : t.rows) {
    CHECK_FALSE(r.active);
    CHECK_FALSE(r.next_boot);
  }
  CHECK(row(t, "pstore_blk").reason_for("active") ==
        "not registered: no pstore_blk.blkdev is configured");
  CHECK(describe(t.now) == "neither oopses nor panics are saved");
  // 6.1 has no reserve_mem=: no ready-made ramoops parameters.
  CHECK_FALSE(t.ramoops.possible);
  CHECK(has(t.ramoops.why_not, "reserve_mem="));
}

TEST_CASE("builtin: pstore_blk built in and attached by PARTUUID", "[sysconf][capture]") {
  auto t = table("builtin");
  const auto& blk = row(t, "pstore_blk");
  CHECK(blk.build == Build::kBuiltin);
  CHECK(blk.active);
  CHECK(blk.next_boot);  // pstore_blk.blkdev= on the running command line
  CHECK(blk.location == "PARTUUID=5053422d-0002-4000-8000-000000000007");
  CHECK_FALSE(blk.panic);
  CHECK(row(t, "efi_pstore").reason() == "CONFIG_EFI_VARS_PSTORE is not set");
  CHECK(row(t, "ramoops").reason() == "CONFIG_PSTORE_RAM is not set");
  CHECK(describe(t.now) ==
        "oopses are saved by pstore_blk on PARTUUID=5053422d-0002-4000-8000-000000000007, "
        "panics are saved nowhere");
  CHECK(t.traps.empty());
}

TEST_CASE("mtdpstore-panic-write: flash with panic_write saves panics", "[sysconf][capture]") {
  auto t = table("mtdpstore-panic-write");
  const auto& mtd = row(t, "mtdpstore");
  CHECK(mtd.available);
  CHECK(mtd.active);
  CHECK(mtd.next_boot);
  CHECK(mtd.oops);
  CHECK(mtd.panic);
  CHECK(mtd.survives_power_off);
  CHECK(mtd.location == "MTD device pstore");
  // It registers as "pstore_blk", but the block path is not what holds the slot.
  const auto& blk = row(t, "pstore_blk");
  CHECK_FALSE(blk.active);
  CHECK(blk.reason_for("active") == "the slot is held by mtdpstore");
  CHECK(describe(t.now) == "panics and oopses are saved by mtdpstore on MTD device pstore");
  CHECK(t.panic_timeout == 5);
}

TEST_CASE("ramoops-reserve-mem: ramoops active, warm reboots only", "[sysconf][capture]") {
  auto t = table("ramoops-reserve-mem");
  const auto& ram = row(t, "ramoops");
  CHECK(ram.active);
  CHECK(ram.next_boot);
  CHECK(ram.panic);
  CHECK_FALSE(ram.survives_power_off);
  CHECK(ram.reason() == "RAM: kept across a warm reboot, lost at a power cycle");
  CHECK(ram.record_bytes == 16384);
  CHECK(ram.location == "RAM (reserve_mem=2M:4096:oops)");
  CHECK(row(t, "pstore_blk").reason_for("active") == "the slot is held by ramoops");
  CHECK(t.now.panic_by == "ramoops");
  CHECK(t.reboot_on_panic_configured);
  CHECK(t.ramoops.module_note.empty());  // modules-load.d already lists it
  CHECK(t.traps.empty());
}

TEST_CASE("ramoops loses the slot to efi_pstore without pstore.backend=", "[sysconf][capture]") {
  auto t = tree("efi-pstore-6.12");
  t.cf =
      with_config_files(t.cf, {{"/etc/default/grub.d/ramoops.cfg",
                                "GRUB_CMDLINE_LINUX=\"$GRUB_CMDLINE_LINUX reserve_mem=2M:4096:oops "
                                "ramoops.mem_name=oops\""},
                               {"/etc/modules-load.d/ramoops.conf", "ramoops\n"}});
  auto tab = capture_table(t.sf, t.cf, "");
  CHECK_FALSE(row(tab, "ramoops").next_boot);
  CHECK(has(row(tab, "ramoops").reason_for("next_boot"), "efi_pstore registers first"));
  t.cf = with_config_files(t.cf,
                           {{"/etc/default/grub.d/ramoops.cfg",
                             "GRUB_CMDLINE_LINUX=\"reserve_mem=2M:4096:oops ramoops.mem_name=oops "
                             "pstore.backend=ramoops\""}});
  tab = capture_table(t.sf, t.cf, "");
  CHECK(row(tab, "ramoops").next_boot);
  CHECK(row(tab, "efi_pstore").reason_for("next_boot") ==
        "pstore.backend=ramoops reserves the slot");
  CHECK(describe(tab.next) ==
        "panics and oopses are saved by ramoops (RAM (reserve_mem=2M:4096:oops))");
}

TEST_CASE("traps: each field trap, where it sits", "[sysconf][capture]") {
  auto t = table("traps");
  CHECK(trap_ids(t) == std::vector<std::string>{
                           "unprefixed_param@/proc/cmdline",
                           "unprefixed_param@/etc/default/grub (GRUB_CMDLINE_LINUX_DEFAULT)",
                           "blkdev_without_best_effort@/etc/modprobe.d/pstore.conf",
                           "panic_on_oops@/proc/sys/kernel/panic_on_oops",
                           "panic_on_oops@/proc/cmdline",
                           "panic_on_oops@/etc/default/grub (GRUB_CMDLINE_LINUX_DEFAULT)",
                           "panic_on_oops@/etc/sysctl.d/99-crash.conf",
                           "absent_frontend@/etc/modprobe.d/pstore.conf",
                       });
  CHECK(t.traps[0].text == "best_effort=y");
  CHECK(t.traps[0].fix == "write pstore_blk.best_effort=y");
  CHECK(t.traps[6].text == "kernel.panic_on_oops=1");
  CHECK(t.traps[7].text == "pstore_blk.console_size=64");
  const auto& blk = row(t, "pstore_blk");
  CHECK_FALSE(blk.next_boot);
  CHECK(has(blk.reason_for("next_boot"), "without best_effort=y"));
  CHECK_FALSE(blk.oops);  // panic_on_oops: every oops becomes an unsaved panic
  CHECK(blk.location == "/dev/nvme0n1p9");
  CHECK(has(t.recommendation[1], "Fix the 8 trap(s)"));
}

TEST_CASE("traps: the right spelling is no trap", "[sysconf][capture]") {
  auto t = tree("traps");
  t.sf.panic_on_oops = false;
  t.cf = with_config_files(
      t.cf,
      {{"/etc/default/grub", "GRUB_CMDLINE_LINUX_DEFAULT=\"quiet pstore_blk.best_effort=y\"\n"},
       {"/etc/modprobe.d/pstore.conf",
        "options pstore_blk blkdev=/dev/nvme0n1p9 kmsg_size=64 best_effort=y\n"},
       {"/etc/sysctl.d/99-crash.conf", "kernel.panic_on_oops = 0\n"}});
  // The running command line still carries the old words until a reboot.
  auto tab = capture_table(t.sf, t.cf, "");
  CHECK(trap_ids(tab) ==
        std::vector<std::string>{"unprefixed_param@/proc/cmdline", "panic_on_oops@/proc/cmdline"});
  CHECK(row(tab, "pstore_blk").next_boot);
}

TEST_CASE("reboot on panic: the sysctl.d file setup writes counts", "[sysconf][capture]") {
  const std::string text = render_reboot_on_panic(10);
  CHECK(text.find("\nkernel.panic = 10\n") != std::string::npos);
  auto t = tree("efi-pstore-6.12");
  CHECK_FALSE(capture_table(t.sf, t.cf, "").reboot_on_panic_configured);
  auto tab = capture_table(t.sf, with_config_files(t.cf, {{kSysctlPath, text}}), "");
  CHECK(tab.reboot_on_panic_configured);
  for (const auto& s : tab.recommendation) CHECK_FALSE(has(s, "hangs until"));
  // It changes nothing about which crashes are saved.
  auto change = plan_capture_change(t.sf, t.cf, {{kSysctlPath, text}}, "");
  CHECK_FALSE(change.takes_panic_capture);
  CHECK(change.sentence ==
        "today: panics and oopses are saved by efi_pstore (EFI variables); after setup: panics "
        "and oopses are saved by efi_pstore (EFI variables)");
}

TEST_CASE("capture table: pstore_blk saves panics only through a capture kernel it loaded",
          "[sysconf][capture]") {
  CHECK(row(table("capture-kernel-loaded"), "pstore_blk").panic);
  CHECK_FALSE(row(table("kdump-loaded"), "pstore_blk").panic);
  CHECK_FALSE(row(table("debian-6.12-efi-pstore"), "pstore_blk").panic);
}
