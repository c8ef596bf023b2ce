// summary's data path: expanding SOURCE arguments, reading each input into
// crash signatures, and the worker pool that does it on every core (see
// summary_source.hpp).
#include "cli/summary_source.hpp"

#include <fmt/core.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cli/output.hpp"
#include "pstore_blk/device/probe.hpp"
#include "pstore_blk/format/decompress.hpp"

namespace psb::cli {

namespace {

namespace fs = std::filesystem;

// A record file larger than this is not a kernel record (the kernel's own
// limit is a few times the kmsg zone size).
constexpr std::uint64_t kMaxRecordFile = 64u << 20;

bool starts_with(std::string_view s, std::string_view p) { return s.substr(0, p.size()) == p; }

bool ends_with_any(const std::string& name, std::initializer_list<const char*> exts) {
  for (const char* e : exts) {
    const std::size_t n = std::strlen(e);
    if (name.size() > n && name.compare(name.size() - n, n, e) == 0) return true;
  }
  return false;
}

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

// A compressed image (disk.img.xz) cannot be read in place.
bool is_compressed_file(const std::string& name) {
  return ends_with_any(name, {".xz", ".gz", ".zst", ".bz2", ".lz4"});
}

// Text that travels with pulled images (notes, checksums, listings) is not an
// image: skip it inside directories instead of failing on it.
bool is_sidecar_file(const std::string& name) {
  return ends_with_any(name, {".md", ".txt", ".sha256", ".sha1", ".md5", ".sum", ".list", ".conf",
                              ".json", ".jsonl", ".log", ".csv"}) ||
         name == "README" || name == "SHA256SUMS";
}

// The dmesg-* files of one subdirectory, sorted.
void add_subdirectory(const fs::directory_entry& dir, std::vector<Input>& out) {
  std::error_code ec;
  std::vector<fs::directory_entry> sub;
  for (fs::directory_iterator it(dir.path(), ec), end; !ec && it != end; it.increment(ec))
    if (it->is_regular_file() && is_dmesg_file(it->path().filename().string())) sub.push_back(*it);
  std::sort(sub.begin(), sub.end());
  for (const auto& s : sub)
    out.push_back({s.path().string(), dir.path().string(), InputKind::kRecordFile});
}

// Expands one SOURCE argument into `out`; false (with a warning) when it
// gives nothing to read.
bool expand(const std::string& arg, std::vector<Input>& out, std::vector<std::string>& warnings) {
  std::error_code ec;
  const auto st = fs::status(arg, ec);
  if (ec || !fs::exists(st)) {
    warnings.push_back(fmt::format("Failed to open '{}': {}", arg,
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
    warnings.push_back(fmt::format("Failed to read directory '{}': {}", arg, ec.message()));
    return false;
  }
  std::sort(entries.begin(), entries.end());
  const std::size_t before = out.size();
  for (const auto& e : entries) {
    const std::string name = e.path().filename().string();
    std::error_code ec2;
    if (e.is_directory(ec2)) {
      add_subdirectory(e, out);
      continue;
    }
    if (!e.is_regular_file(ec2)) continue;
    if (is_dmesg_file(name))
      out.push_back({e.path().string(), arg, InputKind::kRecordFile});
    else if (is_compressed_file(name))
      warnings.push_back(
          fmt::format("'{}': compressed; decompress it to read it, skipping.", e.path().string()));
    else if (!is_other_record_file(name) && name[0] != '.' && !is_sidecar_file(name))
      out.push_back({e.path().string(), e.path().string(), InputKind::kImage});
  }
  if (out.size() == before) {
    warnings.push_back(
        fmt::format("'{}': no images or dmesg records in this directory, skipping.", arg));
    return false;
  }
  return true;
}

// One dmesg record of an image, as summary sees it.
SummaryItem image_item(const Input& in, const format::Record& r) {
  SummaryItem it;
  Seen& s = it.seen;
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
  it.sig = oops::parse_crash(text);
  return it;
}

// Reads one image: every dmesg record, erased ones included.
InputResult read_image(const Input& in, const SourceOptions& opts) {
  InputResult res;
  auto area = device::open_pstore_area(in.path, opts.partition);
  if (!area) {
    res.warnings.push_back(area.error().message());
    return res;
  }
  auto scan = io::scan_partition(area->source(), opts.read, [&](format::Record&& r) {
    if (r.type == format::RecordType::kDmesg) res.items.push_back(image_item(in, r));
  });
  if (!scan) {
    res.warnings.push_back(scan.error().message());
    return res;
  }
  // No zone signature: a blank partition is fine, anything else is not ours.
  auto empty = judge_empty_scan(area->source(), *scan);
  if (!empty) {
    res.warnings.push_back(empty.error().message());
    return res;
  }
  if (!empty->message.empty()) res.warnings.push_back(empty->message);
  res.ok = empty->kind != EmptyScan::kNoZoneData;
  return res;
}

std::optional<std::int64_t> file_mtime(const std::string& path) {
  std::error_code ec;
  const auto mtime = fs::last_write_time(path, ec);
  if (ec) return std::nullopt;
  const auto sys = std::chrono::file_clock::to_sys(mtime);
  const auto sec = std::chrono::duration_cast<std::chrono::seconds>(sys.time_since_epoch()).count();
  if (sec <= 0) return std::nullopt;
  return static_cast<std::int64_t>(sec);
}

// Reads one kernel-written record file (dmesg-*, maybe .enc.z).
InputResult read_record_file(const Input& in) {
  InputResult res;
  auto f = io::FileSource::open(in.path);
  if (!f) {
    res.warnings.push_back(f.error().message());
    return res;
  }
  const std::uint64_t size = (*f)->size();
  if (size > kMaxRecordFile) {
    res.warnings.push_back(
        fmt::format("'{}': {} bytes is too large for a dmesg record, skipping.", in.path, size));
    return res;
  }
  std::string data(static_cast<std::size_t>(size), '\0');
  auto n = (*f)->read_at(0, std::as_writable_bytes(std::span(data.data(), data.size())));
  if (!n) {
    res.warnings.push_back(n.error().message());
    return res;
  }
  data.resize(*n);
  SummaryItem it;
  it.seen.source = in.source;
  it.seen.record = fs::path(in.path).filename().string();
  it.seen.time = file_mtime(in.path);
  RecordText t = record_file_text(it.seen.record, std::move(data));
  it.seen.state = std::move(t.state);
  it.seen.compressed = t.compressed;
  it.seen.salvaged = t.salvaged;
  it.sig = oops::parse_crash(t.text);
  res.items.push_back(std::move(it));
  res.ok = true;
  return res;
}

}  // namespace

std::vector<Task> expand_sources(const std::vector<std::string>& args) {
  std::vector<Task> tasks;
  for (const auto& arg : args) {
    // Expanded per argument so that a failing directory does not stop the rest.
    std::vector<Input> inputs;
    Task head;
    head.failed = !expand(arg, inputs, head.warnings);
    head.new_argument = true;
    if (!inputs.empty()) head.input = std::move(inputs.front());
    tasks.push_back(std::move(head));
    for (std::size_t i = 1; i < inputs.size(); ++i) {
      Task t;
      t.input = std::move(inputs[i]);
      tasks.push_back(std::move(t));
    }
  }
  return tasks;
}

RecordText record_file_text(std::string_view name, std::string data) {
  RecordText t;
  t.state = "extracted";
  if (name.size() > 6 && name.substr(name.size() - 6) == ".enc.z") {
    // The kernel could not inflate it either; try, and keep what comes out.
    t.compressed = true;
    auto inf = format::inflate_raw(format::as_bytes(data), 4 * data.size() + (1u << 20));
    t.salvaged = inf.status != format::InflateStatus::kOk;
    t.state = t.salvaged ? (inf.out.empty() ? "unreadable" : "salvaged") : "compressed";
    t.text = std::move(inf.out);
    return t;
  }
  t.text = std::move(data);
  return t;
}

InputResult read_input(const Input& in, const SourceOptions& opts) {
  return in.kind == InputKind::kImage ? read_image(in, opts) : read_record_file(in);
}

namespace {

InputResult run_task(const Task& t, const SourceOptions& opts) {
  if (t.input) return read_input(*t.input, opts);
  InputResult none;
  none.ok = true;
  return none;
}

// The pool: workers take tasks in order, at most `window` ahead of the
// merge; the calling thread merges results in task order.
class Pool {
 public:
  Pool(const std::vector<Task>& tasks, const SourceOptions& opts, std::size_t window)
      : tasks_(tasks), opts_(opts), window_(window), done_(tasks.size()) {}

  void work() {
    for (;;) {
      std::size_t i;
      {
        std::unique_lock lock(m_);
        can_take_.wait(lock, [&] { return next_ >= tasks_.size() || next_ < merged_ + window_; });
        if (next_ >= tasks_.size()) return;
        i = next_++;
      }
      InputResult r = run_task(tasks_[i], opts_);
      {
        std::lock_guard lock(m_);
        done_[i] = std::move(r);
      }
      finished_.notify_all();
    }
  }

  InputResult take(std::size_t i) {
    std::unique_lock lock(m_);
    finished_.wait(lock, [&] { return done_[i].has_value(); });
    InputResult r = std::move(*done_[i]);
    done_[i].reset();
    merged_ = i + 1;
    lock.unlock();
    can_take_.notify_all();
    return r;
  }

 private:
  const std::vector<Task>& tasks_;
  const SourceOptions& opts_;
  const std::size_t window_;
  std::vector<std::optional<InputResult>> done_;
  std::mutex m_;
  std::condition_variable can_take_, finished_;
  std::size_t next_ = 0, merged_ = 0;
};

}  // namespace

void run_tasks(const std::vector<Task>& tasks, unsigned jobs, const SourceOptions& opts,
               const std::function<void(const Task&, InputResult&&)>& merge) {
  if (jobs <= 1 || tasks.size() <= 1) {
    for (const auto& t : tasks) merge(t, run_task(t, opts));
    return;
  }
  Pool pool(tasks, opts, 2 * std::size_t{jobs});
  std::vector<std::thread> workers;
  const unsigned n = static_cast<unsigned>(std::min<std::size_t>(jobs, tasks.size()));
  for (unsigned k = 0; k < n; ++k) workers.emplace_back([&pool] { pool.work(); });
  for (std::size_t i = 0; i < tasks.size(); ++i) merge(tasks[i], pool.take(i));
  for (auto& w : workers) w.join();
}

unsigned online_cpus() {
  const long n = ::sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? static_cast<unsigned>(n) : 1u;
}

}  // namespace psb::cli
