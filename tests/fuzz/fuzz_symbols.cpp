// libFuzzer target: System.map / kallsyms parsing (`--system-map`) and the
// ftrace rendering that looks symbols up in it. The whole input is the map
// text; its first bytes, read as ftrace records of each ABI, give the
// addresses that are looked up and rendered.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "pstore_blk/format/abi.hpp"
#include "pstore_blk/format/ftrace.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto table = psb::format::SymbolTable::parse(text);
  const std::string_view head = text.substr(0, 256);
  for (const auto& abi : psb::format::Abi::presets()) {
    std::vector<psb::format::FtraceRecord> recs;
    psb::format::ftrace_combine(recs, head, abi);
    for (const auto& r : recs) {
      (void)table.lookup(r.ip);
      (void)table.lookup(r.parent_ip);
    }
    (void)psb::format::render_ftrace(recs, abi, &table);
  }
  return 0;
}
