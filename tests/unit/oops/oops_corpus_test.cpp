// parse_crash() on whole reports: the hand-written corpus in
// fixtures/oops-corpus/ (one <case>.expected per <case>.txt) and the records
// real kernels wrote in fixtures/kernel/*/ (kernel-fixtures.expected).
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "psb_catch.hpp"
#include "pstore_blk/oops/oops.hpp"

#ifndef PSB_SOURCE_DIR
#error "PSB_SOURCE_DIR must be defined by the build"
#endif

using namespace psb::oops;
namespace fs = std::filesystem;

namespace {

const fs::path kCorpus = fs::path(PSB_SOURCE_DIR) / "fixtures" / "oops-corpus";
const fs::path kKernel = fs::path(PSB_SOURCE_DIR) / "fixtures" / "kernel";

std::string slurp(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::map<std::string, std::string> read_expected(const fs::path& p) {
  std::map<std::string, std::string> kv;
  std::istringstream in(slurp(p));
  std::string line;
  while (std::getline(in, line)) {
    auto c = line.find(": ");
    if (line.empty() || line[0] == '#' || c == std::string::npos) continue;
    kv[line.substr(0, c)] = line.substr(c + 2);
  }
  return kv;
}

std::string frames_str(const CrashSignature& s) {
  std::string out;
  for (const auto& f : s.frames) out += (out.empty() ? "" : ",") + f.normalized();
  return out;
}

}  // namespace

TEST_CASE("hand-written corpus: kind, function, task, taint, release", "[oops][corpus]") {
  REQUIRE(fs::is_directory(kCorpus));
  std::size_t cases = 0;
  for (const auto& e : fs::directory_iterator(kCorpus)) {
    if (e.path().extension() != ".txt") continue;
    fs::path exp = e.path();
    exp.replace_extension(".expected");
    REQUIRE(fs::exists(exp));
    ++cases;
    const auto want = read_expected(exp);
    const auto s = parse_crash(slurp(e.path()));
    INFO(e.path().filename().string() << "\nsignature: " << s.signature);
    for (const auto& [key, value] : want) {
      INFO("key " << key);
      if (key == "kind")
        CHECK(kind_name(s.kind) == value);
      else if (key == "function")
        CHECK((s.function ? s.function->normalized() : "") == value);
      else if (key == "module")
        CHECK((s.function ? (s.function->module.empty() ? "-" : s.function->module) : "") == value);
      else if (key == "caller")
        CHECK((s.caller ? s.caller->normalized() : "") == value);
      else if (key == "comm")
        CHECK(s.comm == value);
      else if (key == "pid")
        CHECK((s.pid ? std::to_string(*s.pid) : "") == value);
      else if (key == "cpu")
        CHECK((s.cpu ? std::to_string(*s.cpu) : "") == value);
      else if (key == "taint")
        CHECK((s.taint ? (s.taint->empty() ? "-" : *s.taint) : "?") == value);
      else if (key == "release")
        CHECK(s.release == value);
      else if (key == "frames")
        CHECK(frames_str(s) == value);
      else if (key == "panic")
        CHECK(s.panic == value);
      else
        FAIL("unknown key " << key);
    }
    CHECK(s.group_id().size() == 12);
  }
  CHECK(cases >= 9);
}

TEST_CASE("hand-written corpus: every case has its own group", "[oops][corpus]") {
  std::map<std::string, std::string> ids;
  for (const auto& e : fs::directory_iterator(kCorpus)) {
    if (e.path().extension() != ".txt") continue;
    const auto s = parse_crash(slurp(e.path()));
    auto [it, fresh] = ids.emplace(s.group_id(), e.path().filename().string());
    INFO(e.path().filename().string() << " collides with " << it->second);
    CHECK(fresh);
  }
}

TEST_CASE("kernel-written records: kind and faulting function", "[oops][kernel]") {
  std::istringstream in(slurp(kCorpus / "kernel-fixtures.expected"));
  std::string line;
  std::size_t checked = 0;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::istringstream ls(line);
    std::string path, kind, function;
    ls >> path >> kind;
    std::getline(ls, function);
    function = function.substr(function.find_first_not_of(' '));
    const fs::path p = kKernel / path;
    if (!fs::exists(p)) {
      WARN("missing kernel fixture " << path << ", skipping");
      continue;
    }
    const auto s = parse_crash(slurp(p));
    INFO(path << "\nsignature: " << s.signature);
    CHECK(kind_name(s.kind) == kind);
    CHECK((s.function ? s.function->normalized() : "") == function);
    CHECK(s.comm == "sh");
    CHECK_FALSE(s.release.empty());
    CHECK_FALSE(s.frames.empty());
    ++checked;
  }
  CHECK(checked > 0);
}

TEST_CASE("kernel-written records: the same crash groups together", "[oops][kernel]") {
  // Every psb_oops NULL dereference in every fixture, whatever its PID,
  // addresses, timestamps or the earlier oopses in the same record.
  std::map<std::string, std::set<std::string>> by_function;
  std::size_t seen = 0;
  if (!fs::is_directory(kKernel)) return;
  for (const auto& e : fs::recursive_directory_iterator(kKernel)) {
    if (!e.is_regular_file() || e.path().filename().string().rfind("dmesg-", 0) != 0) continue;
    const auto s = parse_crash(slurp(e.path()));
    if (!s.function) continue;
    by_function[s.function->normalized() + " " + std::string(kind_name(s.kind))].insert(
        s.group_id());
    ++seen;
  }
  for (const auto& [fn, ids] : by_function) {
    INFO(fn);
    CHECK(ids.size() == 1);
  }
  CHECK(seen > 0);
}

TEST_CASE("hand-written corpus: every prefix parses (truncation sweep)", "[oops][corpus]") {
  // Records are cut at arbitrary points (zone size, salvage): any prefix must
  // parse; a prefix reports at most one more crash than the whole text (a
  // cut "Kernel panic - not syncing: Fatal exc" no longer names its cause).
  for (const auto& e : fs::directory_iterator(kCorpus)) {
    if (e.path().extension() != ".txt") continue;
    const std::string text = slurp(e.path());
    const auto whole = parse_crash(text);
    for (std::size_t n = 0; n < text.size(); n += 7) {
      const auto s = parse_crash(std::string_view(text).substr(0, n));
      if (s.reports > whole.reports + 1 || s.frames.size() > kSignatureFrames) {
        FAIL(e.path().filename().string() << " prefix " << n);
      }
    }
  }
}
