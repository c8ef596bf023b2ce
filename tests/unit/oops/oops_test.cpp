// parse_crash() pieces, the signature normalisation and CrashGroups, on
// small texts written here (the corpus test covers whole reports).
#include "pstore_blk/oops/oops.hpp"

#include <string>

#include "psb_catch.hpp"

using namespace psb::oops;

namespace {

// A NULL-dereference oops in the 6.1 x86_64 wording with the variable parts
// (timestamps, PID, addresses, offsets) as parameters.
std::string null_oops(const std::string& fn, double t, int pid, const std::string& off,
                      const std::string& caller = "fooblk_submit") {
  char ts[32];
  std::snprintf(ts, sizeof ts, "[%12.6f] ", t);
  std::string p = std::string("<4>") + ts;
  std::string s = "Oops#1 Part1\n";
  s += "<1>" + std::string(ts) + "BUG: kernel NULL pointer dereference, address: 00000000000000" +
       std::to_string(10 + pid % 80) + "\n";
  s += p + "Oops: 0000 [#1] PREEMPT SMP PTI\n";
  s += p + "CPU: " + std::to_string(pid % 4) + " PID: " + std::to_string(pid) +
       " Comm: fio Tainted: G           OE      6.1.0-18-amd64 #1  Debian 6.1.76-1\n";
  s += p + "RIP: 0010:" + fn + off + " [fooblk]\n";
  s += p + "RSP: 0018:ffffb1c2c0d4fd48 EFLAGS: 00010246\n";
  s += p + "Call Trace:\n";
  s += p + " <TASK>\n";
  s += p + " ? __die+0x23/0x70\n";
  s += p + " " + caller + off + " [fooblk]\n";
  s += p + " submit_bio_noacct+0x1b2/0x5a0\n";
  s += p + " ext4_io_submit+0x24/0x40 [ext4]\n";
  s += p + " ext4_writepages+0x5e3/0x1000 [ext4]\n";
  s += p + " </TASK>\n";
  s += p + "---[ end trace 0000000000000000 ]---\n";
  return s;
}

}  // namespace

TEST_CASE("parse_frame reads %pS symbols and rejects addresses", "[oops]") {
  auto f = parse_frame("psb_do_null+0x17/0x23 [psb_oops]");
  REQUIRE(f);
  CHECK(f->function == "psb_do_null");
  CHECK(f->offset == "+0x17/0x23");
  CHECK(f->module == "psb_oops");
  CHECK(f->display() == "psb_do_null+0x17/0x23 [psb_oops]");
  CHECK(f->normalized() == "psb_do_null [psb_oops]");

  auto k = parse_frame("  ret_from_fork+0x1f/0x30");
  REQUIRE(k);
  CHECK(k->module.empty());
  CHECK(k->normalized() == "ret_from_fork");

  // CONFIG_STACKTRACE_BUILD_ID prints "[mod buildid]".
  auto b = parse_frame("foo+0x1/0x2 [bar 0123456789abcdef0123456789abcdef01234567]");
  REQUIRE(b);
  CHECK(b->module == "bar");

  CHECK_FALSE(parse_frame("0x47b7a0"));
  CHECK_FALSE(parse_frame("ffffffffc0a01000"));
  CHECK_FALSE(parse_frame(""));
  CHECK_FALSE(parse_frame("Unable to access opcode bytes at 0x7f1f3cabc2c9."));
}

TEST_CASE("clone suffixes are dropped from the normalised name", "[oops]") {
  CHECK(strip_clone_suffix("trigger_store.cold") == "trigger_store");
  CHECK(strip_clone_suffix("barfs_split_extent.isra.0") == "barfs_split_extent");
  CHECK(strip_clone_suffix("f.constprop.0.isra.0") == "f");
  CHECK(strip_clone_suffix("g.llvm.12345678") == "g");
  CHECK(strip_clone_suffix("plain") == "plain");
  CHECK(strip_clone_suffix(".hidden") == ".hidden");
}

TEST_CASE("group ids: the top 48 bits of the signature's FNV-1a 64", "[oops]") {
  CHECK(short_hex(0x85944171f73967e8ULL) == "85944171f739");
}

TEST_CASE("log prefixes: syslog level, timestamp and caller id are optional", "[oops]") {
  const std::string bodies[] = {
      "<4>[  812.161475] ",
      "[  812.161475] ",
      "<4>[  812.161475][ T2291] ",
      "",
  };
  for (const auto& pre : bodies) {
    std::string text = pre + "kernel BUG at mm/slub.c:12!\n" + pre +
                       "CPU: 3 PID: 2291 Comm: kworker/3:2 Not tainted 6.1.0-18-amd64 #1\n" + pre +
                       "RIP: 0010:kfree+0x3c/0x1f0\n";
    auto s = parse_crash(text);
    INFO(pre);
    CHECK(s.kind == CrashKind::kBug);
    REQUIRE(s.function);
    CHECK(s.function->function == "kfree");
    CHECK(s.comm == "kworker/3:2");
    CHECK(s.pid == 2291);
    CHECK(s.release == "6.1.0-18-amd64");
    REQUIRE(s.taint);
    CHECK(s.taint->empty());
    if (!pre.empty()) {
      REQUIRE(s.uptime);
      CHECK(*s.uptime == Approx(812.161475));
    }
  }
}

TEST_CASE("the last report in a record is the one that caused the dump", "[oops]") {
  std::string text = null_oops("fooblk_queue_rq", 10.5, 100, "+0x3c/0x1f0");
  text += "<2>[   20.000001] kernel BUG at fs/barfs/extent.c:1187!\n";
  text += "<4>[   20.000002] invalid opcode: 0000 [#2] PREEMPT SMP NOPTI\n";
  text +=
      "<4>[   20.000003] CPU: 1 PID: 7 Comm: rsync Tainted: G      D    OE      6.1.0-18-amd64 "
      "#1\n";
  text += "<4>[   20.000004] RIP: 0010:barfs_split_extent+0x2e1/0x2f0 [barfs]\n";
  auto s = parse_crash(text);
  CHECK(s.kind == CrashKind::kBug);
  CHECK(s.reports == 2);
  REQUIRE(s.function);
  CHECK(s.function->normalized() == "barfs_split_extent [barfs]");
  CHECK(s.comm == "rsync");
  CHECK(s.taint == "GDOE");
  CHECK(s.headline == "kernel BUG at fs/barfs/extent.c:1187!");
}

TEST_CASE("a die line after a NULL-deref headline refines it, not replaces it", "[oops]") {
  auto s = parse_crash(null_oops("fooblk_queue_rq", 1.0, 42, "+0x3c/0x1f0"));
  CHECK(s.kind == CrashKind::kNullDeref);
  CHECK(s.reports == 1);
  CHECK(s.headline.rfind("BUG: kernel NULL pointer dereference", 0) == 0);
  REQUIRE(s.frames.size() == 3);
  CHECK(s.frames[0].normalized() == "fooblk_submit [fooblk]");  // "? __die" is unreliable
  CHECK(s.frames[2].normalized() == "ext4_io_submit [ext4]");
}

TEST_CASE("a bare die line is an Oops", "[oops]") {
  auto s = parse_crash("Oops: 0000 [#1] SMP\nRIP: 0010:foo+0x1/0x2\n");
  CHECK(s.kind == CrashKind::kOops);
  REQUIRE(s.function);
  CHECK(s.function->function == "foo");
}

TEST_CASE("text with no report gives kind none and still a signature", "[oops]") {
  auto s = parse_crash("<6>[    1.0] hello\n<6>[    2.0] reboot: Power down\n");
  CHECK(s.kind == CrashKind::kNone);
  CHECK(s.reports == 0);
  CHECK(s.signature == "none||");
  CHECK(s.group_id().size() == 12);
  CHECK(parse_crash("").kind == CrashKind::kNone);
  std::string junk(4096, '\0');
  for (std::size_t i = 0; i < junk.size(); ++i) junk[i] = static_cast<char>((i * 131) & 0xff);
  CHECK(parse_crash(junk).kind == CrashKind::kNone);
}

TEST_CASE("a truncated record parses as far as it goes", "[oops]") {
  const std::string full = null_oops("fooblk_queue_rq", 1.0, 42, "+0x3c/0x1f0");
  for (std::size_t n = 0; n <= full.size(); ++n) {
    auto s = parse_crash(std::string_view(full).substr(0, n));
    CHECK(s.frames.size() <= kSignatureFrames);
  }
  auto cut = parse_crash(full.substr(0, full.find("RIP:")));
  CHECK(cut.kind == CrashKind::kNullDeref);
  CHECK_FALSE(cut.function);
}

TEST_CASE("signatures ignore addresses, offsets, PIDs and timestamps", "[oops]") {
  auto a = parse_crash(null_oops("fooblk_queue_rq", 812.1, 2291, "+0x3c/0x1f0"));
  auto b = parse_crash(null_oops("fooblk_queue_rq", 3.5, 17, "+0x40/0x200"));
  CHECK(a.signature == b.signature);
  CHECK(a.group_id() == b.group_id());
  CHECK(a.pid != b.pid);

  auto other_fn = parse_crash(null_oops("fooblk_complete_rq", 3.5, 17, "+0x40/0x200"));
  CHECK(other_fn.signature != a.signature);
  CHECK(other_fn.group_id() != a.group_id());

  auto other_path =
      parse_crash(null_oops("fooblk_queue_rq", 3.5, 17, "+0x40/0x200", "fooblk_flush"));
  CHECK(other_path.group_id() != a.group_id());
}

TEST_CASE("CrashGroups counts, keeps first/last time, sources and states", "[oops]") {
  CrashGroups g;
  auto a = parse_crash(null_oops("fooblk_queue_rq", 812.1, 2291, "+0x3c/0x1f0"));
  auto b = parse_crash(null_oops("fooblk_queue_rq", 3.5, 17, "+0x40/0x200"));
  auto c = parse_crash(null_oops("fooblk_complete_rq", 3.5, 17, "+0x40/0x200"));
  CHECK(g.add(a, "m1.img", 1700000300, "compressed") == a.group_id());
  g.add(b, "m2.img", 1700000100, "erased");
  g.add(b, "m2.img", 1700000200, "compressed");
  g.add(c, "m3.img", std::nullopt, "uncompressed");
  CHECK(g.records() == 4);
  auto groups = g.sorted();
  REQUIRE(groups.size() == 2);
  const CrashGroup& top = *groups[0];
  CHECK(top.id == a.group_id());
  CHECK(top.count == 3);
  CHECK(top.first_time == 1700000100);
  CHECK(top.last_time == 1700000300);
  CHECK(top.source_count == 2);
  CHECK(top.sources == std::set<std::string>{"m1.img", "m2.img"});
  CHECK(top.releases == std::set<std::string>{"6.1.0-18-amd64"});
  CHECK(top.states.at("compressed") == 2);
  CHECK(top.states.at("erased") == 1);
  CHECK(groups[1]->count == 1);
  CHECK_FALSE(groups[1]->first_time);
}

TEST_CASE("CrashGroups caps the kept source names but counts them all", "[oops]") {
  CrashGroups g;
  auto a = parse_crash(null_oops("fooblk_queue_rq", 1.0, 1, "+0x1/0x2"));
  const std::size_t n = CrashGroups::kMaxGroupSources + 25;
  for (std::size_t i = 0; i < n; ++i) {
    g.add(a, "disk" + std::to_string(i), 1, "compressed");
    g.add(a, "disk" + std::to_string(i), 2, "compressed");
  }
  auto groups = g.sorted();
  REQUIRE(groups.size() == 1);
  CHECK(groups[0]->count == 2 * n);
  CHECK(groups[0]->sources.size() == CrashGroups::kMaxGroupSources);
  CHECK(groups[0]->source_count == n);
}
