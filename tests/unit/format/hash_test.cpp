// The one FNV-1a 64 against the reference vectors (Fowler/Noll/Vo test suite).
#include "pstore_blk/format/hash.hpp"

#include "psb_catch.hpp"

using psb::format::fnv1a64;

static_assert(fnv1a64("") == 0xcbf29ce484222325ULL);

TEST_CASE("FNV-1a 64 matches the reference vectors", "[format]") {
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("FNV-1a 64 from another offset basis", "[format]") {
  CHECK(fnv1a64("", 0x84222325cbf29ce4ULL) == 0x84222325cbf29ce4ULL);
  CHECK(fnv1a64("a", 0x84222325cbf29ce4ULL) != fnv1a64("a"));
  // Bytes above 0x7f hash as unsigned bytes.
  CHECK(fnv1a64("\xff") == ((0xcbf29ce484222325ULL ^ 0xffULL) * 0x100000001b3ULL));
}
