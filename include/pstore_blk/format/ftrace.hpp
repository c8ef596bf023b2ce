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

}  // namespace psb::format
