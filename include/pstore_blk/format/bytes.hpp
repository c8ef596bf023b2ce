// Bounds-checked, endian-explicit reads from a byte view.
//
// Modelled on bloaty's src/util.h (ReadFixed, CheckedAdd) and mold's
// lib/integers.h: every field is copied out with memcpy and byte-swapped when
// the image's byte order differs from the host's. Kernel structs are never
// cast onto the buffer.
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <optional>
#include <span>
#include <string_view>

namespace psb::format {

using Bytes = std::span<const std::byte>;

/// Byte order of the machine that wrote the image. pstore/zone stores every
/// field in the writer's native order (nothing goes through cpu_to_le).
enum class Endian { kLittle, kBig };

/// Reads unsigned integers of N bytes; all return nullopt when the field does
/// not fit in `data` (a truncated image), never reading out of bounds.
class ByteReader {
 public:
  ByteReader(Bytes data, Endian endian) : data_(data), endian_(endian) {}

  std::size_t size() const { return data_.size(); }
  Endian endian() const { return endian_; }

  std::optional<std::uint8_t> u8(std::size_t off) const {
    if (off >= data_.size()) return std::nullopt;
    return std::to_integer<std::uint8_t>(data_[off]);
  }
  std::optional<std::uint32_t> u32(std::size_t off) const { return read<std::uint32_t>(off); }
  std::optional<std::uint64_t> u64(std::size_t off) const { return read<std::uint64_t>(off); }
  std::optional<std::int32_t> s32(std::size_t off) const {
    auto v = u32(off);
    if (!v) return std::nullopt;
    return static_cast<std::int32_t>(*v);
  }
  std::optional<std::int64_t> s64(std::size_t off) const {
    auto v = u64(off);
    if (!v) return std::nullopt;
    return static_cast<std::int64_t>(*v);
  }
  /// An unsigned field of `width` bytes (4 or 8), e.g. a C `long`.
  std::optional<std::uint64_t> uword(std::size_t off, std::size_t width) const {
    if (width == 8) return u64(off);
    if (width == 4) {
      auto v = u32(off);
      if (!v) return std::nullopt;
      return *v;
    }
    return std::nullopt;
  }

  /// The sub-view [off, off+len) clipped to the data (bloaty StrictSubstr, but
  /// clipping: callers compare the returned size with what they asked for).
  Bytes sub(std::size_t off, std::size_t len) const {
    if (off >= data_.size()) return {};
    return data_.subspan(off, std::min(len, data_.size() - off));
  }

 private:
  template <typename T>
  std::optional<T> read(std::size_t off) const {
    if (off > data_.size() || data_.size() - off < sizeof(T)) return std::nullopt;
    T v;
    std::memcpy(&v, data_.data() + off, sizeof(T));
    const bool host_little = std::endian::native == std::endian::little;
    if (host_little != (endian_ == Endian::kLittle)) v = byteswap(v);
    return v;
  }
  template <typename T>
  static T byteswap(T v) {
    if constexpr (sizeof(T) == 4)
      return __builtin_bswap32(v);
    else
      return __builtin_bswap64(v);
  }

  Bytes data_;
  Endian endian_;
};

/// Writes an integer in the given byte order (used by tests and the benchmark
/// to build images; the reader itself never writes).
template <typename T>
inline void store_int(std::byte* dst, T v, Endian e) {
  const bool host_little = std::endian::native == std::endian::little;
  if (host_little != (e == Endian::kLittle)) {
    if constexpr (sizeof(T) == 4)
      v = static_cast<T>(__builtin_bswap32(static_cast<std::uint32_t>(v)));
    else if constexpr (sizeof(T) == 8)
      v = static_cast<T>(__builtin_bswap64(static_cast<std::uint64_t>(v)));
  }
  std::memcpy(dst, &v, sizeof(T));
}

/// Overflow-checked a + b (bloaty CheckedAdd); nullopt on overflow.
inline std::optional<std::uint64_t> checked_add(std::uint64_t a, std::uint64_t b) {
  std::uint64_t r;
  if (__builtin_add_overflow(a, b, &r)) return std::nullopt;
  return r;
}

inline std::string_view as_chars(Bytes b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}
inline Bytes as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::byte*>(s.data()), s.size()};
}

}  // namespace psb::format
