// libFuzzer target: the zone scanner with the layout and the ABI taken from
// the input, so every front-end, every ABI and zones larger than 256 KiB are
// reached whatever the bytes of the image say.
//
// Input: an 8-byte header, then the image.
//   byte 0      ABI preset index (mod the number of presets); bit 7: guess the ABI
//   byte 1..2   kmsg zone size in KiB (little-endian, 0..2047; 0 = no kmsg zones)
//   byte 3      pmsg KiB (0..255)    byte 4  console KiB (0..255)
//   byte 5      ftrace KiB (0..255)  byte 6  low 3 bits: CPUs - 1; bit 3: no forced layout
//   byte 7      image size in 64 KiB units beyond the input (0..255: up to 16 MiB);
//               the image reads as zeros past the input bytes, so a zone can
//               be larger than the input without allocating it.
// Running the scanner must never crash, hang, leak or read out of bounds.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/io/reader.hpp"

namespace {

// The input bytes followed by zeros up to `size`.
class PaddedSource final : public psb::io::ByteSource {
 public:
  PaddedSource(std::span<const std::byte> data, std::uint64_t size) : data_(data), size_(size) {}
  std::uint64_t size() const override { return size_; }
  psb::Result<std::size_t> read_at(std::uint64_t offset, std::span<std::byte> buf) const override {
    if (offset >= size_) return std::size_t{0};
    const std::size_t n =
        static_cast<std::size_t>(std::min<std::uint64_t>(buf.size(), size_ - offset));
    std::size_t copied = 0;
    if (offset < data_.size()) {
      copied = static_cast<std::size_t>(std::min<std::uint64_t>(n, data_.size() - offset));
      std::memcpy(buf.data(), data_.data() + offset, copied);
    }
    std::memset(buf.data() + copied, 0, n - copied);
    return n;
  }
  std::string name() const override { return "<fuzz>"; }

 private:
  std::span<const std::byte> data_;
  std::uint64_t size_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 8) return 0;
  const std::uint8_t* h = data;
  std::span<const std::byte> image(reinterpret_cast<const std::byte*>(data + 8), size - 8);
  PaddedSource src(image, image.size() + (std::uint64_t{h[7]} << 16));

  psb::io::ReadOptions opts;
  opts.include_erased = true;
  const auto& presets = psb::format::Abi::presets();
  if (!(h[0] & 0x80)) opts.abi = presets[(h[0] & 0x7f) % presets.size()];
  if (!(h[6] & 0x08)) {
    opts.layout.kmsg_kib = (h[1] | (h[2] << 8)) & 0x7ff;
    opts.layout.pmsg_kib = h[3];
    opts.layout.console_kib = h[4];
    opts.layout.ftrace_kib = h[5];
    opts.layout.cpus = (h[6] & 7u) + 1;
  }
  opts.keep_content = (h[6] & 0x10) == 0;
  (void)psb::io::scan_partition(src, opts, [](psb::format::Record&&) {});
  return 0;
}
