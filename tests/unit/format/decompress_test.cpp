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
