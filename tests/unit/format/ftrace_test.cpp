#include "pstore_blk/format/ftrace.hpp"

#include "psb_catch.hpp"
#include "zone_builder.hpp"

using namespace psb::format;

TEST_CASE("per-CPU ftrace zones merge by counter like pstore_ftrace_combine_log()",
          "[format][ftrace]") {
  const Abi abi = GENERATE(Abi::x86_64(), Abi::i386());
  CAPTURE(abi.name);
  const std::size_t rs = abi.ftrace_record_size();
  auto rec = [&](std::uint64_t ip, std::uint64_t counter, unsigned cpu) {
    std::string r(rs, '\0');
    auto* p = reinterpret_cast<std::byte*>(r.data());
    if (abi.long_bytes == 8) {
      store_int<std::uint64_t>(p, ip, abi.endian);
      store_int<std::uint64_t>(p + 8, ip + 1, abi.endian);
    } else {
      store_int<std::uint32_t>(p, static_cast<std::uint32_t>(ip), abi.endian);
      store_int<std::uint32_t>(p + 4, static_cast<std::uint32_t>(ip + 1), abi.endian);
    }
    store_int<std::uint64_t>(p + 2 * abi.long_bytes, counter << 8 | cpu, abi.endian);
    return r;
  };
  // CPU0 has a leading partial record (a wrapped ring), CPU1 does not.
  std::string cpu0 =
      std::string(5, 'x') + rec(0x1000, 1, 0) + rec(0x1010, 4, 0) + rec(0x1020, 5, 0);
  std::string cpu1 = rec(0x2000, 2, 1) + rec(0x2010, 4, 1) + rec(0x2020, 9, 1);
  std::vector<FtraceRecord> m;
  ftrace_combine(m, cpu0, abi);
  ftrace_combine(m, cpu1, abi);
  REQUIRE(m.size() == 6);
  std::vector<std::uint64_t> ips;
  for (auto& r : m) ips.push_back(r.ip);
  // Ties (counter 4) go to the zone merged later: CPU1 first.
  CHECK(ips == std::vector<std::uint64_t>{0x1000, 0x2000, 0x2010, 0x1010, 0x1020, 0x2020});
  CHECK(ftrace_cpu(m[1], abi) == 1);
  CHECK(ftrace_counter(m[1], abi) == 2);
}

TEST_CASE("ftrace lines render like pstore_ftrace_seq_show()", "[format][ftrace]") {
  auto syms = SymbolTable::parse(
      "ffffffff81000000 T _stext\n"
      "ffffffff81000100 T __softirqentry_text_start\n"
      "ffffffff81000100 T __do_softirq\n"
      "ffffffff81000200 t call_cpuidle\n"
      "ffffffff81000300 T cpu_startup_entry\n"
      "ffffffff81000400 D some_data\n"
      "ffffffff81000500 T _etext\n");
  std::vector<FtraceRecord> recs = {{0xffffffff81000210, 0xffffffff810003b8, (5914676ull << 8) | 0},
                                    {0xffffffff81000100, 0xffffffff81000120, (7ull << 8) | 1}};
  const std::string out = render_ftrace(recs, Abi::x86_64(), &syms);
  CHECK(out ==
        "CPU:0 ts:5914676 ffffffff81000210  ffffffff810003b8  call_cpuidle <- "
        "cpu_startup_entry+0xb8/0x200\n"
        "CPU:1 ts:7 ffffffff81000100  ffffffff81000120  __do_softirq <- __do_softirq+0x20/0x100\n");
  const std::string bare = render_ftrace({recs[1]}, Abi::x86_64(), nullptr);
  CHECK(
      bare ==
      "CPU:1 ts:7 ffffffff81000100  ffffffff81000120  0xffffffff81000100 <- 0xffffffff81000120\n");
}
