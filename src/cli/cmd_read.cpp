// list, show, extract: the offline reader's commands.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <deque>
#include <fstream>
#include <iostream>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <sstream>
#include <thread>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/io/output_dir.hpp"
#include "pstore_blk/io/reader.hpp"
#include "pstore_blk/io/symbols.hpp"

namespace psb::cli {

namespace {

using format::Record;
using format::ZoneState;

struct ReadArgs {
  std::string source;
  std::optional<int> partition;
  std::optional<long> kmsg_kib, pmsg_kib, console_kib, ftrace_kib;
  std::optional<unsigned> cpus;
  std::string abi;
  bool include_erased = false;
  std::string system_map;
  bool json = false;
  bool verbose = false;
  std::string columns;     // list -o
  TableStyle style;        // list -n, -r
  std::string name;        // show
  std::string output_dir;  // extract
  bool force = false;      // extract
};

void add_common(CLI::App& sub, ReadArgs& a) {
  sub.add_option("SOURCE", a.source,
                 "pstore partition, partition image, whole-disk image or disk device")
      ->required();
  sub.add_option("--partition", a.partition, "use partition N of a whole disk")->type_name("N");

  sub.add_option("--kmsg-size", a.kmsg_kib, "force the layout: kmsg zone size (KiB)")
      ->type_name("KiB");

  sub.add_option("--pmsg-size", a.pmsg_kib, "force the layout: pmsg zone size (KiB)")
      ->type_name("KiB");

  sub.add_option("--console-size", a.console_kib, "force the layout: console zone size (KiB)")
      ->type_name("KiB");

  sub.add_option("--ftrace-size", a.ftrace_kib, "force the layout: ftrace area size (KiB)")
      ->type_name("KiB");

  sub.add_option("--cpus", a.cpus, "force the layout: possible CPUs of the crashed machine")
      ->type_name("N");
  expect_abi(sub.add_option("--abi", a.abi,
                            "writer ABI: x86_64, i386, arm, arm64, armeb, arm64be, ppc64 "
                            "(default: guess)")
                 ->type_name("ABI"));
  sub.add_option("--system-map,--kallsyms", a.system_map,
                 "crashed kernel's System.map or kallsyms, to name ftrace addresses")
      ->type_name("FILE");
}

bool damaged(ZoneState s) { return format::is_damaged(s); }

std::string state_word(const Record& r) {
  if (r.erased) return "erased";
  return std::string(format::state_name(r.state));
}

// Everything a read command needs, opened and scanned once.
struct Session {
  device::PstoreArea area;
  std::optional<format::SymbolTable> symbols;
  io::ReadOptions opts;
};

Result<Session> open_session(const ReadArgs& a) {
  Session s;
  if (!a.abi.empty()) {
    auto abi = format::Abi::by_name(a.abi);
    if (!abi) return make_error(Errc::kInvalidArgument, "unknown ABI '" + a.abi + "'");
    s.opts.abi = *abi;
  }
  for (auto v : {a.kmsg_kib, a.pmsg_kib, a.console_kib, a.ftrace_kib})
    if (v && *v < 0) return make_error(Errc::kInvalidArgument, "zone sizes must not be negative");
  if (a.cpus && *a.cpus == 0)
    return make_error(Errc::kInvalidArgument, "--cpus must be at least 1");
  s.opts.layout = {a.kmsg_kib, a.pmsg_kib, a.console_kib, a.ftrace_kib, a.cpus};
  s.opts.include_erased = a.include_erased;
  if (!a.system_map.empty()) {
    auto syms = io::load_symbol_file(a.system_map);
    if (!syms) return syms.error();
    s.symbols = std::move(*syms);
  }
  auto area = device::open_pstore_area(a.source, a.partition);
  if (!area) return area.error();
  s.area = std::move(*area);
  if (const auto& p = s.area.partition; p && s.area.bytes_present() < p->size)
    warn(fmt::format(
        "'{}' is truncated: it ends {} bytes into partition {} (of {} bytes){}; reading what is "
        "there.",
        a.source, s.area.bytes_present(), p->number, p->size,
        s.area.disk_size
            ? fmt::format(", its partition table describes a {}-byte disk", *s.area.disk_size)
            : ""));
  return s;
}

int fail(const Error& e) {
  warn(e.message());
  return e.code == Errc::kInvalidArgument ? kExitUsage : kExitFailure;
}

// Reports damaged zones once each; consecutive zones beyond the image end are
// folded into one line. Returns how many zones are damaged.
std::size_t report_damage(const Session& s, const io::ScanSummary& sum, bool quiet) {
  std::size_t count = 0;
  const std::string src = s.area.source().name();
  const std::uint64_t base = s.area.partition ? s.area.partition->start : 0;
  std::size_t past_end = 0;
  std::uint64_t first_past = 0;
  for (const auto& z : sum.zones) {
    if (!damaged(z.state)) continue;
    ++count;
    if (z.state == ZoneState::kTruncated && z.available == 0) {
      if (past_end++ == 0) first_past = z.slot.offset;
      continue;
    }
    if (quiet) continue;
    std::string where = fmt::format("{} zone {} at offset {}", format::type_name(z.slot.type),
                                    z.slot.index, z.slot.offset);
    if (base) where += fmt::format(" (byte {} of '{}')", base + z.slot.offset, s.area.file->name());
    // A payload that does not inflate is still a record: the kernel shows it
    // compressed as <name>.enc.z, and so do extract and list.
    const char* outcome = z.state == ZoneState::kDecompressFailed
                              ? "kept compressed (.enc.z), as the kernel keeps it"
                              : "skipping";
    warn(fmt::format("{}: {}: {}, {}.", src, where, z.detail, outcome));
  }
  if (past_end && !quiet)
    warn(fmt::format("{}: image ends at byte {}; {} zone(s) from offset {} on are missing.", src,
                     s.area.bytes_present(), past_end, first_past));
  return count;
}

nlohmann::ordered_json record_json(const Record& r, std::size_t size) {
  nlohmann::ordered_json j;
  j["name"] = r.name;
  j["type"] = std::string(format::type_name(r.type));
  j["id"] = r.id;
  j["offset"] = r.offset;
  j["state"] = state_word(r);
  if (r.kmsg) {
    j["reason"] = std::string(format::reason_str(r.kmsg->reason));
    j["counter"] = r.kmsg->counter;
    j["time"] = iso_time(r.kmsg->tv_sec);
    j["time_sec"] = r.kmsg->tv_sec;
    j["time_nsec"] = r.kmsg->tv_nsec;
  } else {
    j["reason"] = nullptr;
    j["counter"] = nullptr;
    j["time"] = nullptr;
    j["time_sec"] = nullptr;
    j["time_nsec"] = nullptr;
  }
  j["compressed"] = r.compressed;
  j["size"] = size;
  j["erased"] = r.erased;
  j["salvaged_size"] = r.salvaged_size;
  j["detail"] =
      r.detail.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(r.detail);
  return j;
}

std::string source_line(const Session& s) {
  const auto& a = s.area;
  if (!a.partition) return fmt::format("{} ({} bytes; {})", a.file->name(), a.file->size(), a.how);
  const auto& p = *a.partition;
  return fmt::format("{} partition {}{} ({}), {} bytes at byte {}; {}", a.file->name(), p.number,
                     p.name.empty() ? "" : " \"" + p.name + "\"", a.pttype, p.size, p.start, a.how);
}

// How the area, layout and ABI were chosen (--verbose), on stderr: stdout
// carries only the table or the JSON document.
void print_verbose(const Session& s, const io::ScanSummary& sum) {
  std::string out = "Source: " + source_line(s) + "\n";
  out += "Layout: " + sum.layout.describe() + (sum.layout_forced ? " (forced)" : " (discovered)") +
         "\n";
  out += "ABI:    " + std::string(sum.abi.name) + (sum.abi_forced ? " (forced)" : "") + "\n";
  for (const auto& n : sum.notes) out += "Note:   " + n + "\n";
  std::cerr << out;
}

// Erased dmesg records the scan did not hand over (no --include-erased).
std::size_t erased_not_shown(const io::ScanSummary& sum, bool include_erased) {
  if (include_erased) return 0;
  std::size_t n = 0;
  for (const auto& z : sum.zones)
    if (z.state == ZoneState::kErased && z.slot.type == format::RecordType::kDmesg && z.kmsg) ++n;
  return n;
}

void report_erased(std::size_t n, const char* verb, const char* flag_does) {
  if (n == 0) return;
  warn(
      fmt::format("{} erased record(s) not {} (deleted through /sys/fs/pstore, e.g. archived by "
                  "systemd-pstore); --include-erased {} them.",
                  n, verb, flag_does));
}

// list's columns, in the order of record_cells().
const Column kListColumns[] = {
    {"NAME", 32, false, "record name, as the kernel names its file", "name"},
    {"TYPE", 7, false, "dmesg, pmsg, console or ftrace", "type"},
    {"ID", 4, true, "record id (the kernel's file name suffix)", "id"},
    {"OFFSET", 9, true, "zone offset in bytes from the start of the partition", "offset"},
    {"STATE", 9, false, "ok, erased, truncated, decompress-failed, ...", "state erased"},
    {"REASON", 9, false, "why the kernel dumped (Oops, Panic, ...)", "reason"},
    {"COUNT", 5, true, "dmesg dump counter", "counter"},
    {"TIME", 20, false, "dump time (UTC)", "time time_sec time_nsec"},
    {"COMPRESSED", 10, false, "yes if the kernel compressed the record", "compressed"},
    {"SIZE", 7, true, "bytes of the record file (as show prints it)", "size salvaged_size"},
    {"DETAIL", 0, false, "what is wrong with a damaged record", "detail"},
};
constexpr std::size_t kListDefault[] = {0, 1, 3, 4, 5, 6, 7, 8, 9};

std::vector<std::string> record_cells(const Record& r, std::size_t size) {
  return {r.name,
          std::string(format::type_name(r.type)),
          std::to_string(r.id),
          std::to_string(r.offset),
          state_word(r),
          r.kmsg ? std::string(format::reason_str(r.kmsg->reason)) : "-",
          r.kmsg ? std::to_string(r.kmsg->counter) : "-",
          r.kmsg ? iso_time(r.kmsg->tv_sec) : "-",
          r.compressed ? "yes" : "no",
          std::to_string(size),
          r.detail.empty() ? "-" : r.detail};
}

// The list document as dump(2) prints it, with the records spliced in from
// their own dump(2) text.
std::string list_json(const Session& s, const io::ScanSummary& sum,
                      const std::vector<std::string>& records, std::size_t bad,
                      std::size_t erased_hidden) {
  static const std::string kSlot = "\"@records@\"";
  nlohmann::ordered_json j;
  nlohmann::ordered_json src;
  src["path"] = s.area.file->name();
  src["size"] = s.area.file->size();
  src["pttype"] = s.area.pttype.empty() ? nlohmann::ordered_json(nullptr)
                                        : nlohmann::ordered_json(s.area.pttype);
  if (s.area.partition) {
    const auto& p = *s.area.partition;
    src["partition"] = {{"number", p.number}, {"start", p.start}, {"size", p.size},
                        {"name", p.name},     {"uuid", p.uuid},   {"type", p.type}};
  } else {
    src["partition"] = nullptr;
  }
  src["how"] = s.area.how;
  j["source"] = src;
  const auto& l = sum.layout;
  j["layout"] = {{"total_size", std::min(l.total_size, format::kMaxTotalSize)},
                 {"kmsg_size", l.kmsg_size},
                 {"pmsg_size", l.pmsg_size},
                 {"console_size", l.console_size},
                 {"ftrace_size", l.ftrace_size},
                 {"nr_cpus", l.nr_cpus},
                 {"forced", sum.layout_forced}};
  j["abi"] = {{"name", std::string(sum.abi.name)}, {"forced", sum.abi_forced}};
  j["notes"] = sum.notes;
  const std::size_t nrec = records.size();
  j["records"] = "@records@";
  j["damaged_zones"] = nlohmann::ordered_json::array();
  for (const auto& z : sum.zones) {
    if (!damaged(z.state)) continue;
    j["damaged_zones"].push_back({{"type", std::string(format::type_name(z.slot.type))},
                                  {"index", z.slot.index},
                                  {"offset", z.slot.offset},
                                  {"state", std::string(format::state_name(z.state))},
                                  {"detail", z.detail}});
  }
  j["summary"] = {{"zones", sum.zones.size()},
                  {"records", nrec},
                  {"damaged", bad},
                  {"erased_not_shown", erased_hidden}};
  std::string doc = j.dump(2);
  std::string list = "[]";
  if (!records.empty()) {
    list = "[\n";
    for (std::size_t i = 0; i < records.size(); ++i) {
      // Each record one level deeper: 4 more spaces on every line.
      list += "    ";
      for (char c : records[i]) {
        list += c;
        if (c == '\n') list += "    ";
      }
      list += i + 1 < records.size() ? ",\n" : "\n";
    }
    list += "  ]";
  }
  doc.replace(doc.find(kSlot), kSlot.size(), list);
  return doc;
}

int run_list(const ReadArgs& a) {
  auto cols = parse_columns(a.columns.empty() ? "+" : a.columns, kListColumns, kListDefault);
  if (!cols) return usage_error(cols.error().message(), "list");
  auto s = open_session(a);
  if (!s) return fail(s.error());
  if (s->symbols) s->opts.symbols = &*s->symbols;
  const std::vector<std::size_t> chosen = *cols;
  TableWriter table(kListColumns, std::move(*cols), a.style);
  // JSON records are kept as their text (a few hundred bytes each, at most
  // one per zone), never as a JSON tree.
  std::vector<std::string> records;
  std::size_t rows = 0;
  // Rows are printed as the records come: each record is inflated into a
  // bounded buffer only to learn its size; nothing of it is kept.
  s->opts.keep_content = false;
  auto sum = io::scan_partition(s->area.source(), s->opts, [&](Record&& r) {
    if (rows++ == 0 && !a.json) table.header();
    if (a.json)
      records.push_back(a.columns.empty()
                            ? record_json(r, r.size).dump(2)
                            : keep_columns(record_json(r, r.size), kListColumns, chosen).dump(2));
    else
      table.row(record_cells(r, r.size));
  });
  if (!sum) return fail(sum.error());
  if (a.verbose) print_verbose(*s, *sum);
  auto empty = explain_empty_scan(s->area.source(), *sum);
  if (!empty) return fail(empty.error());
  if (*empty == EmptyScan::kNoZoneData) return kExitFailure;
  const std::size_t bad = report_damage(*s, *sum, a.json);
  const std::size_t hidden = erased_not_shown(*sum, a.include_erased);
  if (a.json) {
    write_stdout(list_json(*s, *sum, records, bad, hidden) + "\n");
  } else {
    if (rows == 0) table.header();
    if (rows == 0 && *empty == EmptyScan::kHasData) warn(s->area.source().name() + ": No records.");
    report_erased(hidden, "shown", "shows");
  }
  return bad ? kExitFailure : kExitOk;
}

int run_show(const ReadArgs& a) {
  ReadArgs b = a;
  b.include_erased = true;  // NAME may name an erased record
  auto s = open_session(b);
  if (!s) return fail(s.error());
  if (s->symbols) s->opts.symbols = &*s->symbols;
  // The record streams to stdout; its final name (.enc.z when it does not
  // inflate) is known once it has been inflated into a bounded buffer.
  std::optional<Record> found;
  std::optional<Error> read_error;
  auto matches = [&](const Record& r) {
    return r.name == a.name || (r.erased && r.name == a.name + ".erased");
  };
  auto to_stdout = [](std::string_view bytes) { return write_stdout(bytes); };
  auto discard = [](std::string_view) { return true; };
  auto sum = io::scan_records(s->area.source(), s->opts, [&](io::RecordStream& rs) {
    if (found || read_error) return;
    const std::string base = format::record_name(rs.record().type, rs.record().id, false, false);
    if (a.name.rfind(base, 0) != 0) return;
    auto out = rs.decode(discard);
    if (!out) return void(read_error = out.error());
    if (!matches(rs.record())) return;
    found = rs.record();
    const bool as_stored = found->compressed && !found->decompressed;
    if (as_stored) {
      if (auto n = rs.stored(to_stdout); !n) read_error = n.error();
    } else if (auto d = rs.decode(to_stdout); !d) {
      read_error = d.error();
    }
  });
  if (!sum) return fail(sum.error());
  if (read_error) return fail(*read_error);
  auto empty = explain_empty_scan(s->area.source(), *sum);
  if (!empty) return fail(empty.error());
  if (*empty == EmptyScan::kNoZoneData) return kExitFailure;
  if (!found) {
    warn(fmt::format("{}: no record named '{}'; 'pstore-blk list' shows the names.",
                     s->area.source().name(), a.name));
    return kExitFailure;
  }
  if (found->state != ZoneState::kOk && !found->erased) {
    warn(fmt::format("{}: {}: {}", s->area.source().name(), found->name, found->detail));
    return kExitFailure;
  }
  return kExitOk;
}

// Writes the records of one scan into `out`. Without --force, the first
// name that exists stops the writing; the scan goes on only to name every
// clash, and the files this run wrote are taken back, so a refused extract
// leaves the directory as it was.
//
// The scan thread decodes each record straight into a temporary file; a
// second thread commits the files in record order (fchmod, futimens, fsync,
// rename: most of what extract costs beyond reading, inflating and writing),
// so committing files overlaps decoding the next ones. At most kPending files
// wait: open descriptors and names, never record bytes. Every decision is the
// committing thread's, in record order, as a one-thread run would take it.
class Extractor {
 public:
  Extractor(io::OutputDir& out, bool force) : out_(out), force_(force) {
    thread_ = std::thread([this] { commit_loop(); });
  }
  ~Extractor() { finish(); }
  Extractor(const Extractor&) = delete;
  Extractor& operator=(const Extractor&) = delete;

  // Streams the record into a file as it inflates. A payload that does not
  // inflate is the kernel's .enc.z (its stored bytes); what did inflate is
  // kept beside it as .salvaged.
  void record(io::RecordStream& rs) {
    if (failed_.load(std::memory_order_relaxed) || scan_error_) return;
    auto f = out_.create();
    if (!f) return void(scan_error_ = f.error());
    auto o = rs.decode([&](std::string_view b) { return f->write(b); });
    if (!o) return void(scan_error_ = o.error());
    const Record& r = rs.record();
    const auto t = format::record_mtime(r);
    if (!(r.compressed && !r.decompressed)) return push({r.name, std::move(*f), t});
    auto g = out_.create();
    if (!g) return void(scan_error_ = g.error());
    if (auto n = rs.stored([&](std::string_view b) { return g->write(b); }); !n)
      return void(scan_error_ = n.error());
    push({r.name, std::move(*g), t});
    if (r.salvaged_size) push({format::salvaged_name(r), std::move(*f), t});
  }

  // Waits for every queued file; after it the results below are final.
  void finish() {
    {
      std::lock_guard<std::mutex> l(m_);
      if (done_) return;
      done_ = true;
    }
    ready_.notify_one();
    if (thread_.joinable()) thread_.join();
    if (scan_error_ && !error_) error_ = scan_error_;
  }

  // Takes back what this run wrote once it has to refuse.
  void roll_back() {
    for (const auto& n : written_) (void)out_.remove(n);
    written_.clear();
  }

  const std::vector<std::string>& written() const { return written_; }
  const std::vector<std::string>& clashes() const { return clashes_; }
  const std::optional<Error>& error() const { return error_; }
  // An error of the run after finish() (the directory's fsync); the first
  // error stays the one reported.
  void record_error(Error e) {
    if (!error_) error_ = std::move(e);
  }

 private:
  struct Pending {
    std::string name;
    io::OutputFile file;
    std::optional<format::FileTime> time;
  };
  // Files go over in batches of kBatch (one wake-up each, not one a file);
  // the scan waits while kPending are queued.
  static constexpr std::size_t kBatch = 16, kPending = 64;

  void push(Pending p) {
    std::unique_lock<std::mutex> l(m_);
    room_.wait(l, [&] { return queue_.size() < kPending; });
    queue_.push_back(std::move(p));
    const bool wake = queue_.size() == kBatch;
    l.unlock();
    if (wake) ready_.notify_one();
  }

  void commit_loop() {
    std::deque<Pending> batch;
    for (;;) {
      std::unique_lock<std::mutex> l(m_);
      ready_.wait(l, [&] { return queue_.size() >= kBatch || done_; });
      if (queue_.empty() && done_) return;
      batch.swap(queue_);
      l.unlock();
      room_.notify_one();
      for (auto& p : batch) put(p);
      batch.clear();
    }
  }

  void put(Pending& p) {
    if (error_) return;
    if (!clashes_.empty()) {
      if (out_.exists(p.name)) clashes_.push_back(p.name);
      return;
    }
    std::optional<std::int64_t> sec;
    if (p.time) sec = p.time->sec;
    auto w = p.file.commit(p.name, 0600, sec, p.time ? p.time->nsec : 0, force_);
    if (w) {
      written_.push_back(p.name);
    } else if (w.error().code == Errc::kConflict) {
      clashes_.push_back(p.name);
    } else {
      error_ = w.error();
      failed_.store(true, std::memory_order_relaxed);
    }
  }

  io::OutputDir& out_;
  const bool force_;
  // The committing thread's until finish().
  std::vector<std::string> written_, clashes_;
  std::optional<Error> error_;
  // The scan thread's.
  std::optional<Error> scan_error_;
  std::atomic<bool> failed_{false};
  std::mutex m_;
  std::condition_variable ready_, room_;
  std::deque<Pending> queue_;
  bool done_ = false;
  std::thread thread_;
};

int run_extract(const ReadArgs& a) {
  auto s = open_session(a);
  if (!s) return fail(s.error());
  if (s->symbols) s->opts.symbols = &*s->symbols;
  auto dir = io::OutputDir::open(a.output_dir);
  if (!dir) return fail(dir.error());
  Extractor ex(*dir, a.force);
  auto sum =
      io::scan_records(s->area.source(), s->opts, [&](io::RecordStream& rs) { ex.record(rs); });
  ex.finish();
  if (!sum || ex.error() || !ex.clashes().empty()) ex.roll_back();
  if (!sum) return fail(sum.error());
  if (!ex.error() && !ex.written().empty())
    if (auto synced = dir->sync(); !synced) ex.record_error(synced.error());
  if (ex.error()) return fail(*ex.error());
  if (!ex.clashes().empty()) {
    std::string names;
    for (const auto& n : ex.clashes()) names += (names.empty() ? "" : ", ") + n;
    warn(fmt::format("'{}' already holds {}: nothing written (--force replaces them).",
                     a.output_dir, names));
    return kExitFailure;
  }
  auto empty = explain_empty_scan(s->area.source(), *sum);
  if (!empty) return fail(empty.error());
  if (*empty == EmptyScan::kNoZoneData) return kExitFailure;
  const std::size_t bad = report_damage(*s, *sum, false);
  report_erased(erased_not_shown(*sum, a.include_erased), "written", "recovers");
  std::cerr << fmt::format("pstore-blk: {}: {} file(s) written to '{}'.\n", s->area.source().name(),
                           ex.written().size(), a.output_dir);
  return bad ? kExitFailure : kExitOk;
}

}  // namespace

void attach_list(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<ReadArgs>();
  add_common(sub, *a);
  sub.add_flag("-J,--json", a->json,
               "print one JSON document (keys: see JSON OUTPUT in pstore-blk(8))");
  sub.add_flag("--include-erased", a->include_erased,
               "also list records erased through /sys/fs/pstore");
  sub.add_option("-o,--output", a->columns, "columns to print ('+COL' adds to the default)")
      ->type_name("COLUMNS");
  sub.add_flag("-n,--noheadings", a->style.noheadings, "do not print the heading line");
  sub.add_flag("-r,--raw", a->style.raw, "one space between columns, unusual bytes as \\xHH");
  sub.add_flag("-v,--verbose", a->verbose,
               "say on stderr how the partition, layout and ABI were chosen");
  sub.footer(columns_help(kListColumns) + "\nSee pstore-blk(8) for details.");
  sub.callback([a, &action] { action = [a] { return run_list(*a); }; });
}

void attach_show(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<ReadArgs>();
  add_common(sub, *a);
  sub.add_option("NAME", a->name, "record name as 'list' prints it, e.g. dmesg-pstore_blk-0")
      ->required();
  sub.callback([a, &action] { action = [a] { return run_show(*a); }; });
}

void attach_extract(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<ReadArgs>();
  add_common(sub, *a);
  sub.add_option("-o,--output-dir", a->output_dir,
                 "directory to write the records to (created 0700)")
      ->required()
      ->type_name("DIR");
  sub.add_flag("--include-erased", a->include_erased,
               "also recover erased records, as <name>.erased");
  sub.add_flag("-f,--force", a->force, "replace files of the same name in DIR");
  sub.callback([a, &action] { action = [a] { return run_extract(*a); }; });
}

}  // namespace psb::cli
