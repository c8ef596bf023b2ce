// capture-load's pure renderers, part 2: the /init script, the capture
// kernel's command line, ELF checks and /proc/self/maps.
#include <algorithm>
#include <cstring>
#include <set>
#include <sstream>
#include <vector>

#include "pstore_blk/sysconf/capture_load.hpp"

namespace psb::sysconf {

namespace {

// Single quotes for sh: paths from sysfs and modules.dep are plain, but a
// quote costs nothing.
std::string sh_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out + "'";
}

std::string join(const std::vector<std::string>& v, std::string_view sep) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : std::string(sep)) + s;
  return out;
}

}  // namespace

std::string render_init_script(const InitScriptParams& p) {
  const std::string dev = sh_quote(p.device);
  std::ostringstream s;
  s << "#!/bin/sh\n"
       "# pstore-blk capture initramfs (capture-load): store the crashed kernel's\n"
       "# log from /proc/vmcore as a panic record on "
    << p.device
    << ", then reboot.\n"
       "bb=/bin/busybox\n"
       "export PATH=/bin\n";
  if (!p.lib_dirs.empty())
    s << "export LD_LIBRARY_PATH=" << sh_quote(join(p.lib_dirs, ":")) << "\n";
  s << "$bb mount -t proc proc /proc\n"
       "$bb mount -t sysfs sysfs /sys\n"
       "$bb mount -t devtmpfs devtmpfs /dev\n"
       "exec </dev/console >/dev/console 2>&1\n"
       "say() { echo \"pstore-blk capture: $*\"; }\n"
       "# Whatever happens below, the machine reboots.\n"
       "(\"$bb\" sleep "
    << p.watchdog_seconds << "; say 'watchdog: rebooting'; \"$bb\" reboot -f) &\n";
  for (const auto& m : p.modules)
    s << "$bb insmod " << sh_quote(m) << " || say 'insmod " << m << " failed'\n";
  // With a PARTUUID, capture-panic waits for the disk that holds it (the
  // capture kernel may name the disks in another order); without, the
  // named node must appear.
  const std::string wait = std::to_string(p.device_wait_seconds);
  if (p.partuuid.empty())
    s << "i=0\n"
         "while [ ! -b "
      << dev << " ] && [ $i -lt " << wait << " ]; do $bb sleep 1; i=$((i + 1)); done\n";
  s << "if [ ! -e /proc/vmcore ]; then\n"
       "  say 'no /proc/vmcore: not booted as a capture kernel'\n";
  if (p.partuuid.empty())
    s << "elif [ ! -b " << dev << " ]; then\n  say 'no block device " << p.device << " after "
      << wait << " s'\n"
      << "elif " << p.binary << " capture-panic " << dev;
  else
    s << "elif " << p.binary << " capture-panic --partuuid " << sh_quote(p.partuuid)
      << " --wait-seconds " << wait;
  s << " --vmcore /proc/vmcore";
  for (const auto& w : p.capture_args) s << " " << sh_quote(w);
  s << "; then\n"
       "  say \"panic record written at $($bb date +%s)\"\n"
       "else\n"
       "  say 'capture-panic failed'\n"
       "fi\n"
       "$bb sync\n"
       "$bb reboot -f\n"
       "$bb sleep 30\n";
  return s.str();
}

std::string build_capture_cmdline(std::string_view proc_cmdline,
                                  const std::vector<std::string>& extra) {
  std::vector<std::string> words;
  std::istringstream in{std::string(proc_cmdline)};
  std::string w;
  while (in >> w)
    if (w.rfind("console=", 0) == 0) words.push_back(w);
  for (const char* c : {"reset_devices", "nr_cpus=1", "irqpoll", "nousb", "panic=10"})
    words.emplace_back(c);
  for (const auto& e : extra) {
    std::istringstream ein(e);
    while (ein >> w) words.push_back(w);
  }
  return join(words, " ");
}

namespace {

struct ElfView {
  std::span<const std::byte> b;
  bool is64 = true;
  std::uint64_t get(std::size_t off, std::size_t n) const {
    std::uint64_t v = 0;
    for (std::size_t i = 0; i < n; ++i)
      v |= static_cast<std::uint64_t>(std::to_integer<unsigned>(b[off + i])) << (8 * i);
    return v;
  }
  bool has(std::uint64_t off, std::uint64_t n) const {
    return off <= b.size() && n <= b.size() - off;
  }
};

Result<ElfView> elf_view(std::span<const std::byte> b) {
  static const unsigned char kMagic[4] = {0x7f, 'E', 'L', 'F'};
  if (b.size() < 52 || std::memcmp(b.data(), kMagic, 4) != 0)
    return make_error(Errc::kFormat, "not an ELF file");
  const unsigned cls = std::to_integer<unsigned>(b[4]), data = std::to_integer<unsigned>(b[5]);
  if ((cls != 1 && cls != 2) || data != 1)
    return make_error(Errc::kUnsupported, "not a little-endian 32- or 64-bit ELF file");
  ElfView v{b, cls == 2};
  if (v.is64 && b.size() < 64) return make_error(Errc::kFormat, "truncated ELF header");
  return v;
}

struct ProgramHeader {
  std::uint64_t type = 0, offset = 0, filesz = 0;
};

struct ProgramHeaders {
  std::vector<ProgramHeader> list;
  std::uint64_t table_end = 0;  // file offset just past the table
};

// The program header table (include/uapi/linux/elf.h), bounds-checked.
// Elf{32,64}_Ehdr: e_phoff 28/32, e_phentsize 42/54, e_phnum 44/56;
// Elf{32,64}_Phdr: p_type 0, p_offset 4/8, p_filesz 16/32.
Result<ProgramHeaders> program_headers(const ElfView& v) {
  const bool w = v.is64;
  const std::uint64_t phoff = v.get(w ? 32 : 28, w ? 8 : 4);
  const std::uint64_t phentsize = v.get(w ? 54 : 42, 2), phnum = v.get(w ? 56 : 44, 2);
  if (phnum && (phentsize < (w ? 56u : 32u) || !v.has(phoff, phnum * phentsize)))
    return make_error(Errc::kFormat, "truncated program headers");
  ProgramHeaders out;
  out.table_end = phoff + phnum * phentsize;
  for (std::uint64_t i = 0; i < phnum; ++i) {
    const std::uint64_t ph = phoff + i * phentsize;
    out.list.push_back(
        {v.get(ph, 4), v.get(ph + (w ? 8 : 4), w ? 8 : 4), v.get(ph + (w ? 32 : 16), w ? 8 : 4)});
  }
  return out;
}

}  // namespace

Result<std::optional<std::string>> elf_interpreter(std::span<const std::byte> elf) {
  auto v = elf_view(elf);
  if (!v) return v.error();
  auto phdrs = program_headers(*v);
  if (!phdrs) return phdrs.error();
  for (const ProgramHeader& ph : phdrs->list) {
    if (ph.type != 3) continue;  // PT_INTERP
    if (!v->has(ph.offset, ph.filesz))
      return make_error(Errc::kFormat, "PT_INTERP out of the file");
    std::string s(reinterpret_cast<const char*>(elf.data()) + ph.offset, ph.filesz);
    s.erase(std::find(s.begin(), s.end(), '\0'), s.end());
    return std::optional<std::string>(s);
  }
  return std::optional<std::string>();
}

Result<std::string> elf_loaded_part(std::string elf) {
  auto v = elf_view(std::as_bytes(std::span(elf.data(), elf.size())));
  if (!v) return v.error();
  auto phdrs = program_headers(*v);
  if (!phdrs) return phdrs.error();
  if (phdrs->list.empty()) return make_error(Errc::kFormat, "no program headers");
  const bool w = v->is64;
  std::uint64_t end = std::max<std::uint64_t>(w ? 64 : 52, phdrs->table_end);  // e_ehsize
  for (const ProgramHeader& ph : phdrs->list) {
    if (!v->has(ph.offset, ph.filesz))
      return make_error(Errc::kFormat, "a segment lies outside the file");
    end = std::max(end, ph.offset + ph.filesz);
  }
  if (end >= elf.size()) return elf;
  elf.resize(end);
  // Elf{32,64}_Ehdr: e_shoff 32/40, e_shnum 48/60, e_shstrndx 50/62.
  auto zero = [&](std::size_t off, std::size_t n) { std::fill_n(elf.begin() + off, n, '\0'); };
  zero(w ? 40 : 32, w ? 8 : 4);  // e_shoff
  zero(w ? 60 : 48, 2);          // e_shnum
  zero(w ? 62 : 50, 2);          // e_shstrndx
  return elf;
}

bool is_elf_shared_object(std::string_view head) {
  auto v = elf_view(std::as_bytes(std::span(head.data(), head.size())));
  return v && v->get(16, 2) == 3;  // ET_DYN
}

Result<void> check_static_busybox(const std::string& path,
                                  const std::optional<std::string>& bytes) {
  const std::string pkg = " (install the Debian package busybox-static)";
  if (!bytes) return make_error(Errc::kNotFound, "no busybox at " + path + pkg);
  auto interp = elf_interpreter(*bytes);
  if (!interp) return make_error(Errc::kUnsupported, path + ": " + interp.error().what + pkg);
  if (*interp)
    return make_error(Errc::kUnsupported, path + " is dynamically linked (interpreter " + **interp +
                                              "); the capture initramfs needs a static one" + pkg);
  return {};
}

std::vector<std::string> mapped_files(std::string_view maps) {
  std::vector<std::string> out;
  std::set<std::string> seen;
  std::istringstream in{std::string(maps)};
  std::string line;
  while (std::getline(in, line)) {
    const auto slash = line.find(" /");
    if (slash == std::string::npos) continue;
    std::string path = line.substr(slash + 1);
    if (path.size() > 10 && path.compare(path.size() - 10, 10, " (deleted)") == 0) continue;
    if (seen.insert(path).second) out.push_back(path);
  }
  return out;
}

}  // namespace psb::sysconf
