// Raw-deflate inflate with an output bound, streaming to its destination.
//
// pstore compresses dmesg records as raw deflate (no zlib header, no adler32):
// 6.1 through the crypto API (crypto/deflate.c, window bits 11), >= 6.6 with
// the zlib library (fs/pstore/platform.c, window bits 15). Inflating with
// window 15 reads both; a stream inflated in pieces must use 15 (see
// docs/FORMAT.md, "Compression").
// Images are hostile: output is bounded, memory does not grow with it, and
// every status is reported.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "pstore_blk/format/bytes.hpp"

namespace psb::format {

enum class InflateStatus {
  kOk,           ///< reached the end of the deflate stream (the kernel's success)
  kOutputLimit,  ///< output would exceed the bound
  kDataError,    ///< invalid deflate data
  kIncomplete,   ///< input ended before the end of the stream
  kStopped,      ///< the destination refused more output
};

/// Receives output in pieces (at most 64 KiB each); returns false to stop.
using ChunkSink = std::function<bool(std::string_view)>;

/// Inflates raw deflate fed in pieces, writing at most `max_out` bytes to the
/// sink. Memory stays at a 64 KiB output buffer plus zlib's 32 KiB window,
/// except for one whole record given at once (`last` on the first feed) with
/// a small bound: that goes through libdeflate into a buffer of `max_out`
/// bytes, falling back to zlib when libdeflate does not succeed, so the
/// output and the salvage of damaged streams are zlib's. Reusable: reset()
/// starts a new stream.
class StreamInflater {
 public:
  StreamInflater();
  ~StreamInflater();
  StreamInflater(const StreamInflater&) = delete;
  StreamInflater& operator=(const StreamInflater&) = delete;

  void reset(std::uint64_t max_out);
  /// Feeds the next input bytes; `last` says no more follow. Returns false
  /// once the stream is over (ended, failed or stopped): stop feeding.
  bool feed(Bytes in, bool last, const ChunkSink& out);
  /// The verdict once feeding is over.
  InflateStatus status() const;
  std::uint64_t produced() const;  ///< bytes given to the sink
  std::uint64_t consumed() const;  ///< input bytes used
  const std::string& message() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct InflateResult {
  InflateStatus status = InflateStatus::kDataError;
  std::string out;           ///< everything inflated, also on failure (salvage)
  std::size_t consumed = 0;  ///< input bytes used (0 when unknown)
  std::string message;       ///< zlib's msg on error
};

/// Inflates `in` as raw deflate (also accepts a zlib-wrapped stream) into a
/// string of at most `max_out` bytes (for callers that need the text).
InflateResult inflate_raw(Bytes in, std::size_t max_out);

/// Words for a failed status: "output exceeds N bytes", "deflate stream is
/// cut short", "invalid deflate data (msg)".
std::string inflate_failure(InflateStatus s, std::uint64_t limit, std::string_view message);

/// zlib deflate of all of `in` at once (deflateInit2 with `level`,
/// `window_bits` (negative: raw deflate; 16 + 8..15: a gzip wrapper with no
/// name and mtime 0) and `mem_level`) into at most `max_out` bytes; nullopt
/// when zlib refuses the parameters or the stream does not end inside
/// `max_out`. The one deflate of the project: the capture record's raw
/// deflate and the capture initramfs's gzip.
std::optional<std::string> deflate_once(std::string_view in, int level, int window_bits,
                                        int mem_level, std::size_t max_out);

}  // namespace psb::format
