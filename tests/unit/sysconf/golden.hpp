// Golden-file comparison for sysconf renderers: fixtures/sysconf/<name>.
// PSB_UPDATE_GOLDEN=1 rewrites the file instead (zstd --set-exact-output).
#pragma once

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

#include "psb_catch.hpp"

#ifndef PSB_SOURCE_DIR
#define PSB_SOURCE_DIR "."
#endif

namespace psb::test {

inline std::string source_path(const std::string& rel) {
  return std::string(PSB_SOURCE_DIR) + "/" + rel;
}

inline void check_golden(const std::string& name, const std::string& actual) {
  const std::string path = source_path("fixtures/sysconf/" + name);
  if (const char* u = std::getenv("PSB_UPDATE_GOLDEN"); u && std::string(u) == "1") {
    std::ofstream(path, std::ios::binary) << actual;
    return;
  }
  std::ifstream in(path, std::ios::binary);
  INFO("golden file " << path << " (PSB_UPDATE_GOLDEN=1 rewrites it)");
  REQUIRE(in.good());
  std::stringstream ss;
  ss << in.rdbuf();
  CHECK(actual == ss.str());
}

}  // namespace psb::test
