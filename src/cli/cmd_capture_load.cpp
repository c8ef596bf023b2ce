// capture-load: builds the capture initramfs for the running kernel (busybox,
// the block driver modules of the pstore partition's disk, pstore-blk and its
// libraries, an /init that runs capture-panic) and loads it with the kernel
// as the crash kernel (kexec_file_load, KEXEC_FILE_ON_CRASH). Hidden from
// --help like capture-panic until the man page documents it.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <memory>

#include "cli/commands.hpp"
#include "cli/output.hpp"
#include "cli/provision.hpp"
#include "pstore_blk/cli/app.hpp"
#include "pstore_blk/io/atomic_file.hpp"
#include "pstore_blk/sysconf/capture_load.hpp"

namespace psb::cli {

namespace {

struct LoadArgs {
  std::string device;
  std::string kernel;
  std::vector<std::string> append;
  std::string initramfs_out;
  std::string root = "/";
  bool dry_run = false;
  bool verbose = false;
};

std::string kib(std::uint64_t n) { return fmt::format("{} KiB", (n + 1023) / 1024); }

void print_initramfs(const sysconf::CaptureInitramfs& img, bool verbose) {
  fmt::print("kernel:      {} ({})\n", img.kernel_image, img.release);
  fmt::print("cmdline:     {}\n", img.cmdline);
  fmt::print("device:      /dev/{}{}\n", img.kname,
             img.partuuid.empty() ? " (found by this name: its table gives no PARTUUID)"
                                  : " (found by PARTUUID " + img.partuuid + ")");
  std::string layout;
  for (const auto& w : img.layout_args) layout += (layout.empty() ? "" : " ") + w;
  fmt::print("layout:      {}\n",
             layout.empty() ? "read from the partition's zones (pstore_blk is not attached to it)"
                            : layout + " (pstore_blk's parameters)");
  std::string mods;
  for (const auto& m : img.modules) {  // /lib/modules/psb/NN-name.ko
    const std::string base = m.substr(m.rfind('/') + 1);
    mods += (mods.empty() ? "" : " ") + sysconf::module_name(base.substr(base.find('-') + 1));
  }
  fmt::print("modules:     {}\n", mods.empty() ? "(none: the drivers are built in)" : mods);
  fmt::print("initramfs:   {} ({} uncompressed, {} files)\n", kib(img.archive.size()),
             kib(img.uncompressed), img.members.size());
  if (verbose)
    for (const auto& m : img.members) fmt::print("  {}\n", m);
}

int run_capture_load(const LoadArgs& a) {
  io::RootFs root(a.root), self("/");
  sysconf::CaptureLoadOptions o;
  o.device = a.device;
  o.kernel = a.kernel;
  o.append = a.append;
  auto img = sysconf::build_capture_initramfs(root, self, o);
  if (!img) return report(img.error());
  print_initramfs(*img, a.verbose);
  if (!a.initramfs_out.empty()) {
    io::AtomicWrite w;
    if (auto ok = io::write_atomic(a.initramfs_out, img->archive, w); !ok)
      return report(ok.error());
    fmt::print("wrote {}\n", a.initramfs_out);
  }
  if (a.dry_run || !a.initramfs_out.empty()) return kExitOk;
  sysconf::RealKexecLoader loader;
  auto st = sysconf::load_capture_kernel(root, loader, *img);
  if (!st) return report(st.error());
  // The marker check and status trust: this boot's crash kernel is ours.
  io::AtomicWrite w;
  w.make_parents = true;
  if (auto ok = io::write_atomic(root.host_path(sysconf::kCaptureMarker), a.device + "\n", w); !ok)
    return report(ok.error());
  fmt::print(
      "capture kernel loaded: /sys/kernel/kexec_crash_loaded is 1; reservation {} "
      "(crashkernel=), initramfs {}\n",
      kib(st->reserved), kib(img->archive.size()));
  return kExitOk;
}

}  // namespace

void attach_capture_load(CLI::App& sub, std::function<int()>& action) {
  auto a = std::make_shared<LoadArgs>();
  sub.add_option("DEVICE", a->device, "the pstore partition the capture kernel writes to")
      ->required();
  sub.add_option("--kernel", a->kernel, "capture kernel image (default /boot/vmlinuz-RELEASE)")
      ->type_name("FILE");
  sub.add_option("--append", a->append, "more words for the capture kernel's command line")
      ->type_name("WORDS");
  sub.add_option("--initramfs-out", a->initramfs_out,
                 "write the capture initramfs to FILE instead of loading it")
      ->type_name("FILE");
  sub.add_option("--root", a->root, "read the system below DIR (default /)")->type_name("DIR");
  sub.add_flag("--dry-run", a->dry_run,
               "build the initramfs and show the command line, load nothing");
  sub.add_flag("-v,--verbose", a->verbose, "list the initramfs members");
  sub.callback([a, &action] { action = [a] { return run_capture_load(*a); }; });
}

}  // namespace psb::cli
