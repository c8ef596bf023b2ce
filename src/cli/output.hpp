// Private to the cli layer: small formatting helpers shared by the commands.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace psb::cli {

/// "2026-11-26T16:55:57Z": seconds since the epoch as UTC ISO 8601.
std::string iso_time(std::int64_t sec);

/// Flushes and closes stdout the way util-linux's close_stdout() does: a
/// failed write or close ("pstore-blk: write error: No space left on
/// device") turns `rc` into kExitFailure. EPIPE stays silent (SIGPIPE is left
/// at its default, so a pipeline reader that stops early ends us as usual).
int close_stdout(int rc);

/// True once a write to stdout has failed: long outputs stop early.
bool stdout_failed();

/// Writes bytes to stdout (through stdio, like std::cout) and remembers the
/// errno of the first failure for close_stdout(). False on failure.
bool write_stdout(std::string_view bytes);

/// Flushes stdout, remembering the errno of a failure (warn() calls it so
/// that messages on stderr follow the output they are about).
void flush_stdout();

}  // namespace psb::cli

#include <nlohmann/json.hpp>
#include <span>
#include <vector>

#include "pstore_blk/result.hpp"

namespace psb::cli {

/// One column of a table (`list`, `summary`): its -o name, the width the
/// text table pads it to (0: sized to the longest cell), its alignment and a
/// line for --help; `json` names the keys of the JSON object (-J) that carry
/// the same fact, separated by spaces, so -o chooses them too.
struct Column {
  const char* name;
  std::size_t width;
  bool right;
  const char* help;
  const char* json;
};

/// -J with -o (as lsblk -J -o): `object` without the keys no chosen column
/// names; keys of no column at all stay. Order is kept.
nlohmann::ordered_json keep_columns(const nlohmann::ordered_json& object,
                                    std::span<const Column> all,
                                    std::span<const std::size_t> chosen);

/// How a table is printed: util-linux's -n/--noheadings and -r/--raw.
struct TableStyle {
  bool noheadings = false;
  bool raw = false;
  std::size_t gap = 1;  ///< spaces between text columns
};

/// Parses -o/--output: comma-separated column names, any case; a leading
/// '+' appends to `defaults`. Errors name the unknown column and list the
/// valid ones.
Result<std::vector<std::size_t>> parse_columns(const std::string& list, std::span<const Column> all,
                                               std::span<const std::size_t> defaults);

/// "Available output columns:" and one line per column, for --help.
std::string columns_help(std::span<const Column> all);

/// Prints rows to stdout as they come, padding each column to its fixed
/// width (the last column is never padded): memory stays flat however many
/// rows there are. In raw mode cells are separated by one space and spaces,
/// backslashes and control bytes are escaped as \xHH (lsblk -r).
class TableWriter {
 public:
  TableWriter(std::span<const Column> all, std::vector<std::size_t> shown, TableStyle style);
  /// Sizes the columns of width 0 to the longest of these rows (and header).
  void fit(const std::vector<std::vector<std::string>>& rows);
  void header() const;
  /// `cells` holds one cell per column of `all`, in its order.
  void row(const std::vector<std::string>& cells) const;

 private:
  void line(const std::vector<std::string>& cells, bool is_header) const;
  std::span<const Column> all_;
  std::vector<std::size_t> shown_;
  std::vector<std::size_t> width_;
  TableStyle style_;
};

}  // namespace psb::cli

namespace psb::io {
class ByteSource;
struct ScanSummary;
}  // namespace psb::io

namespace psb::cli {

/// What a scan that found no pstore/zone signature read.
enum class EmptyScan {
  kHasData,     ///< signatures were found (or the layout was forced)
  kBlank,       ///< every byte 0x00 or 0xFF: a partition never written to
  kNoZoneData,  ///< something else: not a pstore partition
};

struct EmptyScanVerdict {
  EmptyScan kind = EmptyScan::kHasData;
  std::string message;  ///< for kBlank and kNoZoneData, without the "pstore-blk: " prefix
};

/// Looks at the area when the scan found no signature: blank ("IMG: No
/// records: the area is blank ...") or not pstore data ("IMG holds no
/// pstore/zone data"). Prints nothing (summary's workers collect it).
Result<EmptyScanVerdict> judge_empty_scan(const io::ByteSource& src, const io::ScanSummary& sum);

/// judge_empty_scan() with its message printed on stderr; the caller exits 0
/// for kBlank and 1 for kNoZoneData.
Result<EmptyScan> explain_empty_scan(const io::ByteSource& src, const io::ScanSummary& sum);

}  // namespace psb::cli
