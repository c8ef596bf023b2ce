// summary: one line per distinct crash over many records and machines.
//
// Sources are read in parallel (summary_source.cpp: one worker per CPU, results
// merged in argument order) and each dmesg record is parsed and dropped as
// soon as the reader hands it over, so memory grows with the number of jobs
// and of distinct crashes (oops::CrashGroups), not with the number of sources.
// A SOURCE is an image/partition/disk (as for `list`), a kernel-written
// record file (dmesg-*, as in /sys/fs/pstore or /var/lib/systemd/pstore), or
// a directory of either.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <ctime>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/summary_source.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/io/reader.hpp"
#include "pstore_blk/oops/oops.hpp"

namespace psb::cli {

namespace {

using oops::CrashGroups;
using oops::CrashSignature;

// Source names shown per group in the text table.
constexpr std::size_t kShownSources = 3;

struct SummaryArgs {
  std::vector<std::string> sources;
  std::optional<int> partition;
  std::string abi;
  bool json_lines = false;
  unsigned jobs = 0;  // 0: one per online CPU
};

class Summary {
 public:
  explicit Summary(const SummaryArgs& a) : args_(a) {}

  // Adds one parsed record to its group and prints its JSON line.
  void add(const SummaryItem& item) {
    const Seen& s = item.seen;
    const CrashSignature& sig = item.sig;
    const std::string& id = groups_.add(sig, s.source, s.time, s.state);
    ++states_[s.state];
    if (args_.json_lines) print_json_line(s, sig, id);
  }

  void source_read() { ++sources_read_; }

  void print_table() const {
    const auto groups = groups_.sorted();
    if (groups.empty()) {
      std::cout << "No dmesg records.\n";
      return;
    }
    constexpr int kCols = 10;
    struct Row {
      std::string cells[kCols];
    };
    const char* heads[kCols] = {"GROUP", "COUNT", "KIND",    "FUNCTION", "TASK",
                                "FIRST", "LAST",  "RELEASE", "RECORDS",  "SOURCES"};
    std::vector<Row> rows;
    for (const auto* g : groups) {
      const auto& ex = g->example;
      Row r;
      r.cells[0] = g->id;
      r.cells[1] = std::to_string(g->count);
      r.cells[2] = std::string(oops::kind_name(ex.kind));
      r.cells[3] = ex.function ? ex.function->normalized() : "-";
      r.cells[4] = ex.comm.empty() ? "-" : ex.comm;
      r.cells[5] = g->first_time ? iso_time(*g->first_time) : "-";
      r.cells[6] = g->last_time ? iso_time(*g->last_time) : "-";
      std::string rel;
      for (const auto& x : g->releases) rel += (rel.empty() ? "" : ",") + x;
      r.cells[7] = rel.empty() ? "-" : rel;
      // How the texts were obtained: "compressed", or "3 compressed+1 erased".
      std::string states;
      if (g->states.size() == 1) {
        states = g->states.begin()->first;
      } else {
        for (const auto& [state, n] : g->states)
          states += fmt::format("{}{} {}", states.empty() ? "" : "+", n, state);
      }
      r.cells[8] = states;
      std::string src;
      std::size_t shown = 0;
      for (const auto& x : g->sources) {
        if (shown == kShownSources) break;
        src += (shown++ ? ", " : "") + x;
      }
      if (g->source_count > shown) src += fmt::format(" (+{} more)", g->source_count - shown);
      r.cells[9] = src;
      rows.push_back(std::move(r));
    }
    std::size_t w[kCols];
    for (int c = 0; c < kCols; ++c) {
      w[c] = std::string_view(heads[c]).size();
      for (const auto& r : rows) w[c] = std::max(w[c], r.cells[c].size());
    }
    auto line = [&](auto cell) {
      std::string out;
      for (int c = 0; c < kCols; ++c) {
        const std::string v = cell(c);
        if (c == kCols - 1) {
          out += v;
        } else if (c == 1) {
          out += fmt::format("{:>{}}  ", v, w[c]);
        } else {
          out += fmt::format("{:<{}}  ", v, w[c]);
        }
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      std::cout << out << "\n";
    };
    line([&](int c) { return std::string(heads[c]); });
    for (const auto& r : rows) line([&](int c) { return r.cells[c]; });

    std::string how;
    for (const auto& [state, n] : states_)
      how += fmt::format("{}{} {}", how.empty() ? "" : ", ", n, state);
    std::cout << fmt::format("\n{} record(s) from {} source(s) in {} group(s): {}.\n",
                             groups_.records(), sources_read_, groups.size(), how);
  }

 private:
  void print_json_line(const Seen& s, const CrashSignature& sig, const std::string& id) const {
    using J = nlohmann::ordered_json;
    auto opt = [](const auto& v) { return v ? J(*v) : J(nullptr); };
    auto str = [](const std::string& v) { return v.empty() ? J(nullptr) : J(v); };
    J j;
    j["group"] = id;
    j["source"] = s.source;
    j["record"] = s.record;
    j["state"] = s.state;
    j["compressed"] = s.compressed;
    j["erased"] = s.erased;
    j["salvaged"] = s.salvaged;
    j["reason"] = opt(s.reason);
    j["time"] = s.time ? J(iso_time(*s.time)) : J(nullptr);
    j["time_sec"] = opt(s.time);
    j["kind"] = std::string(oops::kind_name(sig.kind));
    j["title"] = std::string(oops::kind_title(sig.kind));
    j["headline"] = str(sig.headline);
    j["function"] = sig.function ? J(sig.function->function) : J(nullptr);
    j["offset"] = sig.function ? str(sig.function->offset) : J(nullptr);
    j["module"] = sig.function ? str(sig.function->module) : J(nullptr);
    j["caller"] = sig.caller ? J(sig.caller->display()) : J(nullptr);
    j["frames"] = J::array();
    for (const auto& f : sig.frames) j["frames"].push_back(f.display());
    j["comm"] = str(sig.comm);
    j["pid"] = opt(sig.pid);
    j["cpu"] = opt(sig.cpu);
    j["taint"] = opt(sig.taint);
    j["release"] = str(sig.release);
    j["panic"] = str(sig.panic);
    j["uptime"] = opt(sig.uptime);
    j["signature"] = sig.signature;
    std::cout << j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
  }

  const SummaryArgs& args_;
  CrashGroups groups_;
  std::map<std::string, std::size_t> states_;
  std::size_t sources_read_ = 0;
};

int run_summary(const SummaryArgs& a) {
  io::ReadOptions opts;
  if (!a.abi.empty()) {
    auto abi = format::Abi::by_name(a.abi);
    if (!abi) {
      warn("unknown ABI '" + a.abi + "'");
      return kExitUsage;
    }
    opts.abi = *abi;
  }
  opts.include_erased = true;  // erased records are still crashes; their state says so
  opts.keep_content = true;

  Summary sum(a);
  SourceOptions src_opts;
  src_opts.partition = a.partition;
  src_opts.read = opts;
  bool failed = false;
  std::size_t read = 0;
  std::string last_source;
  const auto tasks = expand_sources(a.sources);
  // Sources are read on `jobs` threads; results arrive here in argument
  // order, so what is printed does not depend on the number of jobs.
  run_tasks(tasks, a.jobs ? a.jobs : online_cpus(), src_opts, [&](const Task& t, InputResult&& r) {
    for (const auto& w : t.warnings) warn(w);
    if (t.failed) failed = true;
    if (t.new_argument) last_source.clear();
    if (!t.input) return;
    for (const auto& w : r.warnings) warn(w);
    if (!r.ok) {
      failed = true;
      return;
    }
    for (const auto& item : r.items) sum.add(item);
    ++read;
    if (t.input->source != last_source) sum.source_read();
    last_source = t.input->source;
  });
  if (!a.json_lines) sum.print_table();
  if (read == 0 || failed) return kExitFailure;
  return kExitOk;
}

}  // namespace

void attach_summary(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<SummaryArgs>();
  sub.add_option("SOURCE", a->sources,
                 "images, partitions, disks, dmesg-* record files, or directories of them")
      ->required();
  sub.add_flag("--json-lines", a->json_lines, "print one JSON object per record (JSON Lines)");
  sub.add_option("--partition", a->partition, "use partition N of each whole disk")->type_name("N");
  sub.add_option("--abi", a->abi,
                 "writer ABI: x86_64, i386, arm, arm64, armeb, arm64be, ppc64 (default: guess)")
      ->type_name("ABI");
  sub.add_option("-j,--jobs", a->jobs,
                 "read N sources at a time (default: one per online CPU); output is the same")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  sub.callback([a, &action] { action = [a] { return run_summary(*a); }; });
}

}  // namespace psb::cli
