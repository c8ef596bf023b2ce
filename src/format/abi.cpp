#include "pstore_blk/format/abi.hpp"

namespace psb::format {

Abi Abi::x86_64() { return Abi{.name = "x86_64"}; }

Abi Abi::arm64() {
  Abi a = x86_64();
  a.name = "arm64";
  return a;
}

Abi Abi::arm64be() {
  Abi a = x86_64();
  a.name = "arm64be";
  a.endian = Endian::kBig;
  return a;
}

// ARM EABI aligns s64 to 8 bytes, so timespec64 is 16 bytes with the 4-byte
// tv_nsec followed by padding: the header keeps the x86_64 offsets.
Abi Abi::arm() {
  Abi a = x86_64();
  a.name = "arm";
  a.long_bytes = 4;
  return a;
}

Abi Abi::armeb() {
  Abi a = arm();
  a.name = "armeb";
  a.endian = Endian::kBig;
  return a;
}

// i386 aligns s64 to 4 bytes: timespec64 is 12 bytes and nothing is padded.
Abi Abi::i386() {
  Abi a;
  a.name = "i386";
  a.long_bytes = 4;
  a.kmsg_off_magic = 0;
  a.kmsg_off_tv_sec = 4;
  a.kmsg_off_tv_nsec = 12;
  a.kmsg_off_compressed = 16;
  a.kmsg_off_counter = 20;
  a.kmsg_off_reason = 24;
  a.kmsg_header_size = 28;
  return a;
}

Abi Abi::ppc64() {
  Abi a = x86_64();
  a.name = "ppc64";
  a.endian = Endian::kBig;
  return a;
}

const std::vector<Abi>& Abi::presets() {
  static const std::vector<Abi> kPresets = {x86_64(),  i386(),  arm64(), arm(),
                                            arm64be(), armeb(), ppc64()};
  return kPresets;
}

std::optional<Abi> Abi::by_name(std::string_view name) {
  if (name == "amd64" || name == "x86-64") name = "x86_64";
  if (name == "aarch64") name = "arm64";
  if (name == "aarch64_be") name = "arm64be";
  if (name == "armhf" || name == "armel" || name == "arm32") name = "arm";
  if (name == "x86" || name == "i686") name = "i386";
  if (name == "s390x" || name == "ppc64be") name = "ppc64";
  for (const auto& a : presets())
    if (a.name == name) return a;
  return std::nullopt;
}

}  // namespace psb::format
