// Private to the cli layer: summary's data path. Each SOURCE argument is
// expanded into inputs (images and record files); each input is read and its
// dmesg records parsed into crash signatures by a pool of workers; results
// come back to the caller one input at a time, in argument order, so the
// output of `--jobs N` is the output of `--jobs 1`.
//
// Memory: a worker holds one record's text at a time and drops it once
// parsed; finished inputs wait for their turn only within a window of
// 2 x jobs inputs, so memory is bounded by jobs x (one record + the
// signatures of one input), whatever the number of sources.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/io/reader.hpp"
#include "pstore_blk/oops/oops.hpp"

namespace psb::cli {

enum class InputKind { kImage, kRecordFile };

/// One thing to read: an image (or partition or disk), or a kernel-written
/// record file.
struct Input {
  std::string path;
  std::string source;  ///< the machine it came from: the image, or the record's directory
  InputKind kind = InputKind::kImage;
};

/// One dmesg record on its way to the groups and the JSON Lines output.
struct Seen {
  std::string source;
  std::string record;
  std::string state;  ///< compressed, uncompressed, erased, salvaged, unreadable, extracted
  bool compressed = false;
  bool erased = false;
  bool salvaged = false;
  std::optional<std::string> reason;
  std::optional<std::int64_t> time;
};

struct SummaryItem {
  Seen seen;
  oops::CrashSignature sig;
};

/// What reading one input gave, warnings in the order they arose.
struct InputResult {
  bool ok = false;
  std::vector<std::string> warnings;
  std::vector<SummaryItem> items;
};

/// One step of a summary run, in argument order: the warnings of expanding
/// an argument, then its inputs.
struct Task {
  std::vector<std::string> warnings;  ///< printed before the input is read
  std::optional<Input> input;         ///< empty: a step that only warns
  bool failed = false;                ///< expanding the argument failed
  bool new_argument = false;          ///< first task of a SOURCE argument
};

/// Expands SOURCE arguments into tasks. A directory gives its regular files
/// (images, or dmesg-* record files) and the dmesg-* files of its
/// subdirectories (systemd-pstore keeps one directory per record id).
std::vector<Task> expand_sources(const std::vector<std::string>& args);

struct SourceOptions {
  std::optional<int> partition;
  io::ReadOptions read;
};

/// Reads one input and parses its dmesg records. Thread-safe.
InputResult read_input(const Input& in, const SourceOptions& opts);

/// The text summary takes from a record file's bytes (`name` is its file
/// name: a ".enc.z" one is inflated, keeping what inflates) and the state
/// that says how it was obtained. Pure; the fuzz target calls it.
struct RecordText {
  std::string text;
  std::string state;  ///< "extracted", "compressed", "salvaged", "unreadable"
  bool compressed = false;
  bool salvaged = false;
};
RecordText record_file_text(std::string_view name, std::string data);

/// Reads every task's input on `jobs` threads (1: on the calling thread)
/// and calls `merge` for each task in order with its result.
void run_tasks(const std::vector<Task>& tasks, unsigned jobs, const SourceOptions& opts,
               const std::function<void(const Task&, InputResult&&)>& merge);

/// The number of online CPUs (at least 1): the default of --jobs.
unsigned online_cpus();

}  // namespace psb::cli
