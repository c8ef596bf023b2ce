// capture-load (issue 15): the capture initramfs for the running kernel, built
// in memory, and its load as the crash kernel with
// kexec_file_load(KEXEC_FILE_ON_CRASH). The renderers here are pure (newc
// archive, gzip, /init script, module order, command line, ELF checks); the
// facts come through io::RootFs; the one side effect, the load, goes through
// the injected KexecLoader (RealKexecLoader, or a fake in tests).
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "pstore_blk/io/rootfs.hpp"
#include "pstore_blk/result.hpp"
#include "pstore_blk/sysconf/config.hpp"
#include "pstore_blk/sysconf/facts.hpp"

namespace psb::sysconf {

/// One member of a cpio archive: a directory, a regular file or a symlink.
struct CpioEntry {
  enum class Kind { kDir, kFile, kSymlink };
  Kind kind = Kind::kFile;
  std::string path;  // absolute inside the archive ("/bin/busybox")
  unsigned mode = 0644;
  std::string data;  // file contents, or the symlink's target
};

/// The "newc" (070701) cpio archive of `entries`, in the given order, ending
/// with TRAILER!!!. Names are stored without the leading '/'; uid/gid/mtime 0.
std::string render_newc(const std::vector<CpioEntry>& entries);

/// `data` gzip-compressed (zlib, level 9, no name or time in the header).
Result<std::string> gzip_bytes(std::string_view data);

/// The .ko files of a module and its dependencies in load order (deps first),
/// from the text of modules.dep ("kernel/a.ko.xz: kernel/b.ko.xz ...").
/// Modules named in `builtin` (modules.builtin text) are left out, as are
/// `exclude`d names. Names compare with '-' and '_' the same.
Result<std::vector<std::string>> order_modules(std::string_view modules_dep,
                                               std::string_view builtin,
                                               const std::vector<std::string>& wanted,
                                               const std::vector<std::string>& exclude);

/// "nvme_core" for "kernel/drivers/nvme/host/nvme-core.ko.xz".
std::string module_name(std::string_view ko_path);

struct InitScriptParams {
  std::string device;  // "/dev/vda2"
  /// The partition's PARTUUID: capture-panic then finds it by that on
  /// whichever disk holds it (--partuuid); empty: by `device` alone.
  std::string partuuid;
  std::vector<std::string> modules;   // archive paths, in load order
  std::vector<std::string> lib_dirs;  // LD_LIBRARY_PATH of pstore-blk
  std::string binary = "/bin/pstore-blk";
  std::vector<std::string> capture_args;  // more capture-panic words (the layout)
  int device_wait_seconds = 30;
  int watchdog_seconds = 120;
};

/// The busybox sh /init: mounts, watchdog, insmod, wait for the device,
/// capture-panic from /proc/vmcore, sync, reboot -f (whatever happened).
std::string render_init_script(const InitScriptParams& p);

/// The capture kernel's command line: the console= words of the running
/// kernel's `proc_cmdline`, the capture words, then `extra`.
std::string build_capture_cmdline(std::string_view proc_cmdline,
                                  const std::vector<std::string>& extra);

/// PT_INTERP of an ELF file: nullopt for a static executable, the loader's
/// path for a dynamic one; an error when `elf` is not a (64- or 32-bit,
/// little-endian) ELF file.
Result<std::optional<std::string>> elf_interpreter(std::span<const std::byte> elf);
inline Result<std::optional<std::string>> elf_interpreter(std::string_view elf) {
  return elf_interpreter(std::as_bytes(std::span(elf.data(), elf.size())));
}

/// ET_DYN ELF (a shared object, or a PIE executable).
bool is_elf_shared_object(std::string_view head);
/// What the loader maps of an executable: the bytes up to the end of its last
/// segment, without the section header table (e_shoff, e_shnum and
/// e_shstrndx 0), the way sstrip does. Debug sections, .symtab and .strtab
/// lie after the segments: a build with debug information shrinks to what
/// runs (67 MiB -> 4 MiB), which the capture kernel's memory must hold
/// twice (archive and unpacked). Unchanged when nothing lies past the
/// segments; an error when the program headers do not fit the file.
Result<std::string> elf_loaded_part(std::string elf);

/// Refuses a busybox that is missing, not ELF or dynamically linked (names
/// the Debian package busybox-static). `bytes` is nullopt when unreadable.
Result<void> check_static_busybox(const std::string& path, const std::optional<std::string>& bytes);

/// File-backed mappings of a /proc/<pid>/maps text, each path once, in order.
std::vector<std::string> mapped_files(std::string_view maps);

/// Kernel modules of a block device's driver chain: the `driver/module` link
/// names of /sys/class/block/<kname>, its disk and every parent device.
Result<std::vector<std::string>> block_driver_modules(const io::RootFs& fs,
                                                      const std::string& kname);

struct CaptureLoadOptions {
  std::string device;  // the pstore partition ("/dev/vda2")
  std::string kernel;  // kernel image; "" = /boot/vmlinuz-<release>
  std::vector<std::string> append;
  std::string self_exe = "/proc/self/exe";  // on the live system, always
  std::string self_maps = "/proc/self/maps";
};

struct CaptureInitramfs {
  std::string release;       // kernel release the modules are for
  std::string kname;         // kernel name of the partition ("vda2")
  std::string partuuid;      // its PARTUUID, "" when its table does not say
  std::string kernel_image;  // path of the kernel to load
  std::string cmdline;
  std::vector<std::string> modules;  // archive paths of the .ko in load order
  /// The layout capture-panic is given: pstore_blk's live zone sizes when it
  /// is attached to this partition; empty: capture-panic reads the zones.
  std::vector<std::string> layout_args;
  std::vector<std::string> members;  // every archive path
  std::string archive;               // gzip'd newc
  std::uint64_t uncompressed = 0;
};

/// Builds the capture initramfs for the system below `fs` (busybox, modules,
/// modules.dep, /proc/cmdline) with the pstore-blk binary and libraries of
/// `self` (the live system: /proc/self/exe and /proc/self/maps).
Result<CaptureInitramfs> build_capture_initramfs(const io::RootFs& fs, const io::RootFs& self,
                                                 const CaptureLoadOptions& o);

/// The xz (.ko.xz) payload decompressed, at most `limit` bytes.
Result<std::string> xz_decompress(std::string_view data, std::size_t limit);

/// The one side effect: the crash-kernel load.
class KexecLoader {
 public:
  virtual ~KexecLoader() = default;
  /// kexec_file_load(kernel, initramfs, cmdline, KEXEC_FILE_ON_CRASH).
  virtual Result<void> load_crash(const std::string& kernel_path, std::string_view initramfs,
                                  const std::string& cmdline) = 0;
};

/// memfd_create for the initramfs, open() of the kernel, the syscall; errors
/// name the path and errno with what to do.
class RealKexecLoader : public KexecLoader {
 public:
  Result<void> load_crash(const std::string& kernel_path, std::string_view initramfs,
                          const std::string& cmdline) override;
};

/// Checks the reservation and that the crash slot is free or pstore-blk's
/// (kConflict when another crash kernel, kdump's, is loaded: it is never
/// replaced), loads through `loader`, confirms kexec_crash_loaded reads 1.
/// Returns the slot after the load (read_crash_slot).
Result<CrashKernelFacts> load_capture_kernel(const io::RootFs& fs, KexecLoader& loader,
                                             const CaptureInitramfs& img);

}  // namespace psb::sysconf
