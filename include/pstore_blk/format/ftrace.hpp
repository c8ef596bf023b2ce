// pstore ftrace records: merging the per-CPU zones and rendering them the way
// the kernel's ftrace-pstore_blk-0 file does.
//
// struct pstore_ftrace_record (include/linux/pstore.h), native byte order:
//   unsigned long ip; unsigned long parent_ip; u64 ts;   (24 / 16 bytes)
// ts: counter << 8 | cpu (TS_CPU_SHIFT), unless PSTORE_CPU_IN_IP (ARM with
// NR_CPUS <= 4), where the CPU is in the low bits of ip.
//
// psz_ftrace_read() merges every CPU zone with pstore_ftrace_combine_log()
// (fs/pstore/ftrace.c): each zone skips `len % sizeof(rec)` leading bytes,
// then a two-way merge by the decoded counter where ties go to the zone
// merged in later. pstore_ftrace_seq_show() (fs/pstore/inode.c) prints
//   "CPU:%d ts:%llu %08lx  %08lx  %ps <- %pS\n".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/decompress.hpp"
#include "pstore_blk/format/record.hpp"

namespace psb::format {

struct FtraceRecord {
  std::uint64_t ip = 0;
  std::uint64_t parent_ip = 0;
  std::uint64_t ts = 0;
};

unsigned ftrace_cpu(const FtraceRecord& r, const Abi& abi);
std::uint64_t ftrace_counter(const FtraceRecord& r, const Abi& abi);

/// Decodes the whole records of one linearised CPU zone (skipping the
/// leading partial record) and merges them into `merged` like
/// pstore_ftrace_combine_log(merged, zone).
void ftrace_combine(std::vector<FtraceRecord>& merged, std::string_view zone_data, const Abi& abi);

/// A symbol found for an address: "name+0xoff/0xsize [module]".
struct Symbol {
  std::string name;
  std::uint64_t offset = 0;
  std::uint64_t size = 0;
};

/// Resolves kernel text addresses offline, from the crashed kernel's
/// System.map or /proc/kallsyms dump.
class SymbolTable {
 public:
  /// Parses "ADDRESS TYPE NAME[ [module]]" lines; unknown lines are skipped.
  static SymbolTable parse(std::string_view text);
  /// Incremental form for streamed files: add_line() each line (without
  /// its newline), then finish() once.
  void add_line(std::string_view line);
  void finish();
  std::optional<Symbol> lookup(std::uint64_t addr) const;
  std::size_t size() const { return syms_.size(); }

 private:
  struct Entry {
    std::uint64_t addr;
    std::string name;
    int rank;  // kallsyms' preference among aliases: lower wins
  };
  std::vector<Entry> syms_;  // sorted by (addr, rank)
};

/// Renders the merged records like the kernel's seq_file. Without a symbol
/// table, or for an address it does not cover, symbols print as "0x<hex>"
/// (what the kernel's %ps/%pS print for an unknown address).
std::string render_ftrace(const std::vector<FtraceRecord>& recs, const Abi& abi,
                          const SymbolTable* syms);

/// The same, line by line into a sink, so the text is never held whole.
/// Returns false when the sink refused more.
bool render_ftrace_to(const std::vector<FtraceRecord>& recs, const Abi& abi,
                      const SymbolTable* syms, const ChunkSink& out);

/// Builds the one ftrace record psz_ftrace_read() makes of every CPU zone.
/// Holds the merged binary records (24 or 16 bytes each), never the text;
/// zones beyond `max_bytes` of ring data in all are left out and said so.
class FtraceAssembler {
 public:
  explicit FtraceAssembler(const Abi& abi, std::uint64_t max_bytes = 8u << 20)
      : abi_(abi), max_bytes_(max_bytes) {}
  /// Whether a classified CPU zone contributes data (ok or truncated).
  static bool contributes(const ZoneReport& rep);
  /// False when taking `bytes` more would pass the bound.
  bool has_room(std::uint64_t bytes) const { return taken_ + bytes <= max_bytes_; }
  /// Merges one CPU zone's linearised data (linearize_ring()).
  void add(std::string_view linear);
  /// Notes a contributing zone left out for the bound.
  void skip(const ZoneSlot& slot);
  /// The record ("ftrace-pstore_blk-0", at the first CPU zone), when any
  /// zone contributed records; its content comes from render().
  std::optional<Record> record(std::uint64_t first_offset) const;
  bool render(const SymbolTable* syms, const ChunkSink& out) const {
    return render_ftrace_to(merged_, abi_, syms, out);
  }

 private:
  Abi abi_;
  std::uint64_t max_bytes_;
  std::uint64_t taken_ = 0;
  bool any_ = false;
  std::vector<FtraceRecord> merged_;
  std::string skipped_;
};

}  // namespace psb::format
