// A scratch directory below /tmp, removed with everything in it when the
// test leaves its scope: the unit tests' one temporary-directory helper.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <string>
#include <system_error>

#include "psb_catch.hpp"

namespace psb::test {

class TempDir {
 public:
  /// /tmp/<tag>-XXXXXX, created with mode 0700.
  explicit TempDir(const std::string& tag = "psb") {
    std::string t = "/tmp/" + tag + "-XXXXXX";
    REQUIRE(mkdtemp(t.data()) != nullptr);
    path_ = t;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace psb::test
