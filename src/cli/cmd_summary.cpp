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

using oops::CrashGroup;
using oops::CrashGroups;
using oops::CrashSignature;

// Source names shown per group in the text table.
constexpr std::size_t kShownSources = 3;

struct SummaryArgs {
  std::vector<std::string> sources;
  std::optional<int> partition;
  std::string abi;
  bool json_lines = false;
  bool json = false;
  std::string columns;
  TableStyle style{false, false, 2};
  unsigned jobs = 0;  // 0: one per online CPU
};

// summary's columns, in the order of group_cells().
const Column kSummaryColumns[] = {
    {"GROUP", 0, false, "group id: a hash of the crash signature", "group"},
    {"COUNT", 0, true, "records in the group", "count"},
    {"KIND", 0, false, "oops, panic, bug, warning, ...", "kind"},
    {"FUNCTION", 0, false, "the function the crash happened in", "function"},
    {"TASK", 0, false, "the task that was running", "task"},
    {"FIRST", 0, false, "first dump time (UTC)", "first"},
    {"LAST", 0, false, "last dump time (UTC)", "last"},
    {"RELEASE", 0, false, "kernel releases that crashed", "releases"},
    {"RECORDS", 0, false, "how the texts were obtained (compressed, erased, ...)", "states"},
    {"SOURCES", 0, false, "images or directories the records came from", "sources source_count"},
    {"TITLE", 0, false, "what the kind means", "title headline"},
    {"SIGNATURE", 0, false, "the normalised signature the group id hashes", "signature"},
};
constexpr std::size_t kSummaryDefault[] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};

// One table row for a group, one cell per kSummaryColumns entry.
std::vector<std::string> group_cells(const CrashGroup& g) {
  const auto& ex = g.example;
  std::vector<std::string> c(std::size(kSummaryColumns));
  c[0] = g.id;
  c[1] = std::to_string(g.count);
  c[2] = std::string(oops::kind_name(ex.kind));
  c[3] = ex.function ? ex.function->normalized() : "-";
  c[4] = ex.comm.empty() ? "-" : ex.comm;
  c[5] = g.first_time ? iso_time(*g.first_time) : "-";
  c[6] = g.last_time ? iso_time(*g.last_time) : "-";
  std::string rel;
  for (const auto& x : g.releases) rel += (rel.empty() ? "" : ",") + x;
  c[7] = rel.empty() ? "-" : rel;
  // How the texts were obtained: "compressed", or "3 compressed+1 erased".
  std::string states;
  if (g.states.size() == 1) {
    states = g.states.begin()->first;
  } else {
    for (const auto& [state, n] : g.states)
      states += fmt::format("{}{} {}", states.empty() ? "" : "+", n, state);
  }
  c[8] = states;
  std::string src;
  std::size_t shown = 0;
  for (const auto& x : g.sources) {
    if (shown == kShownSources) break;
    src += (shown++ ? ", " : "") + x;
  }
  if (g.source_count > shown) src += fmt::format(" (+{} more)", g.source_count - shown);
  c[9] = src;
  c[10] = std::string(oops::kind_title(ex.kind));
  c[11] = ex.signature.empty() ? "-" : ex.signature;
  return c;
}

nlohmann::ordered_json group_json(const CrashGroup& g) {
  using J = nlohmann::ordered_json;
  const auto& ex = g.example;
  auto str = [](const std::string& v) { return v.empty() ? J(nullptr) : J(v); };
  J j;
  j["group"] = g.id;
  j["count"] = g.count;
  j["kind"] = std::string(oops::kind_name(ex.kind));
  j["title"] = std::string(oops::kind_title(ex.kind));
  j["headline"] = str(ex.headline);
  j["function"] = ex.function ? J(ex.function->normalized()) : J(nullptr);
  j["task"] = str(ex.comm);
  j["first"] = g.first_time ? J(iso_time(*g.first_time)) : J(nullptr);
  j["last"] = g.last_time ? J(iso_time(*g.last_time)) : J(nullptr);
  j["releases"] = J(std::vector<std::string>(g.releases.begin(), g.releases.end()));
  j["states"] = J::object();
  for (const auto& [state, n] : g.states) j["states"][state] = n;
  j["sources"] = J(std::vector<std::string>(g.sources.begin(), g.sources.end()));
  j["source_count"] = g.source_count;
  j["signature"] = ex.signature;
  return j;
}

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

  void print_table(const TableWriter& table) const {
    std::vector<std::vector<std::string>> rows;
    for (const auto* g : groups_.sorted()) rows.push_back(group_cells(*g));
    TableWriter t = table;
    t.fit(rows);
    t.header();
    for (const auto& r : rows) t.row(r);
  }

  // The totals line, on stderr: stdout carries only the table.
  void report_totals() const {
    if (groups_.records() == 0) {
      warn("No dmesg records.");
      return;
    }
    std::string how;
    for (const auto& [state, n] : states_)
      how += fmt::format("{}{} {}", how.empty() ? "" : ", ", n, state);
    warn(fmt::format("{} record(s) from {} source(s) in {} group(s): {}.", groups_.records(),
                     sources_read_, groups_.sorted().size(), how));
  }

  // summary --json: one document with every group and the totals; with -o
  // (`chosen` non-empty) each group keeps the keys of those columns only.
  void print_json(std::span<const std::size_t> chosen) const {
    using J = nlohmann::ordered_json;
    J j;
    j["groups"] = J::array();
    for (const auto* g : groups_.sorted())
      j["groups"].push_back(chosen.empty() ? group_json(*g)
                                           : keep_columns(group_json(*g), kSummaryColumns, chosen));
    j["records"] = groups_.records();
    j["sources"] = sources_read_;
    j["states"] = J::object();
    for (const auto& [state, n] : states_) j["states"][state] = n;
    write_stdout(j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
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
    write_stdout(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
  }

  const SummaryArgs& args_;
  CrashGroups groups_;
  std::map<std::string, std::size_t> states_;
  std::size_t sources_read_ = 0;
};

int run_summary(const SummaryArgs& a) {
  if (a.json && a.json_lines)
    return usage_error("--json and --json-lines exclude each other", "summary");
  auto cols = parse_columns(a.columns.empty() ? "+" : a.columns, kSummaryColumns, kSummaryDefault);
  if (!cols) return usage_error(cols.error().message(), "summary");
  const std::vector<std::size_t> chosen = a.columns.empty() ? std::vector<std::size_t>{} : *cols;
  const TableWriter table(kSummaryColumns, std::move(*cols), a.style);
  io::ReadOptions opts;
  if (!a.abi.empty()) opts.abi = format::Abi::by_name(a.abi);  // checked by expect_abi
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
  if (a.json) {
    sum.print_json(chosen);
  } else if (!a.json_lines) {
    sum.print_table(table);
    sum.report_totals();
  }
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
  sub.add_flag("-J,--json", a->json, "print one JSON document with every group");
  sub.add_option("-o,--output", a->columns, "columns to print ('+COL' adds to the default)")
      ->type_name("COLUMNS");
  sub.add_flag("-n,--noheadings", a->style.noheadings, "do not print the heading line");
  sub.add_flag("-r,--raw", a->style.raw, "one space between columns, unusual bytes as \\xHH");

  sub.add_option("--partition", a->partition, "use partition N of each whole disk")->type_name("N");
  expect_abi(sub.add_option("--abi", a->abi,
                            "writer ABI: x86_64, i386, arm, arm64, armeb, arm64be, ppc64 "
                            "(default: guess)")
                 ->type_name("ABI"));
  sub.add_option("-j,--jobs", a->jobs,
                 "read N sources at a time (default: one per online CPU); output is the same")
      ->type_name("N")
      ->check(CLI::Range(1u, 1024u));
  sub.footer(columns_help(kSummaryColumns) + "\nSee pstore-blk(8) for details.");
  sub.callback([a, &action] { action = [a] { return run_summary(*a); }; });
}

}  // namespace psb::cli
