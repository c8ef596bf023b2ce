// Linux 6.12 (Debian 13) facts and decisions on the fake tree
// fixtures/systems/debian-6.12-efi-pstore (make-systems.sh), against the 6.1
// tree efi-pstore-holds-backend: the refusal's two wordings and errnos, the
// backend names "efi_pstore" and "efi", the runtime pstore_disable switch,
// and no zones for front-ends the kernel lacks.
#include <cerrno>

#include "golden.hpp"
#include "psb_catch.hpp"
#include "pstore_blk/sysconf/check.hpp"
#include "pstore_blk/sysconf/config.hpp"

using namespace psb::sysconf;
using psb::io::RootFs;

namespace {

SystemFacts facts_of(const std::string& tree) {
  RootFs fs(psb::test::source_path("fixtures/systems/" + tree));
  return probe_system(fs, read_kernel_log(fs));
}

std::string oops_reason(const SystemFacts& sf) {
  for (const auto& v : judge(sf, nullptr, effective_sizes(sf, nullptr)))
    if (v.kind == "oops") return v.reason;
  return "";
}

}  // namespace

TEST_CASE("find_backend_refusal: 6.1 EPERM and 6.12 EBUSY wordings", "[sysconf][linux612]") {
  auto r61 = find_backend_refusal(
      "[    3.4] pstore_zone: registered pstore_blk as backend for kmsg(Oops)\n"
      "[    3.4] pstore: ignoring unexpected backend 'pstore_blk'\n");
  REQUIRE(r61);
  CHECK(r61->refused == "pstore_blk");
  CHECK(r61->holder.empty());
  CHECK(r61->error == EPERM);
  CHECK(r61->line == "[    3.4] pstore: ignoring unexpected backend 'pstore_blk'");

  auto r612 = find_backend_refusal(
      "pstore: backend 'efi_pstore' already in use: ignoring 'pstore_blk'\r\n");
  REQUIRE(r612);
  CHECK(r612->refused == "pstore_blk");
  CHECK(r612->holder == "efi_pstore");
  CHECK(r612->error == EBUSY);
  CHECK(r612->line == "pstore: backend 'efi_pstore' already in use: ignoring 'pstore_blk'");

  // The last one counts; truncated lines and other pstore lines are not refusals.
  auto last = find_backend_refusal(
      "pstore: ignoring unexpected backend 'ramoops'\n"
      "pstore: backend 'erst' already in use: ignoring 'pstore_blk'\n"
      "pstore: backend 'efi_pstore' already in use: ignoring 'pstore_\n");
  REQUIRE(last);
  CHECK(last->holder == "erst");
  CHECK_FALSE(
      find_backend_refusal("pstore: Registered efi_pstore as persistent store backend\n"
                           "pstore: backend 'x' already in use\n"));
  CHECK_FALSE(find_backend_refusal(""));
}

TEST_CASE("debian-6.12-efi-pstore: facts of a Debian 13 OVMF machine", "[sysconf][linux612]") {
  auto sf = facts_of("debian-6.12-efi-pstore");
  CHECK(sf.kernel_release == "6.12.118+deb13-amd64");
  CHECK(sf.kernel_major == 6);
  CHECK(sf.kernel_minor == 12);
  CHECK(sf.pstore_blk.build == Build::kModule);
  // merged /usr: /lib is a link to usr/lib, modules are .ko.xz
  CHECK(sf.pstore_blk.ko_path ==
        "/lib/modules/6.12.118+deb13-amd64/kernel/fs/pstore/pstore_blk.ko.xz");
  CHECK(sf.systemd_pstore);
  CHECK_FALSE(sf.has_pmsg);
  CHECK_FALSE(sf.has_console);
  CHECK_FALSE(sf.has_ftrace);
  CHECK(sf.active_backend() == "efi_pstore");
  REQUIRE_FALSE(sf.rivals.empty());
  const auto& efi = sf.rivals[0];
  CHECK(efi.module == "efi_pstore");
  CHECK(efi.backend_name == "efi_pstore");
  CHECK(efi.loaded);
  CHECK(efi.will_register);
  CHECK(efi.runtime_switch == "/sys/module/efi_pstore/parameters/pstore_disable");
  REQUIRE(sf.refusal);
  CHECK(sf.refusal->error == EBUSY);
  CHECK(sf.refusal->holder == "efi_pstore");

  CHECK(oops_reason(sf) ==
        "backend 'efi_pstore' holds the single pstore slot; oopses go there, not to pstore_blk; "
        "the kernel refused pstore_blk (EBUSY): [    3.208201] pstore: backend 'efi_pstore' "
        "already in use: ignoring 'pstore_blk'");

  SetupPlan plan;
  REQUIRE(decide_mode(sf, plan));
  CHECK(plan.mode == Mode::kModule);
  CHECK(plan.disable_efi_pstore_module);
  CHECK(render_modprobe_conf(plan).find("options efi_pstore pstore_disable=1") !=
        std::string::npos);
}

TEST_CASE("6.1 tree: backend 'efi', EPERM refusal, switch present too", "[sysconf][linux612]") {
  auto sf = facts_of("efi-pstore-holds-backend");
  CHECK(sf.rivals[0].backend_name == "efi");
  REQUIRE(sf.refusal);
  CHECK(sf.refusal->error == EPERM);
  CHECK(sf.refusal->holder.empty());
  // 6.1's pstore_disable is 0644 as well but only read at module init:
  // setup --now tries it and falls back to rmmod when efi still holds the slot.
  CHECK(sf.rivals[0].runtime_switch == "/sys/module/efi_pstore/parameters/pstore_disable");
  CHECK(oops_reason(sf).find("the kernel refused pstore_blk (EPERM): [    3.402230] pstore: "
                             "ignoring unexpected backend 'pstore_blk'") != std::string::npos);
}

TEST_CASE("no zones for front-ends the kernel lacks", "[sysconf][linux612]") {
  for (const char* tree : {"debian-6.12-efi-pstore", "debian-6.1-module"}) {
    INFO(tree);
    auto sf = facts_of(tree);
    {
      SetupPlan plan;
      plan.pmsg_kib = 16;
      auto r = decide_mode(sf, plan);
      REQUIRE_FALSE(r);
      CHECK(r.error().message().find("--pmsg-size needs CONFIG_PSTORE_PMSG") != std::string::npos);
    }
    for (int which = 0; which < 3; ++which) {
      SetupPlan plan;
      (which == 0 ? plan.pmsg_kib : which == 1 ? plan.console_kib : plan.ftrace_kib) = 4;
      CHECK_FALSE(decide_mode(sf, plan));
    }
    SetupPlan zero;
    zero.pmsg_kib = 0;
    zero.console_kib = 0;
    zero.ftrace_kib = 0;
    REQUIRE(decide_mode(sf, zero));
    CHECK_FALSE(zero.pmsg_kib);
    CHECK_FALSE(zero.console_kib);
    CHECK_FALSE(zero.ftrace_kib);
    const std::string conf = render_modprobe_conf(zero);
    CHECK(conf.find("pmsg_size") == std::string::npos);
    CHECK(conf.find("console_size") == std::string::npos);
    CHECK(conf.find("ftrace_size") == std::string::npos);
  }
  // A kernel with every front-end keeps the zones.
  auto sf = facts_of("builtin");
  SetupPlan plan;
  plan.pmsg_kib = 16;
  plan.console_kib = 8;
  REQUIRE(decide_mode(sf, plan));
  CHECK(plan.pmsg_kib == 16);
  CHECK(plan.console_kib == 8);
}
