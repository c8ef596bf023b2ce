// Buffer-to-buffer raw-deflate inflate with an output bound.
//
// pstore compresses dmesg records as raw deflate (no zlib header, no adler32):
// 6.1 through the crypto API (crypto/deflate.c, window bits 11), >= 6.6 with
// the zlib library (window bits 15). Inflating with window 15 reads both.
// Images are hostile: output is bounded and every status is reported.
#pragma once

#include <cstddef>
#include <string>

#include "pstore_blk/format/bytes.hpp"

namespace psb::format {

enum class InflateStatus {
  kOk,           ///< reached the end of the deflate stream (the kernel's success)
  kOutputLimit,  ///< output would exceed the bound
  kDataError,    ///< invalid deflate data
  kIncomplete,   ///< input ended before the end of the stream
};

struct InflateResult {
  InflateStatus status = InflateStatus::kDataError;
  std::string out;           ///< everything inflated, also on failure (salvage)
  std::size_t consumed = 0;  ///< input bytes used
  std::string message;       ///< zlib's msg on error
};

/// Inflates `in` as raw deflate (also accepts a zlib-wrapped stream) producing
/// at most `max_out` bytes.
InflateResult inflate_raw(Bytes in, std::size_t max_out);

}  // namespace psb::format
