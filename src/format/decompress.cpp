#include "pstore_blk/format/decompress.hpp"

#include <zlib.h>

#include <algorithm>

namespace psb::format {

namespace {

InflateResult run_inflate(Bytes in, std::size_t max_out, int window_bits) {
  InflateResult res;
  z_stream zs{};
  if (inflateInit2(&zs, window_bits) != Z_OK) {
    res.message = "inflateInit2 failed";
    return res;
  }
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
  zs.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT32_MAX));
  // Inflate straight into the result, growing it geometrically (kernel text
  // deflates about 3:1), never past max_out + 1 (one byte more tells "limit").
  std::size_t used = 0;
  std::size_t cap = std::min(max_out + 1, std::max<std::size_t>(4 * in.size(), 4096));
  res.out.resize(cap);
  int ret = Z_OK;
  while (true) {
    if (used == res.out.size()) {
      if (res.out.size() > max_out) break;
      res.out.resize(std::min(max_out + 1, res.out.size() * 2));
    }
    zs.next_out = reinterpret_cast<Bytef*>(res.out.data() + used);
    zs.avail_out = static_cast<uInt>(res.out.size() - used);
    const uInt before = zs.avail_out;
    ret = inflate(&zs, Z_NO_FLUSH);
    const std::size_t produced = before - zs.avail_out;
    used += produced;
    if (ret == Z_STREAM_END) break;
    if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_MEM_ERROR || ret == Z_STREAM_ERROR)
      break;
    if (ret == Z_BUF_ERROR || (zs.avail_in == 0 && produced == 0)) break;
  }
  if (used > max_out) {
    res.status = InflateStatus::kOutputLimit;
    used = max_out;
  } else if (ret == Z_STREAM_END) {
    res.status = InflateStatus::kOk;
  } else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_MEM_ERROR ||
             ret == Z_STREAM_ERROR) {
    res.status = InflateStatus::kDataError;
    if (zs.msg) res.message = zs.msg;
  } else {
    res.status = InflateStatus::kIncomplete;
    res.message = "input ends before the end of the deflate stream";
  }
  res.out.resize(used);
  res.consumed = in.size() - zs.avail_in;
  inflateEnd(&zs);
  return res;
}

}  // namespace

InflateResult inflate_raw(Bytes in, std::size_t max_out) {
  // A zlib header (CMF 0x78) cannot start a valid raw stream whose first
  // block is well-formed as often as it does here; try raw first, as the
  // kernel does, and only fall back to zlib framing when raw fails at once.
  InflateResult raw = run_inflate(in, max_out, -15);
  if (raw.status == InflateStatus::kOk || raw.out.size() > 0) return raw;
  if (in.size() >= 2 && std::to_integer<unsigned>(in[0]) == 0x78) {
    InflateResult z = run_inflate(in, max_out, 15);
    if (z.status == InflateStatus::kOk) return z;
  }
  return raw;
}

}  // namespace psb::format
