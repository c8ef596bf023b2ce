#include "pstore_blk/format/decompress.hpp"

#include "psb_catch.hpp"
#include "zone_builder.hpp"

using namespace psb::format;

TEST_CASE("raw deflate from window 11 (6.1) and 15 (>= 6.6) both inflate", "[format][inflate]") {
  const std::string text = psb::test::fake_log(9, 2000);
  for (int wb : {11, 15}) {
    const std::string z = psb::test::deflate_raw(text, wb);
    auto r = inflate_raw(as_bytes(z), 1 << 20);
    CHECK(r.status == InflateStatus::kOk);
    CHECK(r.out == text);
    CHECK(r.consumed == z.size());
  }
}

TEST_CASE("inflate is bounded and reports why it stopped", "[format][inflate]") {
  const std::string text(100000, 'a');
  const std::string z = psb::test::deflate_raw(text);
  auto lim = inflate_raw(as_bytes(z), 1000);
  CHECK(lim.status == InflateStatus::kOutputLimit);
  CHECK(lim.out.size() == 1000);
  auto cut = inflate_raw(as_bytes(std::string_view(z).substr(0, z.size() / 2)), 1 << 20);
  CHECK(cut.status == InflateStatus::kIncomplete);
  std::string junk(64, '\xff');
  CHECK(inflate_raw(as_bytes(junk), 1 << 20).status == InflateStatus::kDataError);
  CHECK(inflate_raw({}, 10).status != InflateStatus::kOk);
}

namespace {

// Inflates `z` through StreamInflater: at once (`piece` 0: the libdeflate
// path for bounds up to 1 MiB) or fed `piece` bytes at a time (zlib only).
struct Fed {
  InflateStatus status;
  std::vector<std::string> chunks;
  std::string out;
  std::uint64_t produced, consumed;
  std::string message;
};
Fed feed_all(std::string_view z, std::uint64_t max_out, std::size_t piece,
             std::size_t stop_after = SIZE_MAX) {
  Fed f;
  StreamInflater inf;
  inf.reset(max_out);
  auto sink = [&](std::string_view s) {
    f.chunks.emplace_back(s);
    f.out.append(s);
    return f.chunks.size() < stop_after;
  };
  if (piece == 0) {
    (void)inf.feed(as_bytes(z), true, sink);
  } else {
    for (std::size_t at = 0; at < z.size(); at += piece)
      if (!inf.feed(as_bytes(z.substr(at, piece)), at + piece >= z.size(), sink)) break;
  }
  f.status = inf.status();
  f.produced = inf.produced();
  f.consumed = inf.consumed();
  f.message = inf.message();
  return f;
}

}  // namespace

TEST_CASE("a whole stream at once (libdeflate) gives what zlib gives in pieces",
          "[format][inflate]") {
  const std::string text = psb::test::fake_log(9, 1500);  // about 150 KB
  REQUIRE(text.size() > 2 * 64 * 1024);
  const std::string z = psb::test::deflate_raw(text, 15);
  const std::string tail = z + std::string(100, '\x5a');  // bytes after the stream
  const std::string wrapped = "\x78\x9c" + psb::test::deflate_raw(text, 11);  // zlib header
  const std::uint64_t n = text.size();
  for (const std::string& in :
       {z, tail, wrapped, z.substr(0, z.size() / 2), std::string(64, '\xff')}) {
    for (std::uint64_t bound : {std::uint64_t{1} << 20, n, n - 1, std::uint64_t{70000}}) {
      INFO("input " << in.size() << " bytes, bound " << bound);
      const Fed whole = feed_all(in, bound, 0);
      const Fed pieces = feed_all(in, bound, 4096);
      CHECK(whole.status == pieces.status);
      CHECK(whole.out == pieces.out);
      CHECK(whole.produced == pieces.produced);
      CHECK(whole.message == pieces.message);
      if (whole.status == InflateStatus::kOk) CHECK(whole.consumed == pieces.consumed);
      // Pieces of 64 KiB, as zlib gives a whole stream.
      for (std::size_t i = 0; i + 1 < whole.chunks.size(); ++i)
        CHECK(whole.chunks[i].size() == 64 * 1024);
      // A sink that stops after the first piece: one piece given, counted.
      const Fed stopped = feed_all(in, bound, 0, 1);
      if (!whole.out.empty()) {
        CHECK(stopped.status == InflateStatus::kStopped);
        CHECK(stopped.produced == 0);  // the refused piece does not count
        CHECK(stopped.chunks.at(0) == whole.chunks.at(0));
      }
    }
  }
  CHECK(feed_all(z, 1 << 20, 0).out == text);
}
