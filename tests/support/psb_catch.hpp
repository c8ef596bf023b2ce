// The one Catch2 include of the test tree: Debian 12 ships Catch2 v2
// (single header <catch2/catch.hpp>), Debian 13 ships v3 (<catch2/catch_all.hpp>).
// Tests use only the API both versions share.
#pragma once
#if __has_include(<catch2/catch_all.hpp>)
#include <catch2/catch_all.hpp>
using Catch::Approx;  // v2 declares Approx at global scope, v3 only in Catch::
#else
#include <catch2/catch.hpp>
#endif
