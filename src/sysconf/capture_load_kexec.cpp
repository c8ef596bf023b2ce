// capture-load's side effect: kexec_file_load(KEXEC_FILE_ON_CRASH) of the
// capture kernel with the initramfs in a memfd; and the xz decoder for
// .ko.xz modules.
#include <fcntl.h>
#include <lzma.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>

#include "pstore_blk/sysconf/capture_load.hpp"

#ifndef KEXEC_FILE_ON_CRASH
#define KEXEC_FILE_ON_CRASH 0x00000002
#endif

namespace psb::sysconf {

Result<std::string> xz_decompress(std::string_view data, std::size_t limit) {
  lzma_stream s = LZMA_STREAM_INIT;
  if (lzma_stream_decoder(&s, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK)
    return make_error(Errc::kIo, "xz: decoder init failed");
  std::string out;
  std::string buf(1 << 16, '\0');
  s.next_in = reinterpret_cast<const std::uint8_t*>(data.data());
  s.avail_in = data.size();
  lzma_ret rc = LZMA_OK;
  while (rc == LZMA_OK) {
    s.next_out = reinterpret_cast<std::uint8_t*>(buf.data());
    s.avail_out = buf.size();
    rc = lzma_code(&s, LZMA_FINISH);
    out.append(buf.data(), buf.size() - s.avail_out);
    if (out.size() > limit) rc = LZMA_MEMLIMIT_ERROR;
  }
  lzma_end(&s);
  if (rc != LZMA_STREAM_END)
    return make_error(Errc::kFormat,
                      rc == LZMA_MEMLIMIT_ERROR ? "xz: output over the limit" : "xz: corrupt data");
  return out;
}

namespace {

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) close(fd_);
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

Error kexec_error(const std::string& kernel, int err) {
  std::string what = "kexec_file_load of " + kernel;
  Errc code = Errc::kIo;
  switch (err) {
    case EPERM:
      code = Errc::kPermission;
      what += " (needs root with CAP_SYS_BOOT; kernel.kexec_load_disabled may be set)";
      break;
    case ENOEXEC:
    case EKEYREJECTED:
    case EBADMSG:
      code = Errc::kPermission;
      what +=
          " (the kernel image was rejected: not a bzImage, or unsigned under lockdown/"
          "secure boot; load a signed kernel)";
      break;
    case ENOMEM:
    case EADDRNOTAVAIL:
      what += " (the kernel and initramfs do not fit the crashkernel= reservation: make it larger)";
      break;
    case ENOSYS:
      code = Errc::kUnsupported;
      what += " (the kernel has no CONFIG_KEXEC_FILE)";
      break;
    default:
      break;
  }
  Error e = make_sys_error(what, err);
  e.code = code;
  return e;
}

std::uint64_t mib_count(std::uint64_t bytes) { return (bytes + (1u << 19)) >> 20; }
std::string mib(std::uint64_t bytes) { return std::to_string(mib_count(bytes)) + " MiB"; }

// What the capture kernel takes of the reservation before /init runs,
// measured with Debian's kernels under QEMU ("Memory:" line of the capture
// boot, initramfs left out): 59 MiB (6.1), 50 MiB (6.12); and what /init,
// the modules and capture-panic reading /proc/vmcore use. With a 4.8 MiB
// initramfs (10.9 MiB unpacked) 96M worked on both, 80M ran 6.1 out of
// memory before /init.
constexpr std::uint64_t kCaptureKernelOwn = 64ull << 20, kCaptureWork = 8ull << 20;

// After a panic the capture kernel holds the archive and what it unpacks to
// at once, beside itself. An initramfs that cannot fit loads now and fails
// only after the panic ("Initramfs unpacking failed: write error", or out of
// memory): refused here instead.
Result<void> check_fit(const CaptureInitramfs& img, std::uint64_t reserved) {
  const std::uint64_t need =
      kCaptureKernelOwn + kCaptureWork + img.archive.size() + img.uncompressed;
  if (need <= reserved) return {};
  return make_error(Errc::kUnsupported,
                    "the capture kernel needs about " + mib(need) + " of the " + mib(reserved) +
                        " crashkernel= reserves (" + mib(kCaptureKernelOwn + kCaptureWork) +
                        " for itself, the initramfs " + mib(img.archive.size()) + " and " +
                        mib(img.uncompressed) +
                        " unpacked): it would run out of memory after a panic; reserve more "
                        "(crashkernel=" +
                        std::to_string(mib_count(need) + 16) + "M)");
}

}  // namespace

Result<void> RealKexecLoader::load_crash(const std::string& kernel_path, std::string_view initramfs,
                                         const std::string& cmdline) {
  Fd kernel(open(kernel_path.c_str(), O_RDONLY | O_CLOEXEC));
  if (kernel.get() < 0)
    return make_sys_error(
        "Failed to open the kernel image '" + kernel_path + "' (--kernel names another)", errno);
  Fd initrd(static_cast<int>(syscall(SYS_memfd_create, "pstore-blk-capture", MFD_CLOEXEC)));
  if (initrd.get() < 0) return make_sys_error("memfd_create for the capture initramfs", errno);
  for (std::size_t off = 0; off < initramfs.size();) {
    const ssize_t n = write(initrd.get(), initramfs.data() + off, initramfs.size() - off);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return make_sys_error("write of the capture initramfs to its memfd", errno);
    off += static_cast<std::size_t>(n);
  }
  const long rc = syscall(SYS_kexec_file_load, kernel.get(), initrd.get(), cmdline.size() + 1,
                          cmdline.c_str(), static_cast<unsigned long>(KEXEC_FILE_ON_CRASH));
  if (rc != 0) return kexec_error(kernel_path, errno);
  return {};
}

Result<CrashKernelFacts> load_capture_kernel(const io::RootFs& root, KexecLoader& loader,
                                             const CaptureInitramfs& img) {
  if (!root.exists("/sys/kernel/kexec_crash_size"))
    return make_error(Errc::kUnsupported,
                      "no /sys/kernel/kexec_crash_size: the kernel has no kexec crash support");
  CrashKernelFacts before;
  read_crash_slot(root, before);
  if (before.reserved == 0)
    return make_error(Errc::kConflict,
                      "/sys/kernel/kexec_crash_size is 0: no memory is reserved for a capture "
                      "kernel; add crashkernel=" +
                          std::string(kCrashKernelSize) +
                          " to the kernel command line (`pstore-blk setup DEVICE "
                          "--capture-panics` does) and reboot");
  if (before.loaded.value_or(false) && !before.ours)
    return make_error(Errc::kConflict,
                      "a crash kernel is loaded already, not by pstore-blk (kdump-tools?): "
                      "/sys/kernel/kexec_crash_loaded is 1 and " +
                          std::string(kCaptureMarker) + " is absent; it is not replaced");
  if (auto fits = check_fit(img, before.reserved); !fits) return fits.error();
  if (auto ok = loader.load_crash(img.kernel_image, img.archive, img.cmdline); !ok)
    return ok.error();
  CrashKernelFacts st;
  read_crash_slot(root, st);
  if (!st.loaded.value_or(false))
    return make_error(Errc::kIo,
                      "kexec_file_load succeeded but /sys/kernel/kexec_crash_loaded is not 1");
  return st;
}

}  // namespace psb::sysconf
