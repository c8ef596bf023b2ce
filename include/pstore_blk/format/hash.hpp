// FNV-1a, 64 bit (Fowler/Noll/Vo; offset basis 0xcbf29ce484222325, prime
// 0x100000001b3): the one string hash of the project. Pure, so the crash
// parser's group ids (oops) and the derived PARTUUID (device) share it.
#pragma once

#include <cstdint>
#include <string_view>

namespace psb::format {

inline constexpr std::uint64_t kFnv1a64OffsetBasis = 0xcbf29ce484222325ULL;
inline constexpr std::uint64_t kFnv1a64Prime = 0x100000001b3ULL;

/// FNV-1a 64 of the bytes of `s`, starting from `basis` (the standard offset
/// basis unless a caller wants a second, independent hash of the same bytes).
constexpr std::uint64_t fnv1a64(std::string_view s,
                                std::uint64_t basis = kFnv1a64OffsetBasis) noexcept {
  std::uint64_t h = basis;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= kFnv1a64Prime;
  }
  return h;
}

}  // namespace psb::format
