// Generates the synthetic images: what a kernel will not produce on demand
// (other ABIs, corruption, truncation). Written from readable descriptions
// with the test ZoneBuilder; never edited by hand. Every file is named
// "synthetic-*" so nobody mistakes it for a kernel-written fixture.
//
// usage: psb_make_synthetic OUTDIR
#include <cstdio>
#include <fstream>
#include <string>

#include "zone_builder.hpp"

using namespace psb::format;
using psb::test::fake_log;
using psb::test::ImageBuilder;

namespace {

void save(const std::string& dir, const std::string& name, const std::vector<std::byte>& b) {
  std::ofstream out(dir + "/synthetic-" + name + ".img", std::ios::binary);
  out.write(reinterpret_cast<const char*>(b.data()), static_cast<std::streamsize>(b.size()));
  if (!out) {
    std::perror(name.c_str());
    std::exit(1);
  }
}

ImageBuilder two_oopses(const Abi& abi) {
  ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), abi);
  b.kmsg(0, 2, 1, 1700000000, fake_log(1), true);
  b.kmsg(1, 2, 2, 1700000060, fake_log(2), false);
  return b;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s OUTDIR\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  // Other ABIs: the same two records as written by i386, 32-bit ARM,
  // big-endian arm64 and ppc64 kernels.
  save(dir, "i386", two_oopses(Abi::i386()).bytes());
  save(dir, "arm", two_oopses(Abi::arm()).bytes());
  save(dir, "arm64be", two_oopses(Abi::arm64be()).bytes());
  save(dir, "ppc64", two_oopses(Abi::ppc64()).bytes());

  // Damage, one kind per zone, between good records.
  {
    ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 0, 0, 0, 1), Abi::x86_64());
    for (unsigned i = 0; i < 6; ++i) b.kmsg(i, 2, i + 1, 1700000000 + i, fake_log(i + 1), true);
    const auto off = [&](unsigned i) { return b.slot(RecordType::kDmesg, i).offset; };
    b.poke32(off(1) + 12, 0x12345678);             // bad kmsg magic
    b.poke32(off(2) + 4, 0x7fffffff);              // datalen over the zone
    b.poke32(off(3) + 12 + 40 + 100, 0xffffffff);  // deflate stream damaged
    b.poke32(off(4) + 4, 20);                      // datalen shorter than the header
    save(dir, "damaged", b.bytes());
  }
  // An image cut in the middle of zone 1.
  {
    ImageBuilder b = two_oopses(Abi::x86_64());
    auto bytes = b.bytes();
    bytes.resize(65536 + 1000);
    save(dir, "truncated", bytes);
  }
  // Rings: pmsg, a wrapped console, two ftrace CPUs, and a kmsg record.
  {
    ImageBuilder b(ZoneLayout::from_kib(1 << 20, 64, 4, 4, 8, 2), Abi::x86_64());
    b.ring_write(RecordType::kPmsg, 0, "hello from userspace\n");
    for (int i = 0; i < 300; ++i)
      b.ring_write(RecordType::kConsole, 0, "[" + std::to_string(i) + "] console line\n");
    for (unsigned n = 0; n < 50; ++n)
      b.ftrace(n % 2, n, 0xffffffff81000200 + n, 0xffffffff81000300);
    b.kmsg(0, 2, 1, 1700000000, fake_log(7), true);
    save(dir, "rings", b.bytes());
  }
  // Erased records (compressed and not).
  {
    ImageBuilder b = two_oopses(Abi::x86_64());
    b.erase_kmsg(0).erase_kmsg(1);
    save(dir, "erased", b.bytes());
  }
  return 0;
}
