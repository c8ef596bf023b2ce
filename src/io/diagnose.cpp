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

Result<std::optional<std::uint64_t>> find_not_fill(const ByteSource& src, std::uint64_t offset,
                                                   std::uint64_t len, std::uint8_t fill) {
  const std::uint64_t size = src.size();
  const std::uint64_t end = offset >= size ? offset : offset + std::min(len, size - offset);
  constexpr std::size_t kChunk = 1 << 20;
  std::vector<std::byte> buf(
      static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, end - offset)));
  for (std::uint64_t off = offset; off < end; off += kChunk) {
    const auto want = static_cast<std::size_t>(std::min<std::uint64_t>(kChunk, end - off));
    auto n = src.read_at(off, std::span(buf).first(want));
    if (!n) return n.error();
    if (*n == 0) break;
    const auto* p = buf.data();
    const auto* q =
        std::find_if(p, p + *n, [&](std::byte x) { return static_cast<std::uint8_t>(x) != fill; });
    if (q != p + *n) return std::optional<std::uint64_t>(off + static_cast<std::uint64_t>(q - p));
  }
  return std::optional<std::uint64_t>();
}

Result<std::optional<std::uint8_t>> blank_fill(const ByteSource& src, std::uint64_t limit) {
  std::array<std::byte, 1> first{};
  auto n = src.read_at(0, first);
  if (!n) return n.error();
  const auto b = static_cast<std::uint8_t>(first[0]);
  if (*n == 0 || limit == 0 || (b != 0x00 && b != 0xFF)) return std::optional<std::uint8_t>();
  auto other = find_not_fill(src, 0, limit, b);
  if (!other) return other.error();
  return *other ? std::optional<std::uint8_t>() : std::optional<std::uint8_t>(b);
}

}  // namespace psb::io
