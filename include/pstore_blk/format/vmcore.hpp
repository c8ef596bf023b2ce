// The panicked kernel's log, read from the ELF core file a capture (kdump)
// kernel exports as /proc/vmcore, and rendered as pstore's kmsg dumper would.
//
// /proc/vmcore (fs/proc/vmcore.c; headers built by crash_prepare_elf64_headers()
// in kernel/crash_core.c) is an ELF64 core file, in the crashed machine's byte
// order:
//   Elf64_Ehdr: e_ident "\x7fELF", [4] class (2 = 64-bit), [5] data (1 = LE,
//               2 = BE); e_phoff u64 @32, e_phentsize u16 @54, e_phnum u16 @56.
//   Elf64_Phdr (56 bytes): p_type u32 @0 (1 PT_LOAD, 4 PT_NOTE), p_offset @8,
//               p_vaddr @16, p_paddr @24, p_filesz @32, p_memsz @40 (all u64).
//   PT_LOAD segments map the kernel text (p_vaddr = _text) and every RAM
//   range (p_vaddr = __va(start)), so kernel virtual addresses translate to
//   file offsets directly. The PT_NOTE segment holds the notes back to back:
//   namesz u32, descsz u32, type u32, name and desc each padded to 4 bytes;
//   the "VMCOREINFO" note is text lines "KEY=VALUE".
//
// The log is the lockless printk ring buffer (kernel/printk/printk_ringbuffer.h,
// 5.10 .. 6.12 unchanged in what is read here). Every offset and size comes
// from VMCOREINFO (log_buf_vmcoreinfo_setup(), kernel/printk/printk.c), so
// the 6.1 and 6.12 layouts both read without a table of versions:
//   SYMBOL(prb)                       address of `struct printk_ringbuffer *prb`
//   OFFSET(printk_ringbuffer.desc_ring / .text_data_ring)
//   OFFSET(prb_desc_ring.count_bits  u32 / .descs ptr / .infos ptr / .head_id / .tail_id long)
//   SIZE(prb_desc), OFFSET(prb_desc.state_var long / .text_blk_lpos)
//   OFFSET(prb_data_blk_lpos.begin / .next)   unsigned long logical positions
//   SIZE(printk_info), OFFSET(printk_info.seq u64 / .ts_nsec u64 / .text_len u16 / .caller_id u32)
//   OFFSET(prb_data_ring.size_bits u32 / .data ptr / .head_lpos / .tail_lpos)
//   SIZE(atomic_long_t)               sizeof(long) of the crashed kernel
// Not exported, because they are bitfields: `u8 facility` sits right after
// text_len (text_len + 2) and `u8 flags:5, level:3` in the next byte (level
// in the top 3 bits on little-endian, the low 3 on big-endian); this is
// checked against OFFSET(printk_info.caller_id) == text_len + 4.
//
// Descriptor state_var: id in the low (long bits - 2) bits, state in the top
// two (0 reserved, 1 committed, 2 finalized, 3 reusable); readers take
// committed and finalized records with a matching id, from tail_id to
// head_id. A text block at logical position `begin` holds an unsigned long
// block id, then the text; a block whose `begin` and `next` fall in
// different wraps of the ring starts at offset 0; begin = next = NO_LPOS
// (0x3) is an empty record, other odd positions (FAILED_LPOS) and blocks
// shorter than text_len are no record (get_data(), copy_data() in
// printk_ringbuffer.c).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/format/bytes.hpp"
#include "pstore_blk/result.hpp"

namespace psb::format {

/// Random access to the core file (the io layer supplies it): reads up to
/// buf.size() bytes at `offset`, fewer only at the end of the file.
using ReadAt = std::function<Result<std::size_t>(std::uint64_t offset, std::span<std::byte> buf)>;

/// VMCOREINFO lines "KEY=VALUE" (e.g. "SYMBOL(prb)=ffffffff82a5b9d0",
/// "OFFSET(printk_info.seq)=0", "SIZE(prb_desc)=24").
class VmcoreInfo {
 public:
  static VmcoreInfo parse(std::string_view text);
  std::optional<std::string_view> get(std::string_view key) const;
  /// A hex value (SYMBOL) or a decimal one (OFFSET, SIZE, NUMBER, LENGTH).
  std::optional<std::uint64_t> number(std::string_view key, int base) const;
  std::size_t size() const { return kv_.size(); }

 private:
  std::map<std::string, std::string, std::less<>> kv_;
};

struct LoadSegment {
  std::uint64_t vaddr = 0, paddr = 0, offset = 0, filesz = 0;
};

struct ElfCore {
  Endian endian = Endian::kLittle;
  std::vector<LoadSegment> loads;
  std::string vmcoreinfo;  ///< the note's text, empty when there is none
};

/// Parses the ELF64 header, program headers and notes of a core file of
/// `size` bytes. At most 65535 program headers and 1 MiB of notes.
Result<ElfCore> parse_elf_core(const ReadAt& read, std::uint64_t size);

/// One printk record (struct printk_info plus its text).
struct LogRecord {
  std::uint64_t seq = 0;
  std::uint64_t ts_nsec = 0;
  std::uint8_t facility = 0;
  std::uint8_t level = 0;
  std::uint32_t caller_id = 0;
  std::string text;
};

struct PrintkLog {
  std::vector<LogRecord> records;  ///< oldest first
  std::size_t skipped = 0;         ///< descriptors in the id range that were not readable records
  /// VMCOREINFO "CRASHTIME=": ktime_get_real_seconds() when the crashing
  /// kernel saved its vmcoreinfo (crash_save_vmcoreinfo(), at panic).
  std::optional<std::int64_t> crash_time;
};

/// Limits that keep a hostile core file from costing unbounded memory.
/// The largest ring CONFIG_LOG_BUF_SHIFT allows (25: 32 MiB of text, and
/// 2^(25 - PRB_AVGBITS 5) descriptors); Debian's 17 gives 128 KiB and 4096.
/// With the struct sizes capped (prb_desc <= 64, printk_info <= 128 bytes;
/// 24 and 88 on x86_64) a core costs at most 224 MiB to read.
inline constexpr unsigned kMaxDescBits = 20;
inline constexpr unsigned kMaxDataBits = 25;
inline constexpr std::size_t kMaxDescSize = 64;
inline constexpr std::size_t kMaxInfoSize = 128;

/// Reads the ring buffer `prb` points to.
Result<PrintkLog> read_printk_log(const ReadAt& read, const ElfCore& core);

/// The records as pstore's kmsg dumper writes them (record_print_text()
/// with syslog and printk.time on, no CONFIG_PRINTK_CALLER): every line of
/// a record becomes "<facility*8+level>[%5lu.%06lu] line\n".
std::string render_kmsg_dump(const std::vector<LogRecord>& records);

}  // namespace psb::format
