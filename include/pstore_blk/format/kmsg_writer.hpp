// Writing one kmsg (dmesg) record into a pstore/zone partition exactly as the
// kernel would, for a capture kernel that saves a panic the panicked kernel
// could not write (no block driver has panic_write). Pure: zone reports and
// a log in, the bytes of one zone out; the io layer does the writing.
//
// What the kernel does, and what is mirrored here (fs/pstore, 5.8 .. 6.12):
//
// * Which zone: psz_kmsg_recover_meta() reads every kmsg zone's psz_buffer +
//   psz_kmsg_header and skips it when sig != PSZ_SIG ^ DMESG ("no valid
//   data"), datalen > buffer_size compared as size_t ("overtop"), or the
//   magic is wrong ("invalid zone"). Among the others, erased ones included,
//   the zone with the greatest tv_sec wins (compare `>=` against a running
//   maximum that starts at 0, so later indexes win ties and negative times
//   never win); the next write goes to (winner + 1) % count, or to zone 0
//   when no zone qualifies. oops_counter / panic_counter become the largest
//   `counter` among OOPS / PANIC headers (unsigned compare).
// * The record: psz_kmsg_write_record() takes a kzalloc'd zone buffer, sets
//   sig, and psz_write_kmsg_hdr() fills magic, time (ktime_get_real), the
//   compressed byte, counter = ++panic_counter for KMSG_DUMP_PANIC and
//   reason; the payload goes at sizeof(struct psz_kmsg_header); datalen =
//   sizeof(hdr) + payload, start = 0; the whole zone is written (FLUSH_ALL).
// * The payload: pstore_dump() (fs/pstore/platform.c) writes
//   "<Reason>#<oopscount> Part<part>\n" and then the newest whole log lines
//   that fit (kmsg_dump_get_buffer(syslog=true)). Uncompressed, header +
//   text fit in bufsize = zone size - 12 - sizeof(hdr). Compressed, header +
//   text fit in the compression buffer and deflate into bufsize.
// * Compression: raw deflate. 6.1 (crypto/deflate.c) inflates with window
//   bits 11 into big_oops_buf_sz = zbufsize_deflate(bufsize) bytes; >= 6.6
//   inflates with window bits 15 into 3 * bufsize. A stream deflated with
//   window bits 11 and at most the smaller of the two sizes reads on both.
// * What /sys/fs/pstore shows (psz_kmsg_read(), decompress_record()):
//   uncompressed records get "Panic: Total <counter> times\n" (%d) first;
//   compressed ones show the inflated payload alone.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/zone.hpp"
#include "pstore_blk/result.hpp"

namespace psb::format {

/// How much text a kernel fits in one kmsg zone of `zone_size` bytes.
struct KmsgCapacity {
  std::size_t bufsize = 0;        ///< psinfo->bufsize: zone - 12 - sizeof(psz_kmsg_header)
  std::size_t inflate_limit = 0;  ///< largest inflated payload both 6.1 and >= 6.6 accept
};
KmsgCapacity kmsg_capacity(std::uint64_t zone_size, const Abi& abi);

/// 6.1's zbufsize_deflate(): the compression/decompression buffer size.
std::size_t zbufsize_deflate_6_1(std::size_t bufsize);

/// The state psz_kmsg_recover_meta() rebuilds from the kmsg zones.
struct KmsgWriteState {
  unsigned zone_count = 0;  ///< kmsg zones in the layout
  unsigned next_zone = 0;   ///< kmsg_write_cnt: where the next record goes
  std::uint32_t oops_counter = 0;
  std::uint32_t panic_counter = 0;
  std::size_t valid_headers = 0;           ///< zones that passed the kernel's checks
  std::optional<std::int64_t> newest_sec;  ///< greatest tv_sec among them
};

/// Mirrors psz_kmsg_recover_meta() over the dmesg zones of `zones` (any
/// order of types; dmesg reports must be in zone-index order, as the reader
/// returns them). Zones whose kmsg header is missing are skipped.
KmsgWriteState recover_kmsg_meta(const std::vector<ZoneReport>& zones);

/// One panic dump to store.
struct PanicDump {
  std::string_view log;      ///< kernel log lines, oldest first ("<lvl>[sec.usec] text\n")
  std::int64_t tv_sec = 0;   ///< dump time (wall clock), >= 0
  std::int64_t tv_nsec = 0;  ///< 0 .. 999999999
  unsigned oopscount = 1;    ///< the N of "Panic#N Part1": dumps in that boot
  bool compress = true;      ///< raw deflate (window bits 11), as pstore's default
};

/// One zone to write, and what the kernel will make of it.
struct KmsgRecordPlan {
  ZoneSlot slot;                ///< the kmsg zone written (offset inside the partition)
  std::vector<std::byte> zone;  ///< slot.size bytes, as FLUSH_ALL writes them
  std::uint32_t counter = 0;    ///< header counter (panic_counter + 1)
  bool compressed = false;
  std::size_t payload_size = 0;    ///< bytes after the kmsg header (datalen - sizeof(hdr))
  std::size_t log_kept = 0;        ///< bytes of PanicDump::log in the record
  std::size_t log_dropped = 0;     ///< older log bytes that did not fit
  bool older_than_newest = false;  ///< dump time < a stored record's: the kernel
                                   ///< would overwrite this record first
  KmsgWriteState before;           ///< the recovered state the choice came from
  std::string kernel_file;         ///< exact content of /sys/fs/pstore/dmesg-pstore_blk-<index>
};

/// Builds the PANIC record for the zone the kernel would use next. `zones`
/// are the reader's reports for every zone of the partition (the layout as
/// discovered or forced); fails when the layout has no kmsg zone, the dump
/// time is out of range, or not even the first line fits.
Result<KmsgRecordPlan> plan_panic_record(const std::vector<ZoneReport>& zones, const Abi& abi,
                                         const PanicDump& dump);

/// Raw deflate of `in` (level 6, memLevel 8, window bits 11) into at most
/// `max_out` bytes; nullopt when it does not fit.
std::optional<std::string> deflate_window11(std::string_view in, std::size_t max_out);

/// The newest part of `log` that fits in `budget` bytes: whole lines when
/// possible (like kmsg_dump_get_buffer()), else the last `budget` bytes of
/// one over-long line. Returns the offset in `log` where the kept tail begins.
std::size_t log_tail_start(std::string_view log, std::size_t budget);

}  // namespace psb::format
