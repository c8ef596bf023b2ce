#include "pstore_blk/io/symbols.hpp"

#include <vector>

#include "pstore_blk/io/byte_source.hpp"

namespace psb::io {

Result<format::SymbolTable> load_symbol_file(const std::string& path,
                                             const SymbolFileLimits& limits) {
  auto f = FileSource::open(path);
  if (!f) return f.error();
  const std::uint64_t size = (*f)->size();
  if (size > limits.max_bytes)
    return make_error(Errc::kInvalidArgument,
                      "'" + path + "' is " + std::to_string(size) +
                          " bytes: larger than any System.map or kallsyms (limit " +
                          std::to_string(limits.max_bytes) + ")");
  format::SymbolTable t;
  std::vector<std::byte> buf(1 << 20);
  std::string line;
  bool overlong = false;
  std::size_t count = 0;
  auto take = [&]() {
    if (!overlong) {
      t.add_line(line);
      count = t.size();
    }
    line.clear();
    overlong = false;
  };
  for (std::uint64_t off = 0; off < size;) {
    auto n = (*f)->read_at(off, std::span(buf));
    if (!n) return n.error();
    if (*n == 0) break;
    off += *n;
    for (std::size_t i = 0; i < *n; ++i) {
      const char ch = static_cast<char>(buf[i]);
      if (ch == '\n') {
        take();
        if (count > limits.max_symbols)
          return make_error(Errc::kInvalidArgument, "'" + path + "' holds more than " +
                                                        std::to_string(limits.max_symbols) +
                                                        " text symbols");
      } else if (line.size() < limits.max_line) {
        line.push_back(ch);
      } else {
        overlong = true;
      }
    }
  }
  if (!line.empty()) take();
  if (t.size() == 0)
    return make_error(Errc::kInvalidArgument, "'" + path + "' holds no text symbols");
  t.finish();
  return t;
}

}  // namespace psb::io
