// io::sniff_compression, io::blank_fill and io::find_not_fill: what a source is, before any
// layout reasoning (issue 11 item 3), and io::OutputDir: extract never
// replaces a name without being told to and never follows a planted symlink
// (issue 11 item 7).
#include "pstore_blk/io/diagnose.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "psb_catch.hpp"
#include "pstore_blk/io/output_dir.hpp"
#include "temp_dir.hpp"

using namespace psb;

namespace {

std::vector<std::byte> bytes(std::initializer_list<int> v, std::size_t pad = 0) {
  std::vector<std::byte> out;
  for (int b : v) out.push_back(static_cast<std::byte>(b));
  out.resize(out.size() + pad, std::byte{0});
  return out;
}

std::string sniff(const std::vector<std::byte>& data) {
  io::MemorySource src(data);
  auto r = io::sniff_compression(src);
  REQUIRE(r);
  return *r ? std::string((*r)->name) : std::string("none");
}

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST_CASE("sniff_compression knows xz, gzip, zstd and bzip2 by their magic") {
  CHECK(sniff(bytes({0xFD, '7', 'z', 'X', 'Z', 0x00}, 32)) == "xz");
  CHECK(sniff(bytes({0x1F, 0x8B, 0x08}, 32)) == "gzip");
  CHECK(sniff(bytes({0x28, 0xB5, 0x2F, 0xFD}, 32)) == "zstd");
  CHECK(sniff(bytes({'B', 'Z', 'h', '9'}, 32)) == "bzip2");
  // A pstore zone header (sig 0x43474244 ^ type, little-endian) is not one.
  CHECK(sniff(bytes({0x44, 0x42, 0x47, 0x43}, 4096)) == "none");
  CHECK(sniff(bytes({0xFD, '7', 'z'})) == "none");  // too short for the xz magic
  CHECK(sniff({}) == "none");
}

TEST_CASE("blank_fill: all 0x00 or all 0xFF, across chunk boundaries") {
  std::vector<std::byte> zero(3u << 20, std::byte{0});
  io::MemorySource z(zero);
  auto r = io::blank_fill(z, 128u << 20);
  REQUIRE(r);
  REQUIRE(*r);
  CHECK(**r == 0x00);

  std::vector<std::byte> ff(3u << 20, std::byte{0xFF});
  io::MemorySource f(ff);
  r = io::blank_fill(f, 128u << 20);
  REQUIRE(r);
  REQUIRE(*r);
  CHECK(**r == 0xFF);

  // One different byte in the last chunk makes it data.
  zero.back() = std::byte{1};
  io::MemorySource z1(zero);
  r = io::blank_fill(z1, 128u << 20);
  REQUIRE(r);
  CHECK_FALSE(*r);
  // ... unless it lies past the limit.
  r = io::blank_fill(z1, 1u << 20);
  REQUIRE(r);
  CHECK(*r);

  std::vector<std::byte> mixed(8192, std::byte{0});
  std::fill(mixed.begin() + 4096, mixed.end(), std::byte{0xFF});
  io::MemorySource m(mixed);
  r = io::blank_fill(m, 128u << 20);
  REQUIRE(r);
  CHECK_FALSE(*r);
}

TEST_CASE("find_not_fill: the first other byte, from an offset, within a length") {
  std::vector<std::byte> b((2u << 20) + 100, std::byte{0});
  b[(1u << 20) + 7] = std::byte{0x42};  // in the second 1 MiB chunk of a scan from 0
  b.back() = std::byte{0x43};
  io::MemorySource src(b);
  auto at = [&](std::uint64_t off, std::uint64_t len, std::uint8_t fill) {
    auto r = io::find_not_fill(src, off, len, fill);
    REQUIRE(r);
    return *r;
  };
  CHECK(at(0, b.size(), 0) == std::optional<std::uint64_t>((1u << 20) + 7));
  CHECK(at(0, (1u << 20) + 7, 0) == std::nullopt);  // the length ends just before it
  CHECK(at((1u << 20) + 8, 1u << 30, 0) == std::optional<std::uint64_t>(b.size() - 1));
  CHECK(at(b.size() - 1, 1, 0x43) == std::nullopt);
  CHECK(at(5, 10, 0xFF) == std::optional<std::uint64_t>(5));
  CHECK(at(b.size(), 4096, 0) == std::nullopt);      // starts at the end
  CHECK(at(b.size() + 9, 4096, 0) == std::nullopt);  // and past it
  CHECK(at(0, 0, 0xFF) == std::nullopt);
}

TEST_CASE("OutputDir never replaces a name without replace, and never follows a symlink") {
  psb::test::TempDir tmp("psb-outdir");
  const std::string& path = tmp.path();
  auto dir = io::OutputDir::open(path + "/out");
  REQUIRE(dir);
  struct stat st = {};
  REQUIRE(stat((path + "/out").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0700);

  REQUIRE(dir->write_file("a", "first", 0600, std::nullopt, 0, false));
  auto again = dir->write_file("a", "second", 0600, std::nullopt, 0, false);
  REQUIRE_FALSE(again);
  CHECK(again.error().code == Errc::kConflict);
  CHECK(slurp(path + "/out/a") == "first");
  REQUIRE(dir->write_file("a", "second", 0600, std::nullopt, 0, true));
  CHECK(slurp(path + "/out/a") == "second");

  // A planted symlink: refused without replace; with it the link itself is
  // replaced and its target is untouched.
  std::ofstream(path + "/target") << "precious";  // closed at the end of the statement
  REQUIRE(symlink("../target", (path + "/out/b").c_str()) == 0);
  CHECK(dir->exists("b"));
  auto planted = dir->write_file("b", "record", 0600, std::nullopt, 0, false);
  REQUIRE_FALSE(planted);
  CHECK(planted.error().code == Errc::kConflict);
  REQUIRE(dir->write_file("b", "record", 0600, 1700000000, 5, true));
  CHECK(slurp(path + "/target") == "precious");
  struct stat lst = {};
  REQUIRE(lstat((path + "/out/b").c_str(), &lst) == 0);
  CHECK(S_ISREG(lst.st_mode));
  CHECK((lst.st_mode & 0777) == 0600);
  CHECK(lst.st_mtim.tv_sec == 1700000000);
  CHECK(lst.st_mtim.tv_nsec == 5);

  // Nothing else is left in the directory (no temporaries).
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(path + "/out")) ++n;
  CHECK(n == 2);
  REQUIRE(dir->remove("a"));
  CHECK_FALSE(dir->exists("a"));

  CHECK_FALSE(dir->write_file("../escape", "x", 0600, std::nullopt, 0, true));
  std::ofstream(path + "/file") << "x";
  auto notdir = io::OutputDir::open(path + "/file");
  REQUIRE_FALSE(notdir);
  CHECK(notdir.error().code == Errc::kInvalidArgument);
}

TEST_CASE("OutputDir files get exactly the mode asked for, whatever the umask") {
  psb::test::TempDir tmp("psb-outmode");
  // The first file tells the directory what creating leaves (0600 less the
  // umask); commit() skips the fchmod only when that is the mode asked for.
  for (mode_t mask : {mode_t{022}, mode_t{0277}, mode_t{077}, mode_t{0}}) {
    const mode_t old = umask(mask);
    const std::string sub = tmp.path() + "/m" + std::to_string(mask);
    auto dir = io::OutputDir::open(sub);
    REQUIRE(dir);
    for (unsigned mode : {0600u, 0600u, 0640u, 0400u}) {
      const std::string name = "f" + std::to_string(mode) + "-" + std::to_string(rand());
      auto f = dir->create();
      REQUIRE(f);
      REQUIRE(f->write("x"));
      REQUIRE(f->commit(name, mode, std::nullopt, 0, false));
      struct stat st = {};
      REQUIRE(stat((sub + "/" + name).c_str(), &st) == 0);
      INFO("umask " << mask << " mode " << mode);
      CHECK((st.st_mode & 07777) == mode);
    }
    umask(old);
  }
}
