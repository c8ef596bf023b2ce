// Test-only helpers: read a fixture file, xz-decompress it (liblzma).
#pragma once

#include <lzma.h>

#include <cstddef>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#ifndef PSB_SOURCE_DIR
#error "PSB_SOURCE_DIR must be defined by the build"
#endif

namespace psb::test {

inline std::string source_dir() { return PSB_SOURCE_DIR; }

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::byte> xz_decompress(const std::string& data) {
  lzma_stream strm = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&strm, UINT64_MAX, 0) != LZMA_OK) throw std::runtime_error("lzma init");
  std::vector<std::byte> out;
  std::vector<std::byte> buf(1 << 20);
  strm.next_in = reinterpret_cast<const uint8_t*>(data.data());
  strm.avail_in = data.size();
  for (;;) {
    strm.next_out = reinterpret_cast<uint8_t*>(buf.data());
    strm.avail_out = buf.size();
    lzma_ret r = lzma_code(&strm, LZMA_FINISH);
    out.insert(out.end(), buf.begin(),
               buf.begin() + static_cast<long>(buf.size() - strm.avail_out));
    if (r == LZMA_STREAM_END) break;
    if (r != LZMA_OK) {
      lzma_end(&strm);
      throw std::runtime_error("xz decode failed");
    }
  }
  lzma_end(&strm);
  return out;
}

}  // namespace psb::test
