#include "pstore_blk/format/decompress.hpp"

#include <libdeflate.h>
#include <zlib.h>

#include <algorithm>
#include <limits>
#include <vector>

namespace psb::format {

namespace {
constexpr std::size_t kOutChunk = 64 * 1024;
// A whole stream given at once whose bound is at most this goes through
// libdeflate into one buffer of the bound (a 64 KiB kmsg zone: 192 KiB);
// larger bounds stream through zlib so that memory stays flat.
constexpr std::uint64_t kWholeMax = 1 << 20;
}  // namespace

struct StreamInflater::Impl {
  z_stream zs{};
  bool init_ok = false;
  int window = -15;
  std::uint64_t max_out = 0;
  std::uint64_t produced = 0;
  std::uint64_t consumed = 0;
  bool first_feed = true;
  bool over = false;
  InflateStatus status = InflateStatus::kIncomplete;
  std::string message;
  std::vector<char> out;
  libdeflate_decompressor* whole_inflater = nullptr;
  std::vector<char> whole;

  Impl() {
    init_ok = inflateInit2(&zs, -15) == Z_OK;
    out.resize(kOutChunk);
  }
  ~Impl() {
    if (init_ok) inflateEnd(&zs);
    if (whole_inflater) libdeflate_free_decompressor(whole_inflater);
  }

  void restart(int window_bits) {
    window = window_bits;
    inflateReset2(&zs, window_bits);
  }

  // Gives from[0..n) to the sink, clipped to the bound. False: stop.
  bool emit(const char* from, std::size_t n, const ChunkSink& sink) {
    if (n == 0) return true;
    const std::uint64_t room = max_out - std::min(max_out, produced);
    if (n > room) {
      if (room && !sink(std::string_view(from, static_cast<std::size_t>(room)))) {
        status = InflateStatus::kStopped;
        return false;
      }
      produced += room;
      status = InflateStatus::kOutputLimit;
      return false;
    }
    if (!sink(std::string_view(from, n))) {
      status = InflateStatus::kStopped;
      return false;
    }
    produced += n;
    return true;
  }

  // One pass of zlib over `in`. Returns false once the stream is over.
  bool run(Bytes in, bool last, const ChunkSink& sink) {
    zs.next_in = reinterpret_cast<Bytef*>(const_cast<std::byte*>(in.data()));
    zs.avail_in = static_cast<uInt>(std::min<std::size_t>(in.size(), UINT32_MAX));
    while (true) {
      zs.next_out = reinterpret_cast<Bytef*>(out.data());
      zs.avail_out = static_cast<uInt>(out.size());
      const uInt before_in = zs.avail_in;
      const int ret = inflate(&zs, Z_NO_FLUSH);
      consumed += before_in - zs.avail_in;
      const std::size_t n = out.size() - zs.avail_out;
      if (!emit(out.data(), n, sink)) return false;
      if (ret == Z_STREAM_END) {
        status = InflateStatus::kOk;
        return false;
      }
      if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT || ret == Z_MEM_ERROR ||
          ret == Z_STREAM_ERROR) {
        status = InflateStatus::kDataError;
        message = zs.msg ? zs.msg : "";
        return false;
      }
      if (zs.avail_in == 0 && n < out.size()) break;  // wants more input
      if (ret == Z_BUF_ERROR && n == 0) break;
    }
    if (last) {
      status = InflateStatus::kIncomplete;
      message = "input ends before the end of the deflate stream";
      return false;
    }
    return true;
  }

  // The whole stream at once through libdeflate, about twice as fast as
  // zlib. True when it inflated within the bound: the output went to the
  // sink in the 64 KiB pieces zlib would have given. False (nothing given
  // to the sink): the caller runs zlib, whose salvage and messages count.
  bool run_whole(Bytes in, const ChunkSink& sink) {
    if (max_out == 0 || max_out > kWholeMax || in.empty()) return false;
    if (!whole_inflater && !(whole_inflater = libdeflate_alloc_decompressor())) return false;
    if (whole.size() < max_out) whole.resize(static_cast<std::size_t>(max_out));
    std::size_t in_n = 0, out_n = 0;
    if (libdeflate_deflate_decompress_ex(whole_inflater, in.data(), in.size(), whole.data(),
                                         static_cast<std::size_t>(max_out), &in_n,
                                         &out_n) != LIBDEFLATE_SUCCESS)
      return false;
    consumed = in_n;
    status = InflateStatus::kOk;
    for (std::size_t at = 0; at < out_n; at += kOutChunk)
      if (!emit(whole.data() + at, std::min(kOutChunk, out_n - at), sink)) break;
    return true;
  }
};

StreamInflater::StreamInflater() : impl_(std::make_unique<Impl>()) {}
StreamInflater::~StreamInflater() = default;

void StreamInflater::reset(std::uint64_t max_out) {
  Impl& m = *impl_;
  m.restart(-15);
  m.max_out = max_out;
  m.produced = 0;
  m.consumed = 0;
  m.first_feed = true;
  m.over = false;
  m.status = InflateStatus::kIncomplete;
  m.message.clear();
}

bool StreamInflater::feed(Bytes in, bool last, const ChunkSink& out) {
  Impl& m = *impl_;
  if (m.over) return false;
  if (!m.init_ok) {
    m.status = InflateStatus::kDataError;
    m.message = "inflateInit2 failed";
    m.over = true;
    return false;
  }
  const bool first = m.first_feed;
  m.first_feed = false;
  if (first && last && m.run_whole(in, out)) {
    m.over = true;
    return false;
  }
  bool more = m.run(in, last, out);
  // A zlib header (CMF 0x78) cannot start a raw stream that fails this early
  // as often as it does here: try raw first, as the kernel does, and fall
  // back to zlib framing only when raw fails at once.
  if (!more && first && m.status == InflateStatus::kDataError && m.produced == 0 && !in.empty() &&
      std::to_integer<unsigned>(in[0]) == 0x78) {
    const std::string raw_message = m.message;
    m.restart(15);
    m.consumed = 0;
    m.status = InflateStatus::kIncomplete;
    more = m.run(in, last, out);
    if (!more && m.status == InflateStatus::kDataError && m.produced == 0) m.message = raw_message;
  }
  m.over = !more;
  return more;
}

InflateStatus StreamInflater::status() const { return impl_->status; }
std::uint64_t StreamInflater::produced() const { return impl_->produced; }
std::uint64_t StreamInflater::consumed() const { return impl_->consumed; }
const std::string& StreamInflater::message() const { return impl_->message; }

InflateResult inflate_raw(Bytes in, std::size_t max_out) {
  InflateResult res;
  StreamInflater inf;
  inf.reset(max_out);
  (void)inf.feed(in, true, [&](std::string_view s) {
    res.out.append(s);
    return true;
  });
  res.status = inf.status();
  res.message = inf.message();
  res.consumed = static_cast<std::size_t>(inf.consumed());
  return res;
}

std::string inflate_failure(InflateStatus s, std::uint64_t limit, std::string_view message) {
  switch (s) {
    case InflateStatus::kOutputLimit:
      return "output exceeds " + std::to_string(limit) + " bytes";
    case InflateStatus::kIncomplete:
      return "deflate stream is cut short";
    case InflateStatus::kStopped:
      return "output stopped";
    case InflateStatus::kOk:
      return "ok";
    case InflateStatus::kDataError:
      break;
  }
  return "invalid deflate data" + (message.empty() ? "" : " (" + std::string(message) + ")");
}

std::optional<std::string> deflate_once(std::string_view in, int level, int window_bits,
                                        int mem_level, std::size_t max_out) {
  z_stream zs{};
  if (in.size() > std::numeric_limits<uInt>::max() ||
      deflateInit2(&zs, level, Z_DEFLATED, window_bits, mem_level, Z_DEFAULT_STRATEGY) != Z_OK)
    return std::nullopt;
  // deflateBound() covers the gzip wrapper as well; a little more for safety.
  const std::size_t cap = std::min<std::size_t>(max_out, deflateBound(&zs, in.size()) + 64);
  std::string out(std::min<std::size_t>(cap, std::numeric_limits<uInt>::max()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  const int ret = deflate(&zs, Z_FINISH);
  const std::size_t produced = zs.total_out;
  deflateEnd(&zs);
  if (ret != Z_STREAM_END) return std::nullopt;
  out.resize(produced);
  return out;
}

}  // namespace psb::format
