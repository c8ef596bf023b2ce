#include "pstore_blk/io/diagnose.hpp"

#include <algorithm>
#include <array>
#include <cstring>
#include <vector>

namespace psb::io {

namespace {

struct Magic {
  std::array<unsigned char, 6> bytes;
  std::size_t len;
  Compression what;
};

// The magic numbers of the formats Debian's tools write: xz (xz-utils
// doc/xz-file-format.txt 2.1.1.1), gzip (RFC 1952 2.3.1), zstd frames (RFC
// 8878 3.1.1, 0xFD2FB528 little-endian) and bzip2 ("BZh" + block size).
const Magic kMagics[] = {
    {{0xFD, '7', 'z', 'X', 'Z', 0x00}, 6, {"xz", "xz -dk"}},
    {{0x1F, 0x8B}, 2, {"gzip", "gunzip -k"}},
    {{0x28, 0xB5, 0x2F, 0xFD}, 4, {"zstd", "zstd -d"}},
    {{'B', 'Z', 'h'}, 3, {"bzip2", "bunzip2 -k"}},
};

}  // namespace

Result<std::optional<Compression>> sniff_compression(const ByteSource& src) {
  std::array<std::byte, 6> head{};
  auto n = src.read_at(0, head);
  if (!n) return n.error();
  for (const auto& m : kMagics)
    if (*n >= m.len && std::memcmp(head.data(), m.bytes.data(), m.len) == 0)
      return std::optional<Compression>(m.what);
  return std::optional<Compression>();
}

Result<std::optional<std::uint8_t>> blank_fill(const ByteSource& src, std::uint64_t limit) {
  const std::uint64_t end = std::min(src.size(), limit);
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<std::byte> buf(kChunk);
  std::optional<std::uint8_t> fill;
  for (std::uint64_t off = 0; off < end; off += kChunk) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, end - off));
    auto n = src.read_at(off, std::span(buf).first(want));
    if (!n) return n.error();
    if (*n == 0) break;
    if (!fill) {
      const auto b = static_cast<std::uint8_t>(buf[0]);
      if (b != 0x00 && b != 0xFF) return std::optional<std::uint8_t>();
      fill = b;
    }
    const auto* p = buf.data();
    if (std::any_of(p, p + *n, [&](std::byte x) { return static_cast<std::uint8_t>(x) != *fill; }))
      return std::optional<std::uint8_t>();
  }
  return fill;
}

}  // namespace psb::io
