// summary: one line per distinct crash over many records and machines.
//
// Sources are read one at a time and each dmesg record is parsed and dropped
// as soon as the reader hands it over, so memory grows with the number of
// distinct crashes (oops::CrashGroups), not with the number of sources.
// A SOURCE is an image/partition/disk (as for `list`), a kernel-written
// record file (dmesg-*, as in /sys/fs/pstore or /var/lib/systemd/pstore), or
// a directory of either.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/format/decompress.hpp"
#include "pstore_blk/oops/oops.hpp"
#include "pstore_blk/io/reader.hpp"

namespace psb::cli {

namespace {

namespace fs = std::filesystem;
using oops::CrashGroups;
using oops::CrashSignature;
using format::Record;

// A record file larger than this is not a kernel record (the kernel's own
// limit is a few times the kmsg zone size).
constexpr std::uint64_t kMaxRecordFile = 64u << 20;
// Source names shown per group in the text table.
constexpr std::size_t kShownSources = 3;

struct SummaryArgs {
  std::vector<std::string> sources;
  std::optional<int> partition;
  std::string abi;
  bool json_lines = false;
};

enum class InputKind { kImage, kRecordFile };

struct Input {
  std::string path;
  std::string source;  // the machine it came from: the image, or the record's directory
  InputKind kind;
};

// One parsed record on its way to the groups and the JSON Lines output.
struct Seen {
  std::string source;
  std::string record;
  std::string state;  // compressed, uncompressed, erased, salvaged, unreadable, extracted
  bool compressed = false;
  bool erased = false;
  bool salvaged = false;
  std::optional<std::string> reason;
  std::optional<std::int64_t> time;
};

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

// Files the kernel names <type>-<backend>-<id> (pstore_mkfile()): dmesg ones
// hold kernel log text; the other types are not crash reports.
bool is_dmesg_file(const std::string& name) {
  return starts_with(name, "dmesg-") || name == "dmesg.txt";
}
bool is_other_record_file(const std::string& name) {
  for (std::string_view p : {"pmsg-", "console-", "ftrace-", "mce-", "rtas-", "powerpc-"})
    if (starts_with(name, p)) return true;
  return false;
}

// Expands one SOURCE argument. A directory gives its regular files (images,
// or dmesg-* record files) and the dmesg-* files of its subdirectories
// (systemd-pstore keeps one directory per record id).
// A compressed image (disk.img.xz) cannot be read in place.
bool is_compressed_file(const std::string& name) {
  for (const char* e : {".xz", ".gz", ".zst", ".bz2", ".lz4"}) {
    const std::size_t n = std::strlen(e);
    if (name.size() > n && name.compare(name.size() - n, n, e) == 0) return true;
  }
  return false;
}

// Text that travels with pulled images (notes, checksums, listings) is not an
// image: skip it inside directories instead of failing on it.
bool is_sidecar_file(const std::string& name) {
  static const char* const kExt[] = {".md",   ".txt",  ".sha256", ".sha1",  ".md5", ".sum",
                                     ".list", ".conf", ".json",   ".jsonl", ".log", ".csv"};
  for (const char* e : kExt) {
    const std::size_t n = std::strlen(e);
    if (name.size() > n && name.compare(name.size() - n, n, e) == 0) return true;
  }
  return name == "README" || name == "SHA256SUMS";
}

bool expand(const std::string& arg, std::vector<Input>& out) {
  std::error_code ec;
  const auto st = fs::status(arg, ec);
  if (ec || !fs::exists(st)) {
    warn(fmt::format("Failed to open '{}': {}", arg,
                     ec ? ec.message() : "No such file or directory"));
    return false;
  }
  if (!fs::is_directory(st)) {
    const std::string name = fs::path(arg).filename().string();
    if (is_dmesg_file(name))
      out.push_back({arg, fs::path(arg).parent_path().string(), InputKind::kRecordFile});
    else
      out.push_back({arg, arg, InputKind::kImage});
    return true;
  }
  std::vector<fs::directory_entry> entries;
  for (fs::directory_iterator it(arg, ec), end; !ec && it != end; it.increment(ec))
    entries.push_back(*it);
  if (ec) {
    warn(fmt::format("Failed to read directory '{}': {}", arg, ec.message()));
    return false;
  }
  std::sort(entries.begin(), entries.end());
  const std::size_t before = out.size();
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    std::error_code ec2;
    if (e.is_directory(ec2)) {
      std::vector<fs::directory_entry> sub;
      for (fs::directory_iterator it(e.path(), ec2), end; !ec2 && it != end; it.increment(ec2))
        if (it->is_regular_file() && is_dmesg_file(it->path().filename().string()))
          sub.push_back(*it);
      std::sort(sub.begin(), sub.end());
      for (const auto& s : sub)
        out.push_back({s.path().string(), e.path().string(), InputKind::kRecordFile});
      continue;
    }
    if (!e.is_regular_file(ec2)) continue;
    if (is_dmesg_file(name))
      out.push_back({e.path().string(), arg, InputKind::kRecordFile});
    else if (is_compressed_file(name))
      warn(fmt::format("'{}': compressed; decompress it to read it, skipping.", e.path().string()));
    else if (!is_other_record_file(name) && name[0] != '.' && !is_sidecar_file(name))
      out.push_back({e.path().string(), e.path().string(), InputKind::kImage});
  }
  if (out.size() == before) {
    warn(fmt::format("'{}': no images or dmesg records in this directory, skipping.", arg));
    return false;
  }
  return true;
}

class Summary {
 public:
  explicit Summary(const SummaryArgs& a) : args_(a) {}

  // Parses `text`, adds it to its group and prints its JSON line.
  void add(const Seen& s, std::string_view text) {
    const CrashSignature sig = oops::parse_crash(text);
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

// Reads one image: every dmesg record, erased ones included.
bool read_image(const Input& in, const SummaryArgs& a, const io::ReadOptions& opts, Summary& sum) {
  auto area = device::open_pstore_area(in.path, a.partition);
  if (!area) {
    warn(area.error().message());
    return false;
  }
  auto scan = io::scan_partition(area->source(), opts, [&](Record&& r) {
    if (r.type != format::RecordType::kDmesg) return;
    Seen s;
    s.source = in.source;
    s.record = r.name;
    s.compressed = r.compressed;
    s.erased = r.erased;
    if (r.kmsg) {
      s.reason = std::string(format::reason_str(r.kmsg->reason));
      if (r.kmsg->tv_sec > 0) s.time = r.kmsg->tv_sec;
    }
    std::string_view text = r.content;
    if (r.compressed && !r.decompressed) {
      // Inflating failed: only the part that did inflate is text.
      text = r.salvaged;
      s.salvaged = !r.salvaged.empty();
    }
    s.state = s.salvaged                          ? "salvaged"
              : (r.compressed && !r.decompressed) ? "unreadable"
              : r.erased                          ? "erased"
              : r.compressed                      ? "compressed"
                                                  : "uncompressed";
    sum.add(s, text);
  });
  if (!scan) {
    warn(scan.error().message());
    return false;
  }
  return true;
}

// Reads one kernel-written record file (dmesg-*, maybe .enc.z).
bool read_record_file(const Input& in, Summary& sum) {
  auto f = io::FileSource::open(in.path);
  if (!f) {
    warn(f.error().message());
    return false;
  }
  const std::uint64_t size = (*f)->size();
  if (size > kMaxRecordFile) {
    warn(fmt::format("'{}': {} bytes is too large for a dmesg record, skipping.", in.path, size));
    return false;
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  auto n = (*f)->read_at(0, std::as_writable_bytes(std::span(data.data(), data.size())));
  if (!n) {
    warn(n.error().message());
    return false;
  }
  data.resize(*n);
  Seen s;
  s.source = in.source;
  s.record = fs::path(in.path).filename().string();
  s.state = "extracted";
  std::error_code ec;
  const auto mtime = fs::last_write_time(in.path, ec);
  if (!ec) {
    const auto sys = std::chrono::file_clock::to_sys(mtime);
    const auto sec =
        std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
    if (sec > 0) s.time = static_cast<std::int64_t>(sec);
  }
  const std::string_view name = s.record;
  if (name.size() > 6 && name.substr(name.size() - 6) == ".enc.z") {
    // The kernel could not inflate it either; try, and keep what comes out.
    s.compressed = true;
    auto inf = format::inflate_raw(format::as_bytes(data), 4 * data.size() + (1u << 20));
    s.salvaged = inf.status != format::InflateStatus::kOk;
    s.state = s.salvaged ? (inf.out.empty() ? "unreadable" : "salvaged") : "compressed";
    sum.add(s, inf.out);
    return true;
  }
  sum.add(s, data);
  return true;
}

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
  bool failed = false;
  std::size_t read = 0;
  for (const auto& arg : a.sources) {
    // Expanded per argument so that a failing directory does not stop the rest.
    std::vector<Input> inputs;
    if (!expand(arg, inputs)) failed = true;
    std::string last_source;
    for (const auto& in : inputs) {
      const bool ok =
          in.kind == InputKind::kImage ? read_image(in, a, opts, sum) : read_record_file(in, sum);
      if (!ok) {
        failed = true;
        continue;
      }
      ++read;
      if (in.source != last_source) sum.source_read();
      last_source = in.source;
    }
  }
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
  sub.callback([a, &action] { action = [a] { return run_summary(*a); }; });
}

}  // namespace psb::cli
