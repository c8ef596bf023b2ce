// capture-load: the facts (sysfs driver chain, modules, busybox, the running
// binary and its libraries) and the assembly of the capture initramfs.
#include <sys/utsname.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>

#include "pstore_blk/sysconf/capture_load.hpp"
#include "pstore_blk/sysconf/check.hpp"

namespace psb::sysconf {

namespace fs = std::filesystem;

namespace {

constexpr std::size_t kMaxModuleBytes = 64u << 20;

std::optional<std::string> module_of(const fs::path& dir) {
  std::error_code ec;
  const fs::path m = fs::canonical(dir / "driver" / "module", ec);
  if (ec) return std::nullopt;
  return m.filename().string();
}

}  // namespace

Result<std::vector<std::string>> block_driver_modules(const io::RootFs& root,
                                                      const std::string& kname) {
  const std::string abs = "/sys/class/block/" + kname;
  std::error_code ec;
  const fs::path sys = fs::canonical(root.host_path("/sys"), ec);
  fs::path p = ec ? fs::path() : fs::canonical(root.host_path(abs), ec);
  if (ec) return make_error(Errc::kNotFound, "no " + abs + " (is " + kname + " a block device?)");
  std::vector<std::string> leaf_first;
  std::set<std::string> seen;
  for (; p.has_relative_path() && p != sys && p.string().rfind(sys.string(), 0) == 0;
       p = p.parent_path()) {
    for (const fs::path& d : {p, p / "device"})
      if (auto m = module_of(d); m && seen.insert(*m).second) leaf_first.push_back(*m);
  }
  // The bus's driver first (virtio_pci, then virtio_blk).
  return std::vector<std::string>(leaf_first.rbegin(), leaf_first.rend());
}

namespace {

struct Archive {
  std::vector<CpioEntry> entries;
  std::set<std::string> have;

  void dir(const std::string& path) {
    if (path.empty() || path == "/" || have.count(path)) return;
    dir(fs::path(path).parent_path().string());
    have.insert(path);
    entries.push_back({CpioEntry::Kind::kDir, path, 0755, {}});
  }
  void add(CpioEntry e) {
    if (have.count(e.path)) return;
    dir(fs::path(e.path).parent_path().string());
    have.insert(e.path);
    entries.push_back(std::move(e));
  }
};

Result<std::string> kernel_release(const io::RootFs& root) {
  if (auto r = root.read_line("/proc/sys/kernel/osrelease"); r && !r->empty()) return *r;
  struct utsname u = {};
  if (root.is_live() && uname(&u) == 0) return std::string(u.release);
  return make_error(Errc::kNotFound, "no /proc/sys/kernel/osrelease below " + root.root());
}

std::string partition_kname(const io::RootFs& root, const std::string& device) {
  fs::path p(device);
  std::error_code ec;
  if (root.is_live())
    if (auto c = fs::canonical(p, ec); !ec) p = c;
  return p.filename().string();
}

// The PARTUUID of the pstore partition `device` (probe_device, the one
// model of a device and its partition), so that /init finds it in whatever
// order the capture kernel names the disks; "" when it cannot be told (an
// image file, no table), and /init then goes by the kernel name alone.
std::string partition_uuid(const io::RootFs& root, const std::string& device) {
  auto dev = probe_device(root, device, std::nullopt, 0);
  return dev && dev->partition ? dev->partition->uuid : "";
}

// The zone sizes pstore_blk uses now (module parameters, KiB), as
// capture-panic options, when it is attached to partition `kname`: a
// partition with fewer than two records cannot show its layout, and the
// capture kernel must write where this kernel will read. With them the
// capture may write into a partition that holds no record yet.
std::vector<std::string> live_layout_args(const io::RootFs& root, const std::string& kname) {
  std::map<std::string, std::string> params;
  std::vector<std::string> unreadable;
  read_module_params(root, "pstore_blk", params, unreadable);
  const std::string& dev = params["blkdev"];
  if (dev.empty() || partition_kname(root, dev) != kname) return {};
  std::vector<std::string> args;
  for (const char* k : {"kmsg", "pmsg", "console", "ftrace"}) {
    const std::string& v = params[std::string(k) + "_size"];
    if (v.empty() || v.size() > 9 || v.find_first_not_of("0123456789") != std::string::npos)
      return {};
    args.insert(args.end(), {std::string("--") + k + "-size", v});
  }
  args.push_back("--allow-empty");
  return args;
}

// A module file as the kernel's insmod wants it: plain ELF.
Result<std::string> module_bytes(const io::RootFs& root, const std::string& abs) {
  const bool xz = abs.ends_with(".xz"), gz = abs.ends_with(".gz");
  if (abs.ends_with(".zst"))
    return make_error(Errc::kUnsupported,
                      abs + ": zstd-compressed modules are not supported (xz, gzip or plain .ko)");
  auto data = gz ? root.read_gz(abs) : root.read(abs);
  if (!data) return make_error(Errc::kNotFound, "cannot read " + abs);
  if (!xz) return *data;
  auto plain = xz_decompress(*data, kMaxModuleBytes);
  if (!plain) return make_error(plain.error().code, abs + ": " + plain.error().what);
  return *plain;
}

Result<std::vector<std::string>> add_modules(const io::RootFs& root, const std::string& release,
                                             const std::string& kname, Archive& a) {
  auto wanted = block_driver_modules(root, kname);
  if (!wanted) return wanted.error();
  if (wanted->empty()) return std::vector<std::string>();  // drivers built in
  const std::string dir = "/lib/modules/" + release;
  auto dep = root.read(dir + "/modules.dep");
  if (!dep) return make_error(Errc::kNotFound, "cannot read " + dir + "/modules.dep");
  const std::string builtin = root.read(dir + "/modules.builtin").value_or("");
  auto order = order_modules(*dep, builtin, *wanted, {"pstore_blk", "pstore_zone", "pstore"});
  if (!order) return order.error();
  std::vector<std::string> paths;
  int n = 10;
  for (const auto& ko : *order) {
    auto bytes = module_bytes(root, dir + "/" + ko);
    if (!bytes) return bytes.error();
    const std::string path =
        "/lib/modules/psb/" + std::to_string(n++) + "-" + module_name(ko) + ".ko";
    a.add({CpioEntry::Kind::kFile, path, 0644, std::move(*bytes)});
    paths.push_back(path);
  }
  return paths;
}

std::string real_path(const io::RootFs& self, const std::string& abs) {
  std::error_code ec;
  const fs::path c = fs::canonical(self.host_path(abs), ec);
  return ec ? abs : c.string();
}

// The names the loader looks a library up by (libstdc++.so.6 for the mapped
// libstdc++.so.6.0.30): links beside it in its directory that resolve to it.
void add_soname_links(const io::RootFs& self, const std::string& lib, Archive& a) {
  const fs::path p(lib);
  const std::string base = p.filename().string();
  const auto so = base.find(".so");
  if (so == std::string::npos) return;
  const std::string dir = p.parent_path().string();
  for (const auto& name : self.list(dir)) {
    if (name == base || name.compare(0, so + 3, base, 0, so + 3) != 0) continue;
    if (real_path(self, dir + "/" + name) == lib)
      a.add({CpioEntry::Kind::kSymlink, dir + "/" + name, 0777, base});
  }
}

// pstore-blk as /bin/pstore-blk, every ELF shared object it has mapped at its
// own path, the ELF interpreter at the path the binary names. Returns the
// library directories.
Result<std::vector<std::string>> add_self(const io::RootFs& self, const CaptureLoadOptions& o,
                                          Archive& a) {
  auto exe = self.read(o.self_exe);
  if (!exe) return make_error(Errc::kNotFound, "cannot read " + o.self_exe);
  auto interp = elf_interpreter(*exe);
  if (!interp) return make_error(Errc::kFormat, o.self_exe + ": " + interp.error().what);
  const std::string exe_real = real_path(self, o.self_exe);
  auto maps = self.read(o.self_maps);
  if (!maps) return make_error(Errc::kNotFound, "cannot read " + o.self_maps);
  std::vector<std::string> dirs;
  std::map<std::string, bool> libs;
  for (const auto& path : mapped_files(*maps)) {
    if (path == exe_real) continue;
    auto bytes = self.read(path);
    if (!bytes || !is_elf_shared_object(*bytes)) continue;
    a.add({CpioEntry::Kind::kFile, path, 0755, std::move(*bytes)});
    libs[path] = true;
    add_soname_links(self, path, a);
    const std::string d = fs::path(path).parent_path().string();
    if (std::find(dirs.begin(), dirs.end(), d) == dirs.end()) dirs.push_back(d);
  }
  if (*interp && !libs.count(**interp)) {
    const std::string target = real_path(self, **interp);
    if (libs.count(target)) {
      a.add({CpioEntry::Kind::kSymlink, **interp, 0777, target});
    } else if (auto ld = self.read(**interp)) {
      a.add({CpioEntry::Kind::kFile, **interp, 0755, std::move(*ld)});
    } else {
      return make_error(Errc::kNotFound, "cannot read the ELF interpreter " + **interp);
    }
  }
  auto loaded = elf_loaded_part(std::move(*exe));
  if (!loaded) return make_error(Errc::kFormat, o.self_exe + ": " + loaded.error().what);
  a.add({CpioEntry::Kind::kFile, "/bin/pstore-blk", 0755, std::move(*loaded)});
  return dirs;
}

Result<void> add_busybox(const io::RootFs& root, Archive& a) {
  auto bb = root.read("/bin/busybox");
  if (auto ok = check_static_busybox("/bin/busybox", bb); !ok) return ok;
  a.add({CpioEntry::Kind::kFile, "/bin/busybox", 0755, std::move(*bb)});
  a.add({CpioEntry::Kind::kSymlink, "/bin/sh", 0777, "busybox"});
  return {};
}

Result<void> finish(CaptureInitramfs& img, Archive& a) {
  for (const auto& e : a.entries) img.members.push_back(e.path);
  const std::string raw = render_newc(a.entries);
  img.uncompressed = raw.size();
  auto gz = gzip_bytes(raw);
  if (!gz) return gz.error();
  img.archive = std::move(*gz);
  return {};
}

}  // namespace

Result<CaptureInitramfs> build_capture_initramfs(const io::RootFs& root, const io::RootFs& self,
                                                 const CaptureLoadOptions& o) {
  CaptureInitramfs img;
  auto rel = kernel_release(root);
  if (!rel) return rel.error();
  img.release = *rel;
  img.kname = partition_kname(root, o.device);
  img.partuuid = partition_uuid(root, o.device);
  const std::string kernel = o.kernel.empty() ? "/boot/vmlinuz-" + img.release : o.kernel;
  img.kernel_image = o.kernel.empty() ? root.host_path(kernel) : kernel;
  img.cmdline = build_capture_cmdline(root.read("/proc/cmdline").value_or(""), o.append);
  Archive a;
  for (const char* d : {"/bin", "/dev", "/proc", "/sys", "/tmp"}) a.dir(d);
  if (auto ok = add_busybox(root, a); !ok) return ok.error();
  auto mods = add_modules(root, img.release, img.kname, a);
  if (!mods) return mods.error();
  img.modules = *mods;
  auto dirs = add_self(self, o, a);
  if (!dirs) return dirs.error();
  InitScriptParams p;
  p.device = "/dev/" + img.kname;
  p.partuuid = img.partuuid;
  p.modules = img.modules;
  p.lib_dirs = *dirs;
  img.layout_args = live_layout_args(root, img.kname);
  p.capture_args = img.layout_args;
  a.add({CpioEntry::Kind::kFile, "/init", 0755, render_init_script(p)});
  if (auto ok = finish(img, a); !ok) return ok.error();
  return img;
}

}  // namespace psb::sysconf
