// capture-load's pure renderers: newc archive, gzip, module order from
// modules.dep, the /init script, the capture command line, ELF checks.
#include "pstore_blk/sysconf/capture_load.hpp"

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include "pstore_blk/format/decompress.hpp"

namespace psb::sysconf {

namespace {

void put_hex8(std::string& out, std::uint32_t v) {
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08X", v);
  out.append(buf, 8);
}

void pad4(std::string& out) {
  while (out.size() % 4) out.push_back('\0');
}

unsigned type_bits(CpioEntry::Kind k) {
  switch (k) {
    case CpioEntry::Kind::kDir:
      return 0040000;
    case CpioEntry::Kind::kSymlink:
      return 0120000;
    case CpioEntry::Kind::kFile:
      break;
  }
  return 0100000;
}

// One newc member: header, NUL-terminated name, padding, data, padding.
void put_member(std::string& out, std::uint32_t ino, unsigned mode, std::uint32_t nlink,
                std::string_view name, std::string_view data) {
  out += "070701";
  const std::uint32_t fields[13] = {ino,
                                    mode,
                                    0,
                                    0,
                                    nlink,
                                    0,
                                    static_cast<std::uint32_t>(data.size()),
                                    0,
                                    0,
                                    0,
                                    0,
                                    static_cast<std::uint32_t>(name.size() + 1),
                                    0};
  for (std::uint32_t f : fields) put_hex8(out, f);
  out.append(name);
  out.push_back('\0');
  pad4(out);
  out.append(data);
  pad4(out);
}

std::string normalize_name(std::string_view n) {
  std::string s(n);
  std::replace(s.begin(), s.end(), '-', '_');
  return s;
}

}  // namespace

std::string render_newc(const std::vector<CpioEntry>& entries) {
  std::string out;
  std::uint32_t ino = 1;
  for (const auto& e : entries) {
    std::string_view name = e.path;
    while (!name.empty() && name.front() == '/') name.remove_prefix(1);
    if (name.empty()) name = ".";
    const bool dir = e.kind == CpioEntry::Kind::kDir;
    const std::string_view data = dir ? std::string_view() : std::string_view(e.data);
    put_member(out, ino++, type_bits(e.kind) | (e.mode & 07777), dir ? 2 : 1, name, data);
  }
  put_member(out, 0, 0, 1, "TRAILER!!!", "");
  return out;
}

Result<std::string> gzip_bytes(std::string_view data) {
  // windowBits 15 + 16: a gzip wrapper with no name and mtime 0.
  auto gz = format::deflate_once(data, 9, 15 + 16, 9, std::numeric_limits<std::size_t>::max());
  if (!gz) return make_error(Errc::kIo, "gzip: deflate did not finish");
  return std::move(*gz);
}

std::string module_name(std::string_view ko_path) {
  const auto slash = ko_path.rfind('/');
  std::string_view base = slash == std::string_view::npos ? ko_path : ko_path.substr(slash + 1);
  const auto dot = base.find(".ko");
  return normalize_name(base.substr(0, dot));
}

namespace {

struct DepGraph {
  std::map<std::string, std::string> path;  // module name -> .ko path
  std::map<std::string, std::vector<std::string>> deps;
};

DepGraph parse_modules_dep(std::string_view text) {
  DepGraph g;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string ko = line.substr(0, colon), name = module_name(ko);
    g.path[name] = ko;
    std::istringstream rest(line.substr(colon + 1));
    std::string d;
    while (rest >> d) g.deps[name].push_back(module_name(d));
  }
  return g;
}

std::set<std::string> builtin_names(std::string_view text) {
  std::set<std::string> s;
  std::istringstream in{std::string(text)};
  std::string line;
  while (std::getline(in, line))
    if (!line.empty()) s.insert(module_name(line));
  return s;
}

struct Orderer {
  const DepGraph& g;
  const std::set<std::string>& skip;
  std::set<std::string> done;
  std::vector<std::string> out;

  // Depth-first: every dependency before the module (modules.dep lists a
  // module's whole closure, so the recursion depth stays small).
  Result<void> visit(const std::string& name, int depth) {
    if (done.count(name) || skip.count(name)) return {};
    if (depth > 64) return make_error(Errc::kFormat, "modules.dep: dependency loop at " + name);
    const auto p = g.path.find(name);
    if (p == g.path.end())
      return make_error(Errc::kNotFound, "modules.dep lists no module '" + name + "'");
    done.insert(name);
    if (auto d = g.deps.find(name); d != g.deps.end())
      for (const auto& dep : d->second)
        if (auto r = visit(dep, depth + 1); !r) return r;
    out.push_back(p->second);
    return {};
  }
};

}  // namespace

Result<std::vector<std::string>> order_modules(std::string_view modules_dep,
                                               std::string_view builtin,
                                               const std::vector<std::string>& wanted,
                                               const std::vector<std::string>& exclude) {
  const DepGraph g = parse_modules_dep(modules_dep);
  std::set<std::string> skip = builtin_names(builtin);
  for (const auto& e : exclude) skip.insert(normalize_name(e));
  Orderer o{g, skip, {}, {}};
  for (const auto& w : wanted)
    if (auto r = o.visit(normalize_name(w), 0); !r) return r.error();
  return o.out;
}

}  // namespace psb::sysconf
